"""Benchmark data: 2,000 live courses (3-6 lessons each, aligned to indicators)
and 100,000 enrolments over the scale teachers. Courses are written with bulk
inserts (materialised paths computed the way treebeard does), or Wagtail would
take half an hour. Idempotent: does nothing when the scale courses exist."""

import random
import time
import uuid
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone
from wagtail.models import Locale, Page

from cms.accounts.models import CareerStage, Subject, TeacherProfile
from training.courses.models import CourseLesson, CoursePage, Enrolment
from training.courses.services import catalogue_ensure
from training.framework import FRAMEWORK_CODE
from training.selectors import INDICATOR, competencies

TOPICS = [
    ("数据驱动的精准教学", "用课堂与作业数据做学情分析，调整教学"),
    ("数字化教学设计", "设计数字化教学活动，创设混合学习环境"),
    ("人工智能助教实践", "生成式人工智能辅助备课与个性化辅导"),
    ("学业数据可视化", "把学业数据画成图并向学生和家长解释"),
    ("网络研修与反思", "参与和主持网络研修，用课堂录像反思"),
    ("数字安全与隐私保护", "保护学生个人信息与工作数据安全"),
    ("家校协同的数字化", "用数字平台开展家校沟通与协同育人"),
    ("跨学科项目式学习", "用数字工具组织跨学科项目式学习"),
]
LEVELS = ["入门", "进阶", "实践", "专题", "工作坊"]
CATEGORIES = ["信息技术应用", "学科", "通识", "思政师德", "心理健康"]


class Command(BaseCommand):
    help = "Build 2,000 courses and 100,000 enrolments (benchmarks only)."

    def add_arguments(self, parser):
        parser.add_argument("--courses", type=int, default=2000)
        parser.add_argument("--enrolments", type=int, default=100000)

    def handle(self, *args, courses, enrolments, **options):
        if (
            CoursePage.objects.filter(slug__startswith="scale-course-").count()
            >= courses
        ):
            self.stdout.write("规模课程已存在，未做改动。")
            return
        teachers = list(
            TeacherProfile.objects.filter(user__username__startswith="scale-")
            .order_by("user__username")
            .values_list("pk", flat=True)
        )
        if not teachers:
            self.stdout.write("需要先运行 seed_scale。")
            return
        started = time.perf_counter()
        rng = random.Random(7)
        with transaction.atomic():
            made = self._courses(courses, rng)
            self._lessons_and_indicators(made, rng)
            self._enrolments(made, teachers, enrolments, rng)
        self.stdout.write(
            f"课程 {len(made)} 门、选课 {enrolments} 条，"
            f"用时 {time.perf_counter() - started:.1f} 秒。"
        )

    def _courses(self, count, rng) -> list[Page]:
        index = catalogue_ensure()
        locale = Locale.get_default()
        content_type = ContentType.objects.get_for_model(CoursePage)
        owner = TeacherProfile.objects.order_by("pk").values_list("user_id", flat=True)
        owner_id = owner.first()
        now = timezone.now()
        first = index.numchild + 1
        pages, rows = [], []
        subjects, stages = list(Subject.values), list(CareerStage.values)
        for n in range(count):
            topic, text = TOPICS[n % len(TOPICS)]
            title = f"{topic}（{LEVELS[n // len(TOPICS) % len(LEVELS)]}）第{n + 1}期"
            slug = f"scale-course-{n + 1:04d}"
            pages.append(
                Page(
                    title=title,
                    draft_title=title,
                    slug=slug,
                    path=Page._get_path(index.path, index.depth + 1, first + n),
                    depth=index.depth + 1,
                    numchild=0,
                    url_path=f"{index.url_path}{slug}/",
                    content_type=content_type,
                    live=True,
                    has_unpublished_changes=False,
                    first_published_at=now,
                    last_published_at=now,
                    owner_id=owner_id,
                    locale=locale,
                    translation_key=uuid.uuid4(),
                )
            )
            summary = f"{text}。面向{rng.choice(['小学', '初中', '高中'])}教师。"
            rows.append(
                (
                    summary,
                    rng.choice(subjects) if n % 3 == 0 else "",
                    rng.choice(stages) if n % 4 == 0 else "",
                    ["online", "online", "blended", "offline"][n % 4],
                    Decimal(rng.choice([2, 4, 6, 8, 12, 16, 24])),
                    CATEGORIES[n % len(CATEGORIES)],
                    f"{title}\n{summary}\n规模测试教师发展中心",
                )
            )
        created = Page.objects.bulk_create(pages, batch_size=1000)
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO courses_coursepage (page_ptr_id, summary, body, subject, "
                "grade_band, career_stage, mode, hours, category, provider, "
                "require_lessons, video_threshold, require_quiz, quiz_pass_percent, "
                "require_assignment, assignment_brief, min_sessions, search_text) "
                "VALUES (%s, %s, '[]'::jsonb, %s, '', %s, %s, %s, %s, "
                "'规模测试教师发展中心', true, 90, false, 60, false, '', 0, %s)",
                [(p.pk, *row) for p, row in zip(created, rows, strict=True)],
            )
        Page.objects.filter(pk=index.pk).update(numchild=index.numchild + count)
        return created

    def _lessons_and_indicators(self, courses, rng) -> None:
        indicators = list(
            competencies(framework_code=FRAMEWORK_CODE, levels=[INDICATOR]).values_list(
                "pk", flat=True
            )
        )
        lessons, links = [], []
        through = CoursePage.indicators.through
        for course in courses:
            for order in range(rng.randint(3, 6)):
                lessons.append(
                    CourseLesson(
                        course_id=course.pk,
                        sort_order=order,
                        module="第一模块" if order < 2 else "第二模块",
                        title=f"第{order + 1}课时",
                        kind="text",
                    )
                )
            for pk in rng.sample(indicators, rng.randint(1, 4)):
                links.append(through(coursepage_id=course.pk, competency_id=pk))
        CourseLesson.objects.bulk_create(lessons, batch_size=5000)
        through.objects.bulk_create(links, batch_size=5000)

    def _enrolments(self, courses, teachers, total, rng) -> None:
        """Five courses per teacher (100,000 for 20,000); the first bench
        teacher takes 25, so her "my learning" pages."""
        ids = [c.pk for c in courses]
        now = timezone.now()
        pairs: set[tuple[int, int]] = set()
        for c in rng.sample(ids, 25):
            pairs.add((teachers[0], c))
        while len(pairs) < total:
            pairs.add((rng.choice(teachers), rng.choice(ids)))
        rows = []
        for teacher_id, course_id in pairs:
            completed = rng.random() < 0.3
            rows.append(
                Enrolment(
                    teacher_id=teacher_id,
                    course_id=course_id,
                    status="completed" if completed else "enrolled",
                    lessons_done=3 if completed else rng.randint(0, 2),
                    completed_at=now if completed else None,
                )
            )
        Enrolment.objects.bulk_create(rows, batch_size=5000)
