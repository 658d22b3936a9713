"""The credit bank: rules as versioned data, and the append-only ledger.

Every record carries the hash of the record before it (one chain for the whole
ledger, ordered by `seq`), so changing, removing, inserting or reordering any
record out of band breaks the chain; `manage.py ledger_verify` finds where.
On PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE on the table; the
head row is sealed with the same key, and signed checkpoints written outside
the database (credits/checkpoints.py) catch a ledger rolled back past them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cms.shared.pagecache import TeacherDataQuerySet
from cms.shared.storage import private_storage

from . import data


# The values live in credits.data (what other apps import); these add labels.
class LearningKind(models.TextChoices):
    ONLINE_COURSE = data.LearningKind.ONLINE_COURSE.value, _("线上课程")
    OFFLINE_TRAINING = data.LearningKind.OFFLINE_TRAINING.value, _("线下培训")
    STUDIO_ACTIVITY = data.LearningKind.STUDIO_ACTIVITY.value, _("工作室研修活动")
    SCHOOL_BASED = data.LearningKind.SCHOOL_BASED.value, _("校本研修")
    COMPETITION = data.LearningKind.COMPETITION.value, _("教学竞赛获奖")
    RECOGNITION = data.LearningKind.RECOGNITION.value, _("校外学习认定")


class CreditCategory(models.TextChoices):
    GENERAL = data.CreditCategory.GENERAL.value, _("通识")
    SUBJECT = data.CreditCategory.SUBJECT.value, _("学科")
    ETHICS = data.CreditCategory.ETHICS.value, _("思政师德")
    MENTAL_HEALTH = data.CreditCategory.MENTAL_HEALTH.value, _("心理健康")
    IT = data.CreditCategory.IT.value, _("信息技术应用")
    OTHER = data.CreditCategory.OTHER.value, _("其他")


class CreditRuleSet(models.Model):
    """How a region values learning, from a date on. A record is valued by the
    rule set in force, for the teacher's region, on the day it was earned.

    `config` holds:
      conversion: {kind: 学分 per 学时}
      annual_caps: {category: 学时 per calendar year}
      cycle: {years, start_year, hours, min_hours_per_year, quotas: {category: share}}
      outside: how credentials other platforms issued convert (credits/conversion.py)"""

    region = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_rule_sets",
        verbose_name=_("适用地区"),
        help_text=_("留空表示全平台默认规则。"),
    )
    name = models.CharField(_("名称"), max_length=120)
    effective_from = models.DateField(_("生效日期"))
    config = models.JSONField(_("规则内容"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("学分规则")
        verbose_name_plural = _("学分规则")
        ordering = ["-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "effective_from"], name="one_rule_set_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.effective_from} 起）"

    def clean(self):
        from django.core.exceptions import ValidationError

        config = self.config if isinstance(self.config, dict) else {}
        errors = []
        if not isinstance(config.get("conversion"), dict):
            errors.append(_("缺少 conversion（各类学习每学时折合的学分）。"))
        else:
            unknown = set(config["conversion"]) - set(LearningKind.values)
            if unknown:
                errors.append(
                    _("conversion 中有未知的学习类型：%(k)s")
                    % {"k": "、".join(sorted(unknown))}
                )
        cycle = config.get("cycle")
        if not isinstance(cycle, dict) or not {"years", "start_year", "hours"} <= set(
            cycle
        ):
            errors.append(_("cycle 需要 years、start_year 和 hours。"))
        caps = config.get("annual_caps", {})
        if not isinstance(caps, dict) or set(caps) - set(CreditCategory.values):
            errors.append(_("annual_caps 只能按已有类别设置上限。"))
        from .conversion import validate_outside

        errors.extend(validate_outside(config.get("outside")))
        if errors:
            raise ValidationError({"config": errors})


class CreditRecord(models.Model):
    teacher = models.ForeignKey(
        "accounts.TeacherProfile",
        on_delete=models.PROTECT,
        related_name="credit_records",
    )
    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    idempotency_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(_("学习类型"), max_length=20, choices=LearningKind.choices)
    category = models.CharField(
        _("类别"), max_length=12, choices=CreditCategory.choices
    )
    source_type = models.CharField(max_length=60)
    source_id = models.CharField(max_length=60, blank=True)
    source_title = models.CharField(_("学习内容"), max_length=200)
    raw_hours = models.DecimalField(max_digits=6, decimal_places=1)
    hours = models.DecimalField(_("学时"), max_digits=6, decimal_places=1)
    credits = models.DecimalField(_("学分"), max_digits=7, decimal_places=2)
    earned_on = models.DateField(_("获得日期"))
    rule_set = models.ForeignKey(
        CreditRuleSet, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField()
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        verbose_name = _("学分记录")
        verbose_name_plural = _("学分记录")
        ordering = ["seq"]
        indexes = [models.Index(fields=["teacher", "earned_on"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.source_title} {self.hours}学时"


class LedgerHead(models.Model):
    """The single row that serialises appends: the last seq and hash, sealed
    by `mac` (an HMAC with the ledger key) so it cannot be rewritten to match a
    ledger cut short."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    mac = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("账本链头")

    def __str__(self) -> str:
        return f"head seq {self.seq}"


class Transcript(models.Model):
    """An issued transcript: what it listed is fixed by a digest over the
    ledger hashes of its records, so the public verify page can tell whether the
    ledger still holds exactly those records."""

    teacher = models.ForeignKey(
        "accounts.TeacherProfile", on_delete=models.PROTECT, related_name="transcripts"
    )
    code = models.CharField(_("验证码"), max_length=12, unique=True)
    cycle_start = models.PositiveSmallIntegerField()
    cycle_end = models.PositiveSmallIntegerField()
    record_count = models.PositiveIntegerField()
    last_seq = models.PositiveBigIntegerField(
        help_text="the ledger position it was issued at"
    )
    total_hours = models.DecimalField(max_digits=8, decimal_places=1)
    total_credits = models.DecimalField(max_digits=8, decimal_places=2)
    digest = models.CharField(max_length=64)
    issued_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        verbose_name = _("学时证明")
        verbose_name_plural = _("学时证明")

    def __str__(self) -> str:
        return f"{self.code} {self.teacher}"


def evidence_path(instance, filename: str) -> str:
    import uuid
    from pathlib import PurePath

    return f"recognition/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:10]}"


class RecognitionRequest(models.Model):
    """Learning done elsewhere that a teacher asks to have recognised (学分认定)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已认定")
        REJECTED = "rejected", _("未通过")

    teacher = models.ForeignKey(
        "accounts.TeacherProfile",
        on_delete=models.PROTECT,
        related_name="recognition_requests",
    )
    title = models.CharField(_("学习内容"), max_length=200)
    provider = models.CharField(_("举办单位"), max_length=120)
    category = models.CharField(
        _("类别"), max_length=12, choices=CreditCategory.choices
    )
    hours_claimed = models.DecimalField(_("申请学时"), max_digits=5, decimal_places=1)
    earned_on = models.DateField(_("完成日期"))
    evidence = models.FileField(
        _("证明材料"), upload_to=evidence_path, storage=private_storage
    )
    evidence_name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("审核意见"), max_length=300, blank=True)
    record = models.OneToOneField(
        CreditRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A request made from a credential another platform issued: the credential
    # it came from, what it says, and how the rule set converted it.
    outside = models.ForeignKey(
        "OutsideCredential",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
    )
    credential_id = models.CharField(max_length=500, null=True, blank=True)
    content_hash = models.CharField(max_length=64, null=True, blank=True)
    indicators = models.JSONField(default=list, blank=True)
    conversion = models.JSONField(default=dict, blank=True)
    flagged = models.BooleanField(
        _("需人工核实"),
        default=False,
        help_text=_("签发方未经本平台认可，或有检查未能完成。"),
    )

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        verbose_name = _("学分认定申请")
        verbose_name_plural = _("学分认定申请")
        ordering = ["-created_at"]
        constraints = [
            # One achievement credential is counted once, for whoever brings
            # it first: by its id, and by its content (a copy re-signed under
            # another id).
            models.UniqueConstraint(
                fields=["credential_id"],
                condition=models.Q(credential_id__isnull=False),
                name="outside_credential_counted_once",
            ),
            models.UniqueConstraint(
                fields=["content_hash"],
                condition=models.Q(content_hash__isnull=False),
                name="outside_content_counted_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.teacher} · {self.title}"


class OutsideCredential(models.Model):
    """A credential another platform issued (an Open Badges 3.0 credential or a
    CLR 2.0 transcript) that a teacher brought: what the verifier found, and the
    document as submitted. Each achievement in it is a RecognitionRequest."""

    class Kind(models.TextChoices):
        BADGE = "badge", _("开放徽章证书")
        CLR = "clr", _("综合学习记录（CLR）")

    teacher = models.ForeignKey(
        "accounts.TeacherProfile",
        on_delete=models.PROTECT,
        related_name="outside_credentials",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    credential_id = models.CharField(max_length=500)
    name = models.CharField(_("证书名称"), max_length=200)
    issuer_did = models.CharField(max_length=300)
    issuer_name = models.CharField(_("签发方"), max_length=200)
    # The registry entry that vouches for the issuer ("" when none does).
    registry_name = models.CharField(max_length=200, blank=True)
    issuer_recognised = models.BooleanField(default=False)
    verification = models.JSONField(default=dict)
    document = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        verbose_name = _("校外证书")
        verbose_name_plural = _("校外证书")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name}（{self.issuer_name}）"


def export_jobs_dependency(user_id) -> str:
    """The version of what a page keeps of this user's bulk exports (the
    recent ones listed on the compliance page)."""
    return f"export-jobs:{user_id}"


def export_jobs_changed(*user_ids) -> None:
    from cms.shared import pagecache

    deps = {export_jobs_dependency(u) for u in user_ids if u is not None}
    if deps:
        pagecache.bump(*sorted(deps))


class ExportJobQuerySet(models.QuerySet):
    """Updates and bulk writes (which fire no signal: a job's claim, progress,
    failure and retry in cms/shared/jobs.py) bump the version of their users'
    export lists; saves and deletes do through signals (credits/apps.py). An
    update first reads whose jobs it touches (one query)."""

    def update(self, **kwargs):
        users = set(self.values_list("created_by_id", flat=True).distinct())
        count = super().update(**kwargs)
        if count:
            export_jobs_changed(*users)
        return count

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = super().bulk_create(objs, *args, **kwargs)
        export_jobs_changed(*{obj.created_by_id for obj in objs})
        return objs

    bulk_create.alters_data = True

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        count = super().bulk_update(objs, fields, *args, **kwargs)
        export_jobs_changed(*{obj.created_by_id for obj in objs})
        return count

    bulk_update.alters_data = True


class ExportJob(models.Model):
    """One HR bulk export of transcripts (a PDF per teacher and an XLSX summary
    in a ZIP). The rows are the export log: who, when, which organisation."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scope = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("范围"),
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", blank=True, storage=private_storage)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Moved on as the export goes; the sweeper (cms/shared/jobs.py) re-queues a job
    # whose heartbeat stopped, up to JOB_MAX_ATTEMPTS tries.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("学时证明批量导出")
        verbose_name_plural = _("学时证明批量导出")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.scope} {self.created_at:%Y-%m-%d %H:%M}"


class CreditYearTotal(models.Model):
    """Hours and credits per teacher and calendar year, kept in step with the
    ledger by every append (under the same lock). Derived data: HR lists read it
    instead of summing a million records, and `credit_totals_rebuild` recomputes
    it from the ledger."""

    teacher = models.ForeignKey(
        "accounts.TeacherProfile",
        on_delete=models.CASCADE,
        related_name="credit_year_totals",
    )
    year = models.PositiveSmallIntegerField()
    hours = models.DecimalField(max_digits=8, decimal_places=1, default=0)
    credits = models.DecimalField(max_digits=8, decimal_places=2, default=0)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["teacher", "year"], name="one_total_per_teacher_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.teacher_id} {self.year}: {self.hours}"
