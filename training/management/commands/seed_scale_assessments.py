"""Self-assessment results for the seed_scale teachers: one per term for the
last --terms terms (3 x 20,000 = 60,000 by default), scored by the real model
and bulk inserted. Idempotent."""

import datetime
import random
import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from cms.accounts.models import TeacherProfile
from training.framework import term_of
from training.models import AssessmentAttempt, AssessmentResult
from training.scoring import score_answers
from training.selectors import current_instrument
from training.services import competency_parents


class Command(BaseCommand):
    help = "Bulk-create self-assessment results for the seed_scale teachers."

    def add_arguments(self, parser):
        parser.add_argument("--teachers", type=int, default=20000)
        parser.add_argument("--terms", type=int, default=3)

    def handle(self, *args, teachers, terms, **options):
        instrument = current_instrument()
        if instrument is None:
            self.stdout.write("没有已发布的测评工具，跳过。")
            return
        scale = TeacherProfile.objects.filter(staff_number__startswith="S").order_by(
            "id"
        )
        ids = list(scale.values_list("id", flat=True)[:teachers])
        done = AssessmentResult.objects.filter(teacher_id__in=ids).count()
        if done >= len(ids) * terms:
            self.stdout.write(f"测评结果已存在（{done} 份），未做改动。")
            return
        AssessmentResult.objects.filter(teacher_id__in=ids).delete()
        AssessmentAttempt.objects.filter(teacher_id__in=ids).delete()
        started = time.monotonic()
        rng = random.Random(33)
        items = list(instrument.items.values_list("id", "indicator__code"))
        parents = competency_parents(instrument.framework_id)
        now = timezone.now()
        for term_index in range(terms):
            when = now - datetime.timedelta(days=182 * (terms - 1 - term_index))
            for start in range(0, len(ids), 5000):
                chunk = ids[start : start + 5000]
                with transaction.atomic():
                    attempts = AssessmentAttempt.objects.bulk_create(
                        [
                            AssessmentAttempt(
                                teacher_id=t,
                                instrument=instrument,
                                status=AssessmentAttempt.Status.SUBMITTED,
                                submitted_at=when,
                            )
                            for t in chunk
                        ]
                    )
                    results = []
                    for attempt in attempts:
                        base = rng.choice((2, 3, 3, 4)) + (1 if term_index > 1 else 0)
                        answers = {
                            i: max(1, min(5, base + rng.choice((-1, 0, 1))))
                            for i, _ in items
                        }
                        scores = score_answers(
                            items=items,
                            answers=answers,
                            parents=parents,
                            scoring=instrument.scoring,
                        )
                        results.append(
                            AssessmentResult(
                                attempt=attempt,
                                teacher_id=attempt.teacher_id,
                                instrument=instrument,
                                overall_score=scores["overall"]["score"],
                                overall_level=scores["overall"]["level"],
                                scores=scores,
                                term=term_of(timezone.localdate(when)),
                                submitted_at=when,
                                is_latest=term_index == terms - 1,
                            )
                        )
                    AssessmentResult.objects.bulk_create(results)
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成 {len(ids) * terms} 份测评结果，用时 {time.monotonic() - started:.1f} 秒。"
            )
        )
