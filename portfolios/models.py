"""一师一像: the teacher portrait and what she adds to it.

``Portrait`` is derived data, recomputed set-based for everyone by a periodic
task (``portfolios.compute``); the rest is hers: goals, evidence and the
reviews she asked for, share links, the log of who viewed her portrait, and
requests to delete her data."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cms.shared.pagecache import TeacherDataQuerySet
from cms.shared.storage import private_storage
from cms.shared.versioned import VersionedQuerySet

# Version of every figure counted over many teachers' portraits (the
# 驾驶舱): bumped by any write to the portraits (a recompute's upserts, an
# erasure; cms/shared/versioned.py, signals connected in portfolios/apps.py).
PORTRAITS_VERSION = "portraits"


class PortraitQuerySet(VersionedQuerySet):
    versions = (PORTRAITS_VERSION,)


class Portrait(models.Model):
    teacher = models.OneToOneField(
        "accounts.TeacherProfile",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="portrait",
    )
    # {dimension code: score 1-5} from her latest self-assessment
    self_dimensions = models.JSONField(default=dict)
    # {indicator code: score} from her latest self-assessment
    self_indicators = models.JSONField(default=dict)
    # {dimension code: score} from reviewed evidence (see compute.py)
    evidence_dimensions = models.JSONField(default=dict)
    evidence_reviews = models.PositiveIntegerField(default=0)
    assessed_at = models.DateTimeField(null=True)
    assessments = models.PositiveIntegerField(default=0)
    cycle_hours = models.DecimalField(max_digits=8, decimal_places=1, default=0)
    credits_behind = models.BooleanField(default=False)
    credentials = models.PositiveIntegerField(default=0)
    goals_open = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    objects = PortraitQuerySet.as_manager()

    def __str__(self) -> str:
        return f"portrait {self.teacher_id}"


class Goal(models.Model):
    teacher = models.ForeignKey(
        "accounts.TeacherProfile", on_delete=models.CASCADE, related_name="goals"
    )
    indicator = models.ForeignKey(
        "training.Competency",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("素养指标"),
    )
    target_level = models.PositiveSmallIntegerField(_("目标水平"))
    due_on = models.DateField(_("计划完成日期"))
    plan = models.TextField(_("计划参加的学习"), blank=True)
    resources = models.ManyToManyField(
        "training.LearningResource",
        blank=True,
        related_name="+",
        verbose_name=_("计划学习资源"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    achieved_at = models.DateTimeField(null=True, blank=True)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"{self.indicator_id} -> {self.target_level}"


def evidence_path(instance, filename: str) -> str:
    return f"portfolio/{instance.teacher_id}/{secrets.token_hex(8)}-{filename[-80:]}"


class Evidence(models.Model):
    class Kind(models.TextChoices):
        LESSON_VIDEO = "lesson_video", _("课堂实录")
        DESIGN = "design", _("教学设计")
        CASE = "case", _("案例报告")
        OTHER = "other", _("其他")

    teacher = models.ForeignKey(
        "accounts.TeacherProfile", on_delete=models.CASCADE, related_name="evidence"
    )
    title = models.CharField(_("标题"), max_length=120)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    description = models.TextField(_("说明"), blank=True)
    file = models.FileField(
        storage=private_storage, upload_to=evidence_path, blank=True
    )
    file_name = models.CharField(max_length=200, blank=True)
    link = models.URLField(_("链接"), blank=True)
    indicators = models.ManyToManyField(
        "training.Competency", related_name="+", verbose_name=_("对应素养指标")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class EvidenceReview(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("待评价")
        DONE = "done", _("已评价")
        DECLINED = "declined", _("已婉拒")

    evidence = models.ForeignKey(
        Evidence, on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="evidence_reviews",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    # {indicator code: level 1-5}, against the level descriptors of the current instrument
    levels = models.JSONField(default=dict, blank=True)
    comment = models.TextField(_("评语"), blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["evidence", "reviewer"],
                condition=models.Q(status="requested"),
                name="one_open_review_per_reviewer",
            )
        ]

    def __str__(self) -> str:
        return f"review {self.pk}"


SECTIONS = [
    ("profile", _("五维画像")),
    ("credits", _("学时学分")),
    ("credentials", _("证书")),
    ("timeline", _("成长时间线")),
    ("goals", _("发展目标")),
    ("evidence", _("成果与评价")),
    ("studios", _("工作室")),
]


class ShareLink(models.Model):
    teacher = models.ForeignKey(
        "accounts.TeacherProfile", on_delete=models.CASCADE, related_name="share_links"
    )
    token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)
    sections = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"share {self.pk}"


class PortraitView(models.Model):
    class Via(models.TextChoices):
        HR = "hr", _("管理人员查看")
        LINK = "link", _("分享链接")
        REVIEWER = "reviewer", _("评价人查看成果")

    teacher = models.ForeignKey(
        "accounts.TeacherProfile",
        on_delete=models.CASCADE,
        related_name="portrait_views",
    )
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    via = models.CharField(max_length=10, choices=Via.choices)
    share_link = models.ForeignKey(
        ShareLink, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    viewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-viewed_at", "-id"]
        indexes = [models.Index(fields=["teacher", "-viewed_at"])]

    def __str__(self) -> str:
        return f"view {self.pk}"


class DeletionRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待处理")
        DONE = "done", _("已处理")

    teacher = models.ForeignKey(
        "accounts.TeacherProfile",
        on_delete=models.CASCADE,
        related_name="deletion_requests",
        verbose_name=_("教师"),
    )
    reason = models.TextField(_("说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        verbose_name = _("数据删除申请")
        verbose_name_plural = _("数据删除申请")

    def __str__(self) -> str:
        return f"deletion request {self.pk}"


class PortraitRun(models.Model):
    """One full recompute of the portraits (nightly, from celery beat), with
    the job life cycle of cms/shared/jobs.py: a run whose worker died is queued again
    by the sweeper (recomputing is idempotent), or marked failed."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    portraits = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("画像重算")
        verbose_name_plural = _("画像重算")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"portrait run {self.pk} ({self.status})"
