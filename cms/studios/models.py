"""双名 studios (名师/名校长工作室): Wagtail pages for the studios and what they
publish, a review task for the publishing workflow, and plain models for
members, activities and attendance."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page, Task, TaskState

from cms.shared import attendance
from cms.shared.pagecache import TeacherDataQuerySet
from cms.shared.storage import private_storage
from cms.shared.versioned import VersionedQuerySet


class StudioKind(models.TextChoices):
    TEACHER = "名师", _("名师工作室")
    PRINCIPAL = "名校长", _("名校长工作室")


class StudioIndexPage(Page):
    intro = models.TextField(_("导语"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["studios.StudioPage"]
    max_count = 1

    class Meta:
        verbose_name = _("工作室目录")

    def get_context(self, request, *args, **kwargs):
        from .selectors import StudioFilters, studio_index

        context = super().get_context(request, *args, **kwargs)
        context.update(studio_index(self, StudioFilters.from_request(request)))
        return context


class StudioPage(Page):
    kind = models.CharField(_("类型"), max_length=8, choices=StudioKind.choices)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="led_studios",
        verbose_name=_("主持人"),
    )
    region = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="studios",
        verbose_name=_("所属地区或学校"),
    )
    subject = models.CharField(_("学科"), max_length=16, blank=True)
    research_direction = models.CharField(_("研究方向"), max_length=200, blank=True)
    intro = RichTextField(_("工作室简介"), blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("kind"),
        FieldPanel("leader"),
        FieldPanel("region"),
        FieldPanel("subject"),
        FieldPanel("research_direction"),
        FieldPanel("intro"),
    ]
    parent_page_types = ["studios.StudioIndexPage"]
    subpage_types = ["studios.StudioArticlePage", "studios.StudioResourcePage"]

    class Meta:
        verbose_name = _("工作室")

    def get_context(self, request, *args, **kwargs):
        from cms.accounts.guards import teacher_or_none
        from cms.shared.pagecache import depends_on, studio_dependency

        from .selectors import studio_home

        depends_on(request, studio_dependency(self.path))  # resource views
        context = super().get_context(request, *args, **kwargs)
        context.update(
            studio_home(self, user=request.user, teacher=teacher_or_none(request))
        )
        return context


class ArticleKind(models.TextChoices):
    ESSAY = "研修文章", _("研修文章")
    CASE = "教学案例", _("教学案例")
    LESSON = "课例", _("课例")


class StudioArticlePage(Page):
    kind = models.CharField(_("类型"), max_length=8, choices=ArticleKind.choices)
    summary = models.CharField(_("摘要"), max_length=300, blank=True)
    body = RichTextField(_("正文"))
    indicators = ParentalManyToManyField(
        "training.Competency",
        blank=True,
        related_name="+",
        verbose_name=_("对应素养指标"),
    )

    content_panels = Page.content_panels + [
        FieldPanel("kind"),
        FieldPanel("summary"),
        FieldPanel("body"),
        FieldPanel("indicators"),
    ]
    parent_page_types = ["studios.StudioPage"]
    subpage_types: list = []

    class Meta:
        verbose_name = _("工作室文章")


class ResourceKind(models.TextChoices):
    PLAN = "教案", _("教案")
    SLIDES = "课件", _("课件")
    DESIGN = "教学设计", _("教学设计")
    VIDEO = "视频", _("视频")


def resource_path(instance, filename: str) -> str:
    return f"studios/{secrets.token_hex(8)}-{filename[-80:]}"


class StudioResourcePage(Page):
    kind = models.CharField(_("类型"), max_length=8, choices=ResourceKind.choices)
    description = models.TextField(_("说明"), blank=True)
    file = models.FileField(storage=private_storage, upload_to=resource_path)
    file_name = models.CharField(max_length=200)
    subject = models.CharField(_("学科"), max_length=16, blank=True)
    grade_band = models.CharField(_("学段"), max_length=16, blank=True)
    indicators = ParentalManyToManyField(
        "training.Competency",
        blank=True,
        related_name="+",
        verbose_name=_("对应素养指标"),
    )
    views = models.PositiveIntegerField(default=0, editable=False)
    downloads = models.PositiveIntegerField(default=0, editable=False)

    content_panels = Page.content_panels + [
        FieldPanel("kind"),
        FieldPanel("description"),
        FieldPanel("subject"),
        FieldPanel("grade_band"),
        FieldPanel("indicators"),
    ]
    parent_page_types = ["studios.StudioPage"]
    subpage_types: list = []

    class Meta:
        verbose_name = _("工作室资源")

    def serve(self, request, *args, **kwargs):
        from cms.shared import pagecache

        pagecache.not_cacheable(request)  # each view counts
        StudioResourcePage.objects.filter(pk=self.pk).update(
            views=models.F("views") + 1
        )
        # The studio's home shows its resources' views.
        pagecache.bump(pagecache.studio_dependency(self.path[: -self.steplen]))
        # Her portrait counts the views of what she published.
        pagecache.user_changed(self.owner_id)
        return super().serve(request, *args, **kwargs)


class StudioReviewTask(Task):
    """Review before publication: by the studio's leader for what her members
    write, and by a district reviewer (HR over the studio's region) or a
    platform admin for what the leader writes herself."""

    class Meta:
        verbose_name = _("工作室发布审核")

    def _studio(self, obj):
        return StudioPage.objects.ancestor_of(obj).first()

    @staticmethod
    def may_review(user, studio, author_id) -> bool:
        """The rule itself, given the piece's studio and author (no queries
        beyond the user's cached roles)."""
        from cms.accounts import scoping

        if not getattr(user, "is_authenticated", False) or studio is None:
            return False
        if scoping.is_platform_admin(user):
            return True
        if studio.leader_id == user.pk and author_id != user.pk:
            return True
        region_path = studio.region.path
        return any(region_path.startswith(org.path) for org in scoping.hr_scopes(user))

    def user_can_review(self, obj, user) -> bool:
        return self.may_review(user, self._studio(obj), obj.owner_id)

    def reviewable_for(self, user) -> list[tuple]:
        """(task state, page, studio) for every piece waiting on this task that
        the user may review, with a fixed number of queries."""
        states = list(
            self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS)
            .select_related("workflow_state")
            .order_by("started_at")
        )
        page_ids = [int(s.workflow_state.object_id) for s in states]
        pages = Page.objects.filter(pk__in=page_ids).specific().in_bulk()
        parent_paths = {p.path[: -Page.steplen] for p in pages.values()}
        studios = {
            st.path: st
            for st in StudioPage.objects.filter(path__in=parent_paths).select_related(
                "region"
            )
        }
        out = []
        for state in states:
            page = pages.get(int(state.workflow_state.object_id))
            if page is None:
                continue
            studio = studios.get(page.path[: -Page.steplen])
            if self.may_review(user, studio, page.owner_id):
                out.append((state, page, studio))
        return out

    def user_can_access_editor(self, obj, user):
        return self.user_can_review(obj, user)

    def locked_for_user(self, obj, user):
        return not self.user_can_review(obj, user)

    def get_actions(self, obj, user):
        if self.user_can_review(obj, user):
            return [
                ("reject", _("退回修改"), True),
                ("approve", _("通过并发布"), False),
            ]
        return []

    def get_task_states_user_can_moderate(self, user, **kwargs):
        ids = [state.pk for state, _page, _studio in self.reviewable_for(user)]
        return TaskState.objects.filter(pk__in=ids)

    @classmethod
    def get_description(cls):
        return _(
            "工作室主持人审核成员的稿件；主持人本人的稿件由所在区县的审核人员审核。"
        )


# Version of every figure counted over many teachers' studio memberships and
# check-ins (the 驾驶舱): bumped by any write to either table
# (cms/shared/versioned.py; the signals are connected in cms/studios/apps.py).
PARTICIPATION_VERSION = "studio-participation"


class ParticipationQuerySet(VersionedQuerySet, TeacherDataQuerySet):
    versions = (PARTICIPATION_VERSION,)


class Membership(models.Model):
    class Role(models.TextChoices):
        LEADER = "leader", _("主持人")
        BACKBONE = "backbone", _("骨干成员")
        FOLLOWER = "follower", _("学员")

    class Status(models.TextChoices):
        APPLIED = "applied", _("待审核")
        ACTIVE = "active", _("在册")
        DECLINED = "declined", _("未通过")
        ENDED = "ended", _("已结业")

    studio = models.ForeignKey(
        StudioPage, on_delete=models.CASCADE, related_name="memberships"
    )
    teacher = models.ForeignKey(
        "accounts.TeacherProfile",
        on_delete=models.CASCADE,
        related_name="studio_memberships",
    )
    role = models.CharField(
        _("身份"), max_length=10, choices=Role.choices, default=Role.FOLLOWER
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.APPLIED
    )
    message = models.CharField(_("申请说明"), max_length=300, blank=True)
    reply = models.CharField(_("回复"), max_length=300, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    # Updates and bulk writes bump her pages' cached fragments, and the
    # version of the figures over many teachers' participation.
    objects = ParticipationQuerySet.as_manager()

    class Meta:
        ordering = ["studio_id", "role", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "teacher"],
                condition=models.Q(status__in=["applied", "active"]),
                name="one_open_membership",
            )
        ]

    def __str__(self) -> str:
        return f"{self.teacher_id}@{self.studio_id}"


class ActivityKind(models.TextChoices):
    PREP = "集体备课", _("集体备课")
    OBSERVE = "听评课", _("听评课")
    OPEN = "公开课", _("公开课")
    LECTURE = "专题讲座", _("专题讲座")
    CONTEST = "教学比赛", _("教学比赛")


def check_in_code() -> str:
    # Named in migrations as the field default; the code comes from attendance.
    return attendance.code_new()


class Activity(models.Model):
    studio = models.ForeignKey(
        StudioPage, on_delete=models.CASCADE, related_name="activities"
    )
    title = models.CharField(_("活动名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=8, choices=ActivityKind.choices)
    online = models.BooleanField(_("线上活动"), default=False)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    link = models.URLField(_("线上链接"), blank=True)
    capacity = models.PositiveIntegerField(_("名额"), default=50)
    hours = models.DecimalField(_("学时"), max_digits=4, decimal_places=1, default=2)
    needs_reflection = models.BooleanField(_("需提交研修反思"), default=False)
    indicators = models.ManyToManyField(
        "training.Competency",
        blank=True,
        related_name="+",
        verbose_name=_("对应素养指标"),
    )
    code = models.CharField(max_length=6, default=check_in_code)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title


class Registration(models.Model):
    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="registrations"
    )
    teacher = models.ForeignKey(
        "accounts.TeacherProfile",
        on_delete=models.CASCADE,
        related_name="activity_registrations",
    )
    registered_at = models.DateTimeField(auto_now_add=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    reflection = models.TextField(_("研修反思"), blank=True)
    assessment = models.CharField(
        max_length=10,
        blank=True,
        choices=[("pass", _("合格")), ("fail", _("不合格"))],
    )
    credited = models.BooleanField(default=False)

    # Updates and bulk writes bump her pages' cached fragments, and the
    # version of the figures over many teachers' participation.
    objects = ParticipationQuerySet.as_manager()

    class Meta:
        ordering = ["registered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "teacher"], name="one_registration"
            )
        ]

    def __str__(self) -> str:
        return f"{self.teacher_id}@{self.activity_id}"
