"""Benchmark data: 300 studios with 100 published articles and resources each
(30,000 pages). Studios are added through Wagtail; their children are written
with bulk inserts (materialised paths computed here), or it would take an hour.
Idempotent: does nothing when the scale studios exist."""

import random
import time
import uuid

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone
from wagtail.models import Locale, Page

from cms.accounts.models import Organisation, TeacherProfile
from cms.studios import services
from cms.studios.models import StudioArticlePage, StudioPage, StudioResourcePage

TOPICS = [
    "精准教学",
    "大单元设计",
    "作业设计",
    "整本书阅读",
    "跨学科学习",
    "人工智能助教",
    "课堂观察",
    "家校协同",
]
SUBJECTS = ["语文", "数学", "英语", "物理", "化学", "生物", "道德与法治", "信息科技"]


class Command(BaseCommand):
    help = "Build 300 studios with 30,000 articles and resources (benchmarks only)."

    def add_arguments(self, parser):
        parser.add_argument("--studios", type=int, default=300)
        parser.add_argument("--children", type=int, default=100)

    def handle(self, *args, studios, children, **options):
        existing = StudioPage.objects.filter(slug__startswith="scale-studio-")
        if existing.filter(numchild__gt=0).count() >= studios:
            self.stdout.write("规模工作室已存在，未做改动。")
            return
        started = time.perf_counter()
        rng = random.Random(5)
        districts = list(
            Organisation.objects.filter(
                code__startswith="SCALE-", kind="district"
            ).order_by("path")
        )
        leaders = list(
            TeacherProfile.objects.filter(staff_number__startswith="S")
            .select_related("user")
            .order_by("id")[:studios]
        )
        if not districts or len(leaders) < studios:
            self.stdout.write("需要先运行 seed_scale。")
            return
        index = services.ensure_index()
        made = list(existing.filter(numchild=0).order_by("path"))
        have = existing.count()
        for n in range(have, studios):
            topic = TOPICS[n % len(TOPICS)]
            studio = index.add_child(
                instance=StudioPage(
                    title=f"{leaders[n].real_name}{topic}工作室{n + 1:03d}",
                    slug=f"scale-studio-{n + 1:03d}",
                    kind="名师" if n % 5 else "名校长",
                    leader=leaders[n].user,
                    region=districts[n % len(districts)],
                    subject=SUBJECTS[n % len(SUBJECTS)],
                    research_direction=f"{topic}的实践研究",
                    intro=f"<p>工作室围绕{topic}开展研修。</p>",
                    owner=leaders[n].user,
                )
            )
            made.append(studio)
        self._children(made, children, rng)
        self.stdout.write(
            f"工作室 {len(made)} 个、文章与资源 {len(made) * children} 篇，"
            f"用时 {time.perf_counter() - started:.1f} 秒。"
        )

    @transaction.atomic
    def _children(self, studios, count, rng):
        locale = Locale.get_default()
        article_type = ContentType.objects.get_for_model(StudioArticlePage)
        resource_type = ContentType.objects.get_for_model(StudioResourcePage)
        now = timezone.now()
        pages, kinds = [], []
        for studio in studios:
            for i in range(1, count + 1):
                is_article = i % 2 == 1
                title = f"{'研修文章' if is_article else '教学资源'} {studio.pk}-{i}：{rng.choice(TOPICS)}"
                slug = f"item-{i}"
                pages.append(
                    Page(
                        title=title,
                        draft_title=title,
                        slug=slug,
                        path=Page._get_path(studio.path, studio.depth + 1, i),
                        depth=studio.depth + 1,
                        numchild=0,
                        url_path=f"{studio.url_path}{slug}/",
                        content_type=article_type if is_article else resource_type,
                        live=True,
                        has_unpublished_changes=False,
                        first_published_at=now,
                        last_published_at=now,
                        owner_id=studio.leader_id,
                        locale=locale,
                        translation_key=uuid.uuid4(),
                    )
                )
                kinds.append(is_article)
        created = Page.objects.bulk_create(pages, batch_size=2000)
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO studios_studioarticlepage (page_ptr_id, kind, summary, body) "
                "VALUES (%s, %s, %s, %s)",
                [
                    (p.pk, "研修文章", "", f"<p>{p.title}</p>")
                    for p, art in zip(created, kinds, strict=True)
                    if art
                ],
            )
            cursor.executemany(
                "INSERT INTO studios_studioresourcepage (page_ptr_id, kind, description, file, "
                "file_name, subject, grade_band, views, downloads) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        p.pk,
                        "课件",
                        "",
                        "studios/bench.pdf",
                        "bench.pdf",
                        "",
                        "",
                        rng.randint(0, 500),
                        0,
                    )
                    for p, art in zip(created, kinds, strict=True)
                    if not art
                ],
            )
        Page.objects.filter(pk__in=[s.pk for s in studios]).update(numchild=count)
