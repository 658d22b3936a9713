"""Bulk-build a district-scale ledger for benchmarks: --per-teacher records for
each seed_scale teacher (50 x 20,000 = 1,000,000 by default), chained and keyed
exactly as credit_record_append would, inserted in large batches. Idempotent."""

import datetime
import random
import time
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from cms.accounts.models import TeacherProfile
from credits.ledger import GENESIS, head_digest, record_digest
from credits.models import CreditRecord, CreditRuleSet, CreditYearTotal, LedgerHead
from credits.services import credit_totals_rebuild

KINDS = ["online_course", "offline_training", "studio_activity", "school_based"]
CATEGORIES = ["通识", "学科", "思政师德", "心理健康", "信息技术应用"]
TITLES = [
    "人工智能助力课堂教学",
    "大单元教学设计",
    "师德师风专题",
    "学生心理健康",
    "智慧教育平台应用",
]


class Command(BaseCommand):
    help = "Bulk-create a hash-chained ledger for the seed_scale teachers."

    def add_arguments(self, parser):
        parser.add_argument("--per-teacher", type=int, default=50)

    def handle(self, *args, per_teacher, **options):
        teachers = list(
            TeacherProfile.objects.filter(staff_number__startswith="S")
            .order_by("id")
            .values_list("id", flat=True)
        )
        wanted = len(teachers) * per_teacher
        have = CreditRecord.objects.filter(idempotency_key__startswith="scale:").count()
        if have >= wanted:
            if not CreditYearTotal.objects.exists():
                credit_totals_rebuild()
            self.stdout.write(f"账本已有 {have} 条规模数据，未做改动。")
            return
        if (
            CreditRecord.objects.exclude(idempotency_key__startswith="scale:").exists()
            or have
        ):
            self.stdout.write("账本中已有其他记录，规模账本只在空账本上生成。")
            return
        started = time.monotonic()
        rule_set = CreditRuleSet.objects.filter(region__isnull=True).order_by(
            "-effective_from"
        )[0]
        rng = random.Random(5)
        now = timezone.now()
        head, _ = LedgerHead.objects.get_or_create(
            pk=1, defaults={"seq": 0, "hash": GENESIS}
        )
        seq, prev = head.seq, head.hash
        batch = []
        today = datetime.date.today()
        with transaction.atomic():
            for n in range(wanted):
                teacher_id = teachers[n % len(teachers)]
                hours = Decimal(rng.choice((2, 4, 6, 8, 12)))
                seq += 1
                record = CreditRecord(
                    teacher_id=teacher_id,
                    seq=seq,
                    idempotency_key=f"scale:{n}",
                    kind=rng.choice(KINDS),
                    category=rng.choice(CATEGORIES),
                    source_type="bench",
                    source_id=str(n % 2000),
                    source_title=rng.choice(TITLES),
                    raw_hours=hours,
                    hours=hours,
                    credits=(hours / 10).quantize(Decimal("0.01")),
                    earned_on=today - datetime.timedelta(days=rng.randint(0, 300)),
                    rule_set_id=rule_set.pk,
                    recorded_at=now,
                    note="",
                    prev_hash=prev,
                )
                record.hash = prev = record_digest(record)
                batch.append(record)
                if len(batch) == 20000:
                    CreditRecord.objects.bulk_create(batch)
                    batch = []
            CreditRecord.objects.bulk_create(batch)
            LedgerHead.objects.filter(pk=1).update(
                seq=seq, hash=prev, mac=head_digest(seq, prev)
            )
        credit_totals_rebuild()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE credits_creditrecord")
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成 {wanted} 条账本记录，用时 {time.monotonic() - started:.0f} 秒。"
            )
        )
