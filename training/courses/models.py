"""The course catalogue and what teachers do in it.

Courses are Wagtail pages (authored in the admin, with a syllabus of lessons, a
quiz and blended sessions as inline parts); enrolments, progress, quiz attempts,
submissions, grades and campaigns are plain models beside them.

A course's completion rule is data on the course: all lessons, a passed quiz, a
passed assignment and a number of attended sessions, each switched on or off.
Completing is recorded once on the enrolment and handed to the credit bank with
an idempotency key, so retries and double clicks never credit twice."""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail import blocks
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.fields import RichTextField, StreamField
from wagtail.images.blocks import ImageChooserBlock
from wagtail.models import Orderable, Page

from cms.accounts.models import CareerStage, GradeBand, Subject
from cms.shared import attendance
from cms.shared.pagecache import TeacherDataQuerySet
from cms.shared.storage import private_storage
from credits import data as credit_data
from credits.selectors import category_choices


class CourseMode(models.TextChoices):
    ONLINE = "online", _("线上")
    OFFLINE = "offline", _("线下")
    BLENDED = "blended", _("混合式")


class CatalogueIndexPage(Page):
    intro = models.TextField(_("导语"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["courses.CoursePage"]
    max_count = 1

    class Meta:
        verbose_name = _("课程目录")

    def get_context(self, request, *args, **kwargs):
        from cms.accounts.guards import teacher_or_none

        from .selectors import CatalogueFilters, catalogue

        context = super().get_context(request, *args, **kwargs)
        context.update(
            catalogue(
                index=self,
                filters=CatalogueFilters.from_request(request),
                teacher=teacher_or_none(request),
            )
        )
        for card in context["courses"]:
            card["url"] = card["course"].get_url(request)
        return context


class Rubric(ClusterableModel):
    """Criteria a trainer scores a submission on, each aligned to an indicator.
    A submission passes when its total reaches `pass_percent` of the maximum."""

    title = models.CharField(_("名称"), max_length=120)
    description = models.TextField(_("说明"), blank=True)
    pass_percent = models.PositiveSmallIntegerField(
        _("合格线（%）"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )

    panels = [
        FieldPanel("title"),
        FieldPanel("description"),
        FieldPanel("pass_percent"),
        InlinePanel("criteria", label=_("评分维度"), min_num=1),
    ]

    class Meta:
        verbose_name = _("评分量规")
        verbose_name_plural = _("评分量规")

    def __str__(self) -> str:
        return self.title

    @property
    def max_points(self) -> int:
        return sum(c.max_points for c in self.criteria.all())


class RubricCriterion(Orderable):
    rubric = ParentalKey(Rubric, on_delete=models.CASCADE, related_name="criteria")
    title = models.CharField(_("评分维度"), max_length=120)
    indicator = models.ForeignKey(
        "training.Competency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("对应素养指标"),
        limit_choices_to={"level": 3},
    )
    max_points = models.PositiveSmallIntegerField(
        _("满分"), default=10, validators=[MinValueValidator(1)]
    )
    guidance = models.TextField(_("评分说明"), blank=True)

    panels = [
        FieldPanel("title"),
        FieldPanel("indicator"),
        FieldPanel("max_points"),
        FieldPanel("guidance"),
    ]

    def __str__(self) -> str:
        return self.title


class CoursePage(Page):
    summary = models.TextField(_("简介"), max_length=500)
    cover = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("封面图"),
    )
    body = StreamField(
        [
            ("text", blocks.RichTextBlock(label=_("正文"))),
            ("image", ImageChooserBlock(label=_("图片"))),
            ("video", EmbedBlock(label=_("视频链接"))),
            ("document", DocumentChooserBlock(label=_("下载文档"))),
        ],
        blank=True,
        verbose_name=_("课程介绍"),
    )
    indicators = ParentalManyToManyField(
        "training.Competency",
        related_name="courses",
        verbose_name=_("对应素养指标"),
        limit_choices_to={"level": 3},
    )
    subject = models.CharField(
        _("学科"), max_length=16, choices=Subject.choices, blank=True
    )
    grade_band = models.CharField(
        _("学段"), max_length=8, choices=GradeBand.choices, blank=True
    )
    career_stage = models.CharField(
        _("发展阶段"), max_length=8, choices=CareerStage.choices, blank=True
    )
    mode = models.CharField(
        _("培训方式"), max_length=8, choices=CourseMode.choices, default="online"
    )
    hours = models.DecimalField(
        _("学时"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    category = models.CharField(
        _("学分类别"),
        max_length=12,
        choices=category_choices(),
        default=credit_data.CreditCategory.IT.value,
    )
    provider = models.CharField(_("提供方"), max_length=120, blank=True)
    enrol_opens = models.DateField(_("报名开始"), null=True, blank=True)
    enrol_closes = models.DateField(_("报名截止"), null=True, blank=True)
    capacity = models.PositiveIntegerField(
        _("名额"), null=True, blank=True, help_text=_("留空表示不限人数。")
    )
    trainers = ParentalManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="graded_courses",
        verbose_name=_("培训者（批改作业）"),
    )
    require_lessons = models.BooleanField(_("须学完全部课时"), default=True)
    video_threshold = models.PositiveSmallIntegerField(
        _("视频观看比例（%）"),
        default=90,
        validators=[MinValueValidator(10), MaxValueValidator(100)],
        help_text=_("视频课时观看到这一比例才算学完。"),
    )
    require_quiz = models.BooleanField(_("须通过测验"), default=False)
    quiz_pass_percent = models.PositiveSmallIntegerField(
        _("测验合格线（%）"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    require_assignment = models.BooleanField(_("须作业合格"), default=False)
    assignment_brief = RichTextField(_("作业要求"), blank=True)
    rubric = models.ForeignKey(
        Rubric,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="courses",
        verbose_name=_("评分量规"),
    )
    min_sessions = models.PositiveSmallIntegerField(
        _("须出勤场次"), default=0, help_text=_("0 表示不要求线下或直播出勤。")
    )
    # Title, summary and body as plain text: what catalogue search matches.
    search_text = models.TextField(editable=False, blank=True, default="")

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("cover"),
        FieldPanel("body"),
        InlinePanel("lessons", label=_("课时")),
    ]
    about_panels = [
        FieldPanel("indicators"),
        FieldRowPanel(
            [
                FieldPanel("subject"),
                FieldPanel("grade_band"),
                FieldPanel("career_stage"),
            ]
        ),
        FieldRowPanel(
            [FieldPanel("mode"), FieldPanel("hours"), FieldPanel("category")]
        ),
        FieldPanel("provider"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("enrol_opens"), FieldPanel("enrol_closes")]),
                FieldPanel("capacity"),
            ],
            heading=_("报名"),
        ),
        FieldPanel("trainers"),
    ]
    completion_panels = [
        FieldRowPanel([FieldPanel("require_lessons"), FieldPanel("video_threshold")]),
        FieldRowPanel([FieldPanel("require_quiz"), FieldPanel("quiz_pass_percent")]),
        InlinePanel("questions", label=_("测验题")),
        FieldPanel("require_assignment"),
        FieldPanel("assignment_brief"),
        FieldPanel("rubric"),
        FieldPanel("min_sessions"),
        InlinePanel("sessions", label=_("线下或直播场次")),
    ]
    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading=_("内容")),
            ObjectList(about_panels, heading=_("课程信息")),
            ObjectList(completion_panels, heading=_("考核与结业")),
            ObjectList(Page.promote_panels, heading=_("推广")),
            ObjectList(Page.settings_panels, heading=_("设置")),
        ]
    )
    parent_page_types = ["courses.CatalogueIndexPage"]
    subpage_types: list = []

    class Meta:
        verbose_name = _("课程")
        verbose_name_plural = _("课程")

    def clean(self):
        super().clean()
        if not (
            self.require_lessons
            or self.require_quiz
            or self.require_assignment
            or self.min_sessions
        ):
            raise ValidationError(
                _("请至少设置一项结业要求（课时、测验、作业或出勤）。")
            )
        if self.require_assignment and not self.rubric_id:
            raise ValidationError({"rubric": _("要求作业合格时须选择评分量规。")})
        if (
            self.enrol_opens
            and self.enrol_closes
            and self.enrol_closes < self.enrol_opens
        ):
            raise ValidationError({"enrol_closes": _("报名截止日期早于开始日期。")})

    def save(self, *args, **kwargs):
        self.search_text = course_search_text(self)
        super().save(*args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from cms.accounts.guards import teacher_or_none
        from cms.shared.pagecache import depends_on

        from .selectors import course_detail, teacher_course_body

        depends_on(request, f"course:{self.pk}")  # seats left
        context = super().get_context(request, *args, **kwargs)
        teacher = teacher_or_none(request)
        if teacher is not None and not getattr(request, "is_preview", False):
            context["body"] = teacher_course_body(
                request=request, course=self, teacher=teacher
            )
            return context
        context.update(
            course_detail(
                course=self, teacher=teacher, user=getattr(request, "user", None)
            )
        )
        return context


def course_search_text(course: CoursePage) -> str:
    parts = [course.title, course.summary, course.provider]
    for block in course.body or []:
        if block.block_type == "text":
            parts.append(strip_tags(block.value.source))
    return "\n".join(p for p in parts if p)


class LessonKind(models.TextChoices):
    TEXT = "text", _("图文")
    VIDEO = "video", _("视频")
    DOCUMENT = "document", _("文档")


class CourseLesson(Orderable):
    course = ParentalKey(CoursePage, on_delete=models.CASCADE, related_name="lessons")
    module = models.CharField(
        _("所属模块"),
        max_length=80,
        blank=True,
        help_text=_("同一模块的课时写相同的模块名。"),
    )
    title = models.CharField(_("课时名称"), max_length=120)
    kind = models.CharField(
        _("类型"), max_length=8, choices=LessonKind.choices, default="text"
    )
    body = RichTextField(_("内容"), blank=True)
    video = models.ForeignKey(
        "wagtaildocs.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("视频文件（MP4/WebM）"),
    )
    duration_seconds = models.PositiveIntegerField(
        _("视频时长（秒）"), null=True, blank=True
    )
    document = models.ForeignKey(
        "wagtaildocs.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("学习文档"),
    )

    panels = [
        FieldPanel("module"),
        FieldPanel("title"),
        FieldPanel("kind"),
        FieldPanel("body"),
        FieldRowPanel([FieldPanel("video"), FieldPanel("duration_seconds")]),
        FieldPanel("document"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("课时")

    def __str__(self) -> str:
        return self.title

    def clean(self):
        if self.kind == LessonKind.VIDEO and not (
            self.video_id and self.duration_seconds
        ):
            raise ValidationError(_("视频课时须上传视频文件并填写时长。"))


class QuizQuestion(Orderable):
    """A choice question. `options` holds one option per line (A, B, C ...);
    `answer` the letters of the correct ones ("B" or "ACD")."""

    course = ParentalKey(CoursePage, on_delete=models.CASCADE, related_name="questions")
    prompt = models.CharField(_("题目"), max_length=300)
    options = models.TextField(_("选项（每行一个）"))
    answer = models.CharField(_("正确答案（字母，如 B 或 ACD）"), max_length=10)
    points = models.PositiveSmallIntegerField(_("分值"), default=1)

    panels = [
        FieldPanel("prompt"),
        FieldPanel("options"),
        FieldRowPanel([FieldPanel("answer"), FieldPanel("points")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("测验题")

    def __str__(self) -> str:
        return self.prompt

    @property
    def option_list(self) -> list[tuple[str, str]]:
        lines = [line.strip() for line in self.options.splitlines() if line.strip()]
        return [(chr(ord("A") + i), text) for i, text in enumerate(lines)]

    @property
    def answer_letters(self) -> frozenset[str]:
        return frozenset(self.answer.upper().replace(" ", "").replace(",", ""))

    @property
    def is_multiple(self) -> bool:
        return len(self.answer_letters) > 1

    def clean(self):
        letters = {letter for letter, _text in self.option_list}
        if len(letters) < 2:
            raise ValidationError({"options": _("至少需要两个选项。")})
        if not self.answer_letters or not self.answer_letters <= letters:
            raise ValidationError(
                {
                    "answer": _("正确答案须是选项中的字母（%(l)s）。")
                    % {"l": "".join(sorted(letters))}
                }
            )


def session_code() -> str:
    # Named in migrations as the field default; the code comes from attendance.
    return attendance.code_new()


class CourseSession(Orderable):
    """An offline or live session of a course, with a check-in code shown on
    the trainer's screen (as digits and as a QR code)."""

    course = ParentalKey(CoursePage, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(_("场次名称"), max_length=120)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点或直播链接"), max_length=200)
    capacity = models.PositiveIntegerField(_("名额"), null=True, blank=True)
    code = models.CharField(max_length=6, default=session_code, editable=False)

    panels = [
        FieldPanel("title"),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldPanel("place"),
        FieldPanel("capacity"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("场次")

    def __str__(self) -> str:
        return self.title

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("结束时间须晚于开始时间。")})


# A running campaign whose worker has not reported for this long is taken to
# have died (a killed worker never reaches the task's except block) and may be
# claimed again: its enrolments so far stand, nobody is enrolled twice.
CAMPAIGN_STALE_AFTER = datetime.timedelta(seconds=settings.JOB_STALE_SECONDS)


class Campaign(models.Model):
    """寒暑假研修 and the like: every teacher of an organisation enrolled in a
    set of courses by one action, run in the background."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    title = models.CharField(_("项目名称"), max_length=120)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("参训单位"),
    )
    courses = models.ManyToManyField(
        CoursePage, related_name="campaigns", verbose_name=_("课程")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    enrolled = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Moved on by the worker with every batch; a running campaign whose
    # heartbeat stops is one whose worker died.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("研修项目")
        verbose_name_plural = _("研修项目")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(self.processed * 100 / self.total) if self.total else 0

    @property
    def stalled(self) -> bool:
        """Running, but the worker has not reported for a while."""
        return (
            self.status == self.Status.RUNNING
            and self.heartbeat_at is not None
            and timezone.now() - self.heartbeat_at > CAMPAIGN_STALE_AFTER
        )


class Enrolment(models.Model):
    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("学习中")
        COMPLETED = "completed", _("已结业")

    course = models.ForeignKey(
        CoursePage, on_delete=models.CASCADE, related_name="enrolments"
    )
    teacher = models.ForeignKey(
        "accounts.TeacherProfile", on_delete=models.CASCADE, related_name="enrolments"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.ENROLLED
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrolments",
    )
    enrolled_at = models.DateTimeField(auto_now_add=True)
    # What the completion rule reads, kept in step by the services.
    lessons_done = models.PositiveSmallIntegerField(default=0)
    quiz_passed = models.BooleanField(default=False)
    assignment_passed = models.BooleanField(default=False)
    sessions_attended = models.PositiveSmallIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    credit_record_id = models.BigIntegerField(null=True, blank=True)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        verbose_name = _("选课")
        verbose_name_plural = _("选课")
        ordering = ["-enrolled_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "teacher"], name="one_enrolment_per_course"
            ),
        ]
        indexes = [models.Index(fields=["teacher", "-enrolled_at"])]

    def __str__(self) -> str:
        return f"{self.teacher_id}@{self.course_id}"


class LessonProgress(models.Model):
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="progress"
    )
    lesson = models.ForeignKey(CourseLesson, on_delete=models.CASCADE, related_name="+")
    # Video: the furthest point reached without skipping ahead.
    watched_seconds = models.PositiveIntegerField(default=0)
    last_report_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "lesson"], name="one_progress_per_lesson"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id}:{self.lesson_id}"


class QuizAttempt(models.Model):
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    answers = models.JSONField()
    score = models.PositiveIntegerField()
    max_score = models.PositiveIntegerField()
    passed = models.BooleanField()
    submitted_at = models.DateTimeField(auto_now_add=True)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.enrolment_id}: {self.score}/{self.max_score}"


def submission_path(instance, filename: str) -> str:
    return (
        f"submissions/{instance.enrolment.course_id}/{secrets.token_hex(8)}/{filename}"
    )


class Submission(models.Model):
    """A teacher's assignment for one enrolment (resubmitted in place after it
    is returned for revision). Offline scores imported from a spreadsheet land
    here too, with no text or file."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待批改")
        RETURNED = "returned", _("退回修改")
        GRADED = "graded", _("已评分")

    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.CASCADE, related_name="submission"
    )
    text = models.TextField(_("作业内容"), blank=True)
    file = models.FileField(
        _("附件"), upload_to=submission_path, storage=private_storage, blank=True
    )
    file_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    revision = models.PositiveSmallIntegerField(default=1)
    offline = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    passed = models.BooleanField(null=True)
    criterion_scores = models.JSONField(default=dict, blank=True)
    feedback = models.TextField(_("评语"), blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    graded_at = models.DateTimeField(null=True, blank=True)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        verbose_name = _("作业")
        verbose_name_plural = _("作业")
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.enrolment} · {self.get_status_display()}"


class GradeChange(models.Model):
    """Every change to a submission's grade or status: who, when, old, new.
    Written only by the services; never edited."""

    class Source(models.TextChoices):
        RUBRIC = "rubric", _("量规评分")
        RETURN = "return", _("退回修改")
        IMPORT = "import", _("线下成绩导入")

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="changes"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    old_status = models.CharField(
        max_length=10, blank=True, choices=Submission.Status.choices
    )
    new_status = models.CharField(max_length=10, choices=Submission.Status.choices)
    old_score = models.DecimalField(max_digits=6, decimal_places=1, null=True)
    new_score = models.DecimalField(max_digits=6, decimal_places=1, null=True)
    note = models.CharField(max_length=200, blank=True)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        verbose_name = _("成绩变更记录")
        verbose_name_plural = _("成绩变更记录")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.old_score} -> {self.new_score}"


class SessionRegistration(models.Model):
    session = models.ForeignKey(
        CourseSession, on_delete=models.CASCADE, related_name="registrations"
    )
    teacher = models.ForeignKey(
        "accounts.TeacherProfile",
        on_delete=models.CASCADE,
        related_name="session_registrations",
    )
    registered_at = models.DateTimeField(auto_now_add=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        ordering = ["registered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "teacher"], name="one_session_registration"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.teacher_id}@{self.session_id}"
