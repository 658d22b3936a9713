"""API clients, tokens, the call log, webhooks and exchange batches.

Secrets are never stored: a client secret is kept as a password hash, an
access token as its SHA-256, and a webhook signing secret is derived from
SECRET_KEY (or API_WEBHOOK_KEY) and the subscription's id when needed."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    ORGANISATIONS_READ = "organisations:read", _("读取组织机构")
    TEACHERS_READ = "teachers:read", _("读取教师")
    TEACHERS_WRITE = "teachers:write", _("批量新增或更新教师")
    CREDITS_READ = "credits:read", _("读取学分记录与学时证明")
    CREDITS_APPEND = "credits:append", _("追加学分记录（培训机构）")
    CREDENTIALS_READ = "credentials:read", _("读取证书")
    CREDENTIALS_REVOKE = "credentials:revoke", _("撤销证书")
    COURSES_READ = "courses:read", _("读取课程目录")
    ENROLMENTS_READ = "enrolments:read", _("读取选课")
    ENROLMENTS_WRITE = "enrolments:write", _("为教师报名课程")
    ASSESSMENT_READ = "assessment:read", _("读取测评汇总")
    WEBHOOKS = "webhooks", _("管理事件订阅")


# What a personal token may do: read the person's own data, nothing else.
PERSONAL_SCOPES = [
    Scope.TEACHERS_READ,
    Scope.CREDITS_READ,
    Scope.CREDENTIALS_READ,
    Scope.COURSES_READ,
    Scope.ENROLMENTS_READ,
]


class ApiClient(models.Model):
    """A system that calls the API (a district HR system, a training provider,
    the provincial platform). It acts as a service account holding the HR role
    over its organisation, so every resource is scoped exactly like the pages."""

    name = models.CharField(_("名称"), max_length=120)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="api_clients",
        verbose_name=_("所属机构"),
    )
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_client",
        editable=False,
    )
    client_id = models.CharField(
        _("客户端编号"), max_length=40, unique=True, editable=False
    )
    secret_hash = models.CharField(max_length=200, editable=False)
    scopes = models.JSONField(_("权限范围"), default=list)
    allowed_kinds = models.JSONField(
        _("可追加的学习类型"),
        default=list,
        blank=True,
        help_text=_("培训机构登记的学习类型；只有这些类型的学分记录可以追加。"),
    )
    provider_code = models.SlugField(
        _("机构登记代码"),
        max_length=40,
        blank=True,
        help_text=_("培训机构在平台登记的代码，用于区分其记录编号。"),
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        _("每分钟调用上限"), default=600
    )
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口客户端")
        verbose_name_plural = _("接口客户端")

    def __str__(self) -> str:
        return f"{self.name}（{self.client_id}）"


class AccessToken(models.Model):
    """A bearer token: issued to a client by the token endpoint, or a person's
    own personal token. Only the SHA-256 of the token is kept."""

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    client = models.ForeignKey(
        ApiClient,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tokens",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="personal_api_tokens",
        help_text="set for a personal token",
    )
    name = models.CharField(_("名称"), max_length=80, blank=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("访问令牌")
        verbose_name_plural = _("访问令牌")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(client__isnull=True) ^ models.Q(user__isnull=True),
                name="api_token_client_xor_user",
            )
        ]

    def __str__(self) -> str:
        return self.name or f"token {self.pk}"


class ApiCall(models.Model):
    """One call to the API, with who made it."""

    client = models.ForeignKey(
        ApiClient, on_delete=models.SET_NULL, null=True, related_name="calls"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()
    duration_ms = models.PositiveIntegerField()
    ip = models.GenericIPAddressField(null=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("接口调用记录")
        verbose_name_plural = _("接口调用记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"


class WebhookEvent(models.TextChoices):
    CREDIT_RECORDED = "credit.recorded", _("学分已记录")
    CREDENTIAL_ISSUED = "credential.issued", _("证书已签发")
    CREDENTIAL_REVOKED = "credential.revoked", _("证书已撤销")
    TEACHER_IMPORTED = "teacher.imported", _("教师已导入")


class WebhookSubscription(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        ApiClient, on_delete=models.CASCADE, related_name="subscriptions"
    )
    url = models.URLField(_("接收地址"), max_length=400)
    events = models.JSONField(_("事件"), default=list)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("事件订阅")
        verbose_name_plural = _("事件订阅")

    def __str__(self) -> str:
        return f"{self.client.name} → {self.url}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("已放弃")

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response = models.TextField(blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("事件推送")
        verbose_name_plural = _("事件推送")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="one_delivery_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription.url} ({self.status})"


class WebhookAttempt(models.Model):
    """Each try of a delivery, with the receiver's answer."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"


class ExchangeBatch(models.Model):
    """One period's credit records of one organisation, as sent to the
    provincial platform. The batch id and each row's record id are stable, so
    sending a batch again never duplicates on the far side."""

    class Status(models.TextChoices):
        BUILT = "built", _("已生成")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    batch_id = models.CharField(max_length=80, unique=True)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    record_count = models.PositiveIntegerField(default=0)
    last_seq = models.PositiveBigIntegerField(default=0)
    jsonl = models.TextField(blank=True)
    csv = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices)
    sends = models.PositiveIntegerField(default=0)
    receipt = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("省平台交换批次")
        verbose_name_plural = _("省平台交换批次")
        ordering = ["-period_start", "organisation_id"]

    def __str__(self) -> str:
        return self.batch_id
