"""People, the organisation tree and roles: the identity layer every app imports."""

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from cms.shared.pagecache import TeacherDataQuerySet


class User(AbstractUser):
    """A login. Teachers sign in with their email; the username is internal."""

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    @property
    def display_name(self) -> str:
        profile = getattr(self, "teacher_profile", None)
        if profile is not None:
            return profile.real_name
        return self.get_full_name() or self.email or self.username


def user_display(user) -> str:
    """How allauth names a user in messages ("以 林晓 成功登录")."""
    return user.display_name


class OrganisationKind(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    DISTRICT = "district", _("区县")
    SCHOOL = "school", _("学校")
    CENTRE = "centre", _("教师发展中心")
    OTHER = "other", _("其他")


class Organisation(MP_Node):
    """A node of the province > city > district > school tree (any depth).

    The materialised path makes "everything under this district" one indexed
    prefix query, which the scoping helpers rely on."""

    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=16, choices=OrganisationKind.choices)
    code = models.CharField(
        _("机构代码"),
        max_length=32,
        unique=True,
        null=True,
        blank=True,
        help_text=_("统一社会信用代码或教育部学校标识码，可留空。"),
    )

    node_order_by = None

    class Meta:
        verbose_name = _("组织机构")
        verbose_name_plural = _("组织机构")

    def __str__(self) -> str:
        return self.name

    def move(self, target, pos=None):
        # Treebeard rewrites the paths with raw SQL: no signal fires.
        super().move(target, pos)
        from . import scopecache

        scopecache.teachers_changed()

    @property
    def is_school(self) -> bool:
        return self.kind == OrganisationKind.SCHOOL


class Subject(models.TextChoices):
    CHINESE = "语文", _("语文")
    MATHS = "数学", _("数学")
    ENGLISH = "英语", _("英语")
    PHYSICS = "物理", _("物理")
    CHEMISTRY = "化学", _("化学")
    BIOLOGY = "生物", _("生物")
    HISTORY = "历史", _("历史")
    GEOGRAPHY = "地理", _("地理")
    ETHICS = "道德与法治", _("道德与法治")
    SCIENCE = "科学", _("科学")
    IT = "信息科技", _("信息科技")
    MUSIC = "音乐", _("音乐")
    ART = "美术", _("美术")
    PE = "体育与健康", _("体育与健康")
    LABOUR = "劳动", _("劳动")
    PSYCHOLOGY = "心理健康", _("心理健康")
    PRACTICE = "综合实践活动", _("综合实践活动")
    OTHER = "其他", _("其他")


class GradeBand(models.TextChoices):
    PRESCHOOL = "学前", _("学前")
    PRIMARY = "小学", _("小学")
    JUNIOR = "初中", _("初中")
    SENIOR = "高中", _("高中")
    VOCATIONAL = "中职", _("中职")


class ProfessionalTitle(models.TextChoices):
    NONE = "未定级", _("未定级")
    THIRD = "三级教师", _("三级教师")
    SECOND = "二级教师", _("二级教师")
    FIRST = "一级教师", _("一级教师")
    SENIOR = "高级教师", _("高级教师")
    PROFESSOR = "正高级教师", _("正高级教师")


class CareerStage(models.TextChoices):
    NEW = "新任", _("新任教师")
    GROWING = "成长", _("成长期教师")
    BACKBONE = "骨干", _("骨干教师")
    EXPERT = "专家", _("专家型教师")


# Value -> label (lazy, so in the language of the request that reads it).
_SUBJECT_LABELS = dict(Subject.choices)
_GRADE_BAND_LABELS = dict(GradeBand.choices)
_TITLE_LABELS = dict(ProfessionalTitle.choices)


class TeacherProfileQuerySet(TeacherDataQuerySet):
    """Updates and bulk writes of profiles (which fire no signal) also bump
    the version of what HR pages keep per organisation scope (names, schools
    and the order of their lists: `scopecache.TEACHERS`), whoever calls them:
    the import, erasure, the seeds and demo data."""

    def update(self, **kwargs):
        count = super().update(**kwargs)
        if count:
            _teachers_changed()
        return count

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = super().bulk_create(objs, *args, **kwargs)
        _teachers_changed()
        return objs

    bulk_create.alters_data = True

    def bulk_update(self, objs, fields, *args, **kwargs):
        count = super().bulk_update(objs, fields, *args, **kwargs)
        _teachers_changed()
        return count

    bulk_update.alters_data = True


def _teachers_changed() -> None:
    from . import scopecache

    scopecache.teachers_changed()


class TeacherProfile(models.Model):
    """A teacher's record at her school. Keyed by staff number for imports.

    The national ID number is kept only as a keyed hash (to match people across
    imports) and its last four characters (to show a masked form)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="teacher_profile",
    )
    real_name = models.CharField(_("姓名"), max_length=64)
    staff_number = models.CharField(_("工号"), max_length=32, unique=True)
    school = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="teachers",
        verbose_name=_("学校"),
    )
    subjects = models.JSONField(_("任教学科"), default=list, blank=True)
    grade_bands = models.JSONField(_("任教学段"), default=list, blank=True)
    professional_title = models.CharField(
        _("职称"),
        max_length=16,
        choices=ProfessionalTitle.choices,
        default=ProfessionalTitle.NONE,
    )
    career_stage = models.CharField(
        _("发展阶段"),
        max_length=8,
        choices=CareerStage.choices,
        default=CareerStage.GROWING,
    )
    national_id_hash = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    national_id_last4 = models.CharField(max_length=4, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Updates and bulk writes bump her pages' cached fragments, and the HR
    # pages' kept lists.
    objects = TeacherProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("教师档案")
        verbose_name_plural = _("教师档案")
        indexes = [models.Index(fields=["school", "real_name"])]

    def __str__(self) -> str:
        return f"{self.real_name}（{self.staff_number}）"

    @property
    def subject_labels(self) -> list[str]:
        # A dict built once: `Subject.values` builds a list on every access,
        # and a list of 50 teachers asks for it a hundred times.
        return [str(_SUBJECT_LABELS.get(v, v)) for v in self.subjects]

    @property
    def grade_band_labels(self) -> list[str]:
        return [str(_GRADE_BAND_LABELS.get(v, v)) for v in self.grade_bands]

    @property
    def professional_title_label(self) -> str:
        """As get_professional_title_display(), without the dict of every
        choice (hashing each lazy label) that it builds on every call."""
        return str(_TITLE_LABELS.get(self.professional_title, self.professional_title))

    @property
    def national_id_masked(self) -> str:
        if not self.national_id_last4:
            return ""
        return "*" * 14 + self.national_id_last4


class Role(models.TextChoices):
    TEACHER = "teacher", _("教师")
    STUDIO_LEADER = "studio_leader", _("工作室主持人")
    TRAINER = "trainer", _("培训者")
    HR = "hr", _("人事管理员")
    PLATFORM_ADMIN = "platform_admin", _("平台管理员")


class RoleAssignment(models.Model):
    """One role held by one person, optionally scoped to an organisation.

    HR roles are scoped to one school or one district: they see the teachers of
    that organisation and everything below it, and nothing else."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("管辖范围"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "organisation"], name="unique_role_per_scope"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(organisation__isnull=True),
                name="unique_unscoped_role",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="hr") | models.Q(organisation__isnull=False),
                name="hr_role_has_scope",
            ),
        ]

    def __str__(self) -> str:
        scope = f" @ {self.organisation}" if self.organisation_id else ""
        return f"{self.user} – {self.get_role_display()}{scope}"


class TeacherImport(models.Model):
    """One uploaded roster, from preview to applied. Rows are kept normalised so
    that confirming applies exactly what the preview showed."""

    class Status(models.TextChoices):
        PARSING = "parsing", _("检查中")
        PREVIEW = "preview", _("待确认")
        INVALID = "invalid", _("有错误")
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices)
    rows = models.JSONField(default=list)
    errors = models.JSONField(default=list)
    # A large file waiting for a worker to read and check it; emptied then.
    upload = models.BinaryField(null=True, blank=True, editable=False)
    total_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Why applying failed (shown with a retry button); the sweeper
    # (cms/shared/jobs.py) re-queues an import whose worker died.
    error = models.CharField(max_length=300, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("教师导入")
        verbose_name_plural = _("教师导入")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class Notification(models.Model):
    """An on-site message for one user (reminders, review results)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(max_length=200, blank=True)
    key = models.CharField(
        max_length=120,
        blank=True,
        help_text="dedupes repeated sends, e.g. reminder:2026-11",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    # Writes that fire no signal bump her "user:<pk>" version too.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=~models.Q(key=""),
                name="one_notification_per_key",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class TwoFactorDevice(Authenticator):
    """allauth's authenticator under a Chinese name in the Django admin."""

    class Meta:
        proxy = True
        verbose_name = _("两步验证设备")
        verbose_name_plural = _("两步验证设备")
