"""Competency frameworks (JY/T 0646-2022 and any other), the self-assessment
instrument, and teachers' attempts and results.

Frameworks and instruments are data. An instrument version is frozen once a
teacher has started it: revising one creates the next version, so results keep
pointing at the items and scoring model they were taken on."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cms.shared.pagecache import TeacherDataQuerySet
from cms.shared.versioned import VersionedQuerySet

# Version of every figure counted over many teachers' results (the 驾驶舱,
# the assessment distribution): bumped by any write to the results
# (cms/shared/versioned.py; the signals are connected in training/apps.py).
RESULTS_VERSION = "assessment-results"


class Framework(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    standard_number = models.CharField(_("标准编号"), max_length=40, blank=True)
    publisher = models.CharField(_("发布机构"), max_length=120, blank=True)
    issued = models.DateField(_("发布日期"), null=True, blank=True)
    source = models.TextField(_("来源说明"), blank=True)
    description = models.TextField(_("简介"), blank=True)

    class Meta:
        verbose_name = _("能力框架")
        verbose_name_plural = _("能力框架")

    def __str__(self) -> str:
        return f"{self.standard_number or self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("framework_detail", args=[self.code])


class Competency(models.Model):
    """A dimension (level 1), sub-dimension (level 2) or indicator (level 3)."""

    class Level(models.IntegerChoices):
        DIMENSION = 1, _("一级维度")
        SUBDIMENSION = 2, _("二级维度")
        INDICATOR = 3, _("三级指标")

    framework = models.ForeignKey(
        Framework, on_delete=models.CASCADE, related_name="competencies"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices)
    code = models.CharField(_("编号"), max_length=20)
    name = models.CharField(_("名称"), max_length=120)
    name_en = models.CharField(_("英文名称"), max_length=160, blank=True)
    description = models.TextField(_("说明"), blank=True)
    sort_key = models.CharField(max_length=40, editable=False)

    class Meta:
        verbose_name = _("维度或指标")
        verbose_name_plural = _("维度与指标")
        ordering = ["framework_id", "sort_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "code"], name="unique_competency_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        self.sort_key = competency_sort_key(self.code)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("competency_detail", args=[self.framework.code, self.code])

    @property
    def uri_code(self) -> str:
        """The stable identifier other systems align to, e.g. JYT0646-2022:3.3.2."""
        return f"{self.framework.code.upper()}:{self.code}"


def competency_sort_key(code: str) -> str:
    return ".".join(part.zfill(3) for part in code.split("."))


class Instrument(models.Model):
    """One version of a self-assessment. `levels` names the five proficiency
    levels; `scoring` holds weights and cut points (see training/scoring.py)."""

    framework = models.ForeignKey(
        Framework, on_delete=models.PROTECT, related_name="instruments"
    )
    family = models.SlugField(_("测评代码"), max_length=40)
    version = models.PositiveIntegerField(_("版本"))
    title = models.CharField(_("标题"), max_length=120)
    instructions = models.TextField(_("作答说明"), blank=True)
    levels = models.JSONField(_("水平等级"))
    scoring = models.JSONField(_("计分模型"))
    is_current = models.BooleanField(_("当前版本"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("测评工具")
        verbose_name_plural = _("测评工具")
        constraints = [
            models.UniqueConstraint(
                fields=["family", "version"], name="unique_instrument_version"
            ),
            models.UniqueConstraint(
                fields=["family"],
                condition=models.Q(is_current=True),
                name="one_current_instrument_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（第 {self.version} 版）"

    def level_name(self, value: int) -> str:
        for level in self.levels:
            if level["value"] == value:
                return level["name"]
        return ""


class InstrumentItem(models.Model):
    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="items"
    )
    indicator = models.ForeignKey(
        Competency,
        on_delete=models.PROTECT,
        related_name="items",
        limit_choices_to={"level": Competency.Level.INDICATOR},
    )
    position = models.PositiveSmallIntegerField()
    prompt = models.CharField(_("题干"), max_length=200)
    descriptors = models.JSONField(_("各水平描述"))

    class Meta:
        verbose_name = _("测评题目")
        verbose_name_plural = _("测评题目")
        ordering = ["instrument_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "position"], name="unique_item_position"
            ),
        ]

    def __str__(self) -> str:
        return self.prompt


class AssessmentAttempt(models.Model):
    """A teacher taking one instrument version. Answers are saved as she goes;
    submitting scores it exactly once."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("作答中")
        SUBMITTED = "submitted", _("已提交")

    teacher = models.ForeignKey(
        "accounts.TeacherProfile",
        on_delete=models.CASCADE,
        related_name="assessment_attempts",
    )
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="attempts"
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.IN_PROGRESS
    )
    step = models.PositiveSmallIntegerField(default=1)
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        verbose_name = _("测评作答")
        verbose_name_plural = _("测评作答")
        constraints = [
            models.UniqueConstraint(
                fields=["teacher"],
                condition=models.Q(status="in_progress"),
                name="one_open_attempt_per_teacher",
            ),
        ]
        indexes = [models.Index(fields=["teacher", "status", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.teacher} · {self.instrument} · {self.get_status_display()}"


class AssessmentAnswer(models.Model):
    attempt = models.ForeignKey(
        AssessmentAttempt, on_delete=models.CASCADE, related_name="answers"
    )
    item = models.ForeignKey(InstrumentItem, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "item"], name="one_answer_per_item"
            ),
            models.CheckConstraint(
                condition=models.Q(value__gte=1, value__lte=5),
                name="answer_value_in_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}={self.value}"


class ResultQuerySet(VersionedQuerySet, TeacherDataQuerySet):
    versions = (RESULTS_VERSION,)


class AssessmentResult(models.Model):
    """The scored outcome of a submitted attempt. `scores` holds the score and
    level for every indicator, sub-dimension and dimension, keyed by code."""

    attempt = models.OneToOneField(
        AssessmentAttempt, on_delete=models.CASCADE, related_name="result"
    )
    teacher = models.ForeignKey(
        "accounts.TeacherProfile",
        on_delete=models.CASCADE,
        related_name="assessment_results",
    )
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="results"
    )
    overall_score = models.DecimalField(max_digits=4, decimal_places=2)
    overall_level = models.PositiveSmallIntegerField()
    scores = models.JSONField()
    term = models.CharField(_("学期"), max_length=12)
    submitted_at = models.DateTimeField()
    # The teacher's most recent result: what organisation views count.
    is_latest = models.BooleanField(default=True)

    # Updates and bulk writes bump her pages' cached fragments, and the
    # version of the figures over many teachers' results.
    objects = ResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("测评结果")
        verbose_name_plural = _("测评结果")
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["teacher", "-submitted_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["teacher"],
                condition=models.Q(is_latest=True),
                name="one_latest_result_per_teacher",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.teacher} · {self.term} · {self.overall_score}"


class LearningResource(models.Model):
    """A course, studio activity or resource offered to teachers, aligned to
    indicators, that the self-assessment report can recommend. Platform admins
    curate these in the Wagtail admin; catalogue courses join them as the
    catalogue lands."""

    class Kind(models.TextChoices):
        COURSE = "course", _("课程")
        ACTIVITY = "activity", _("工作室活动")
        RESOURCE = "resource", _("学习资源")

    title = models.CharField(_("标题"), max_length=160)
    kind = models.CharField(
        _("类型"), max_length=10, choices=Kind.choices, default=Kind.COURSE
    )
    provider = models.CharField(_("提供方"), max_length=120, blank=True)
    url = models.URLField(_("链接"), blank=True)
    summary = models.TextField(_("简介"), blank=True)
    hours = models.DecimalField(
        _("学时"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    indicators = models.ManyToManyField(
        Competency,
        related_name="learning_resources",
        verbose_name=_("对应指标"),
        limit_choices_to={"level": Competency.Level.INDICATOR},
    )
    is_active = models.BooleanField(_("上架"), default=True)

    class Meta:
        verbose_name = _("推荐学习资源")
        verbose_name_plural = _("推荐学习资源")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title
