"""Issuers, their keys, status lists and the credentials we have signed.

Private keys are never stored here: only public keys, so the DID documents can
keep listing retired keys (old credentials still verify) after the private half
is gone from the secret file.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cms.shared.pagecache import TeacherDataQuerySet

STATUS_LIST_SIZE = 131_072  # entries per list: the minimum the spec allows


class Issuer(models.Model):
    """Who signs credentials: the platform (no organisation, no studio), an
    organisation (say, a district's 教师发展中心, whose teachers' credit
    credentials it signs) or a studio (it signs only its leader's
    endorsements). Each has a did:web identity."""

    organisation = models.OneToOneField(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issuer",
        verbose_name=_("组织机构"),
        help_text=_("留空表示平台本身。该机构及其下属学校教师的学分证书由它签发。"),
    )
    studio = models.OneToOneField(
        "studios.StudioPage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issuer",
        verbose_name=_("工作室"),
        help_text=_("工作室的签发身份只用于主持人的背书，由系统在首次背书时创建。"),
    )
    slug = models.SlugField(
        _("标识"),
        max_length=40,
        unique=True,
        help_text=_("出现在 DID 中，例如 did:web:主机:issuers:标识；创建后请勿修改。"),
    )
    name = models.CharField(_("名称"), max_length=120)
    # The did:web identity it was created with. Every credential it signs
    # names it, so it never follows a later change of the site's address.
    did = models.CharField(
        "DID", max_length=200, unique=True, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("证书签发方")
        verbose_name_plural = _("证书签发方")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.did:
            from .keys import did_for_new_issuer

            self.did = did_for_new_issuer(self)
        super().save(*args, **kwargs)

    @property
    def is_platform(self) -> bool:
        return self.organisation_id is None and self.studio_id is None

    @property
    def is_studio(self) -> bool:
        return self.studio_id is not None


class IssuerKey(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("使用中")
        RETIRED = "retired", _("已轮换")
        COMPROMISED = "compromised", _("已泄露")

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="keys")
    key_id = models.CharField(_("密钥编号"), max_length=40)
    public_key_multibase = models.CharField(max_length=80, unique=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("签发密钥")
        verbose_name_plural = _("签发密钥")
        ordering = ["issuer_id", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "key_id"], name="issuer_key_id"),
            models.UniqueConstraint(
                fields=["issuer"],
                condition=models.Q(status="active"),
                name="one_active_key_per_issuer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issuer.slug}#{self.key_id}"


class StatusList(models.Model):
    """One W3C Bitstring Status List (revocation) of an issuer.

    ``allocated`` marks indexes given out (chosen at random, so an index says
    nothing about when or to whom a credential was issued); ``revoked`` is the
    published bitstring. Both are STATUS_LIST_SIZE bits, leftmost bit first."""

    issuer = models.ForeignKey(
        Issuer, on_delete=models.PROTECT, related_name="status_lists"
    )
    number = models.PositiveIntegerField()
    allocated = models.BinaryField()
    allocated_count = models.PositiveIntegerField(default=0)
    revoked = models.BinaryField()
    version = models.PositiveIntegerField(default=1)
    signed = models.JSONField(null=True, blank=True)
    signed_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "number"], name="status_list_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.issuer.slug}/{self.number}"


class AchievementDefinition(models.Model):
    """What a credential says was achieved: one per course, activity or award
    kind, with a stable id, so every award of it points at the same Achievement.

    Source apps (courses, studios) keep theirs up to date; an admin can add or
    align one for any ledger source. Without one, a record gets a plain
    achievement derived from the record itself."""

    source_type = models.CharField(max_length=60)
    source_id = models.CharField(max_length=60, blank=True)
    slug = models.SlugField(_("标识"), max_length=80, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    description = models.TextField(_("简介"))
    criteria = models.TextField(_("获得条件"))
    achievement_type = models.CharField(
        _("成就类型"),
        max_length=40,
        default="Course",
        help_text=_("Open Badges 成就类型，例如 Course、Award、Certificate。"),
    )
    credits_available = models.DecimalField(
        _("学时"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    competencies = models.ManyToManyField(
        "training.Competency",
        blank=True,
        verbose_name=_("对应素养指标"),
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("成就定义")
        verbose_name_plural = _("成就定义")
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id"], name="achievement_source"
            )
        ]

    def __str__(self) -> str:
        return self.name


class IssuedCredential(models.Model):
    class Kind(models.TextChoices):
        BADGE = "badge", "OpenBadgeCredential"
        CLR = "clr", "ClrCredential"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # One credential per ledger record, and one CLR per transcript: the unique
    # constraints are what makes issuing exactly-once under retries.
    record = models.OneToOneField(
        "credits.CreditRecord",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credential",
    )
    transcript = models.OneToOneField(
        "credits.Transcript",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credential",
    )
    teacher = models.ForeignKey(
        "accounts.TeacherProfile", on_delete=models.PROTECT, related_name="credentials"
    )
    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="+")
    key = models.ForeignKey(IssuerKey, on_delete=models.PROTECT, related_name="+")
    achievement_slug = models.CharField(max_length=80, blank=True)
    name = models.CharField(max_length=240)
    status_list = models.ForeignKey(
        StatusList, on_delete=models.PROTECT, null=True, related_name="+"
    )
    status_index = models.PositiveIntegerField(null=True)
    document = models.JSONField()
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoke_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        verbose_name = _("已签发证书")
        verbose_name_plural = _("已签发证书")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["status_list", "status_index"], name="credential_status_slot"
            )
        ]
        indexes = [models.Index(fields=["teacher", "-issued_at"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("credential_public", args=[self.uid])


class Endorsement(models.Model):
    """A studio leader's Open Badges 3.0 EndorsementCredential of a member's
    credential, signed by the studio's issuer. A signed document never
    changes: a new comment revokes the old endorsement and issues a new one,
    so at most one per leader and credential is live (not revoked)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    credential = models.ForeignKey(
        IssuedCredential, on_delete=models.PROTECT, related_name="endorsements"
    )
    # The endorsed credential's id as the document states it (urn:uuid:...).
    endorsed_id = models.CharField(max_length=300)
    studio = models.ForeignKey(
        "studios.StudioPage", on_delete=models.PROTECT, related_name="+"
    )
    endorser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="+")
    key = models.ForeignKey(IssuerKey, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(_("背书意见"))
    status_list = models.ForeignKey(
        StatusList, on_delete=models.PROTECT, related_name="+"
    )
    status_index = models.PositiveIntegerField()
    document = models.JSONField()
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoke_reason = models.CharField(_("撤回原因"), max_length=200, blank=True)

    # Updates and bulk writes bump her pages' cached fragments.
    objects = TeacherDataQuerySet.as_manager()

    class Meta:
        verbose_name = _("背书")
        verbose_name_plural = _("背书")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["credential", "endorser"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_live_endorsement_per_leader",
            ),
            models.UniqueConstraint(
                fields=["status_list", "status_index"],
                name="endorsement_status_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.studio_id} → {self.credential_id}"

    def get_absolute_url(self) -> str:
        return reverse("endorsement_public", args=[self.uid])


class TrustedIssuer(models.Model):
    """An issuer outside this platform whose credentials the platform vouches
    for, e.g. another province's credit bank. The platform's own issuers (its
    did:web and the district centres registered as ``Issuer``) are recognised
    without an entry here; any other issuer is "signature valid, issuer not
    recognised", however it names itself."""

    did = models.CharField(
        _("DID"),
        max_length=300,
        unique=True,
        help_text=_(
            "签发方在证书 issuer.id 中使用的标识，例如 did:web:credit.example.gov.cn 或 did:key:z6Mk…。"
        ),
    )
    name = models.CharField(
        _("名称"),
        max_length=120,
        help_text=_("核验页上显示的登记名称，例如“某省终身学习学分银行”。"),
    )
    note = models.TextField(
        _("认可依据"),
        blank=True,
        help_text=_("为什么认可这个签发方（协议、文件编号等），供其他管理员查看。"),
    )
    did_document = models.JSONField(
        _("DID 文档"),
        null=True,
        blank=True,
        help_text=_(
            "did:web 签发方的 DID 文档（JSON），从对方正式渠道取得后粘贴在此；"
            "本平台核验时不联网，没有它就无法核验 did:web 签发方的签名。did:key 无需填写。"
        ),
    )
    active = models.BooleanField(
        _("认可中"), default=True, help_text=_("取消勾选即停止认可，保留记录。")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("认可的外部签发方")
        verbose_name_plural = _("认可的外部签发方")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.did}）"

    def clean(self):
        from django.core.exceptions import ValidationError

        did = (self.did or "").strip()
        self.did = did
        if not did.startswith("did:") or any(c.isspace() for c in did) or "#" in did:
            raise ValidationError(
                {
                    "did": _(
                        "请填写 DID，例如 did:web:example.org，不含 # 及其后的部分。"
                    )
                }
            )
        document = self.did_document
        if document in ("", {}):
            self.did_document = None
        elif document is not None:
            if not isinstance(document, dict) or document.get("id") != did:
                raise ValidationError(
                    {
                        "did_document": _(
                            "DID 文档应当是 JSON 对象，且其 id 与上面的 DID 相同。"
                        )
                    }
                )
