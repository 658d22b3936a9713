from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from credits.selectors import learning_kind_choices

from .models import (
    AccessToken,
    ApiCall,
    ApiClient,
    ExchangeBatch,
    Scope,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from .services import api_client_create, api_client_revoke, api_client_rotate_secret


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("权限范围"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    allowed_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("可追加的学习类型"),
        choices=learning_kind_choices(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = ApiClient
        fields = [
            "name",
            "organisation",
            "scopes",
            "allowed_kinds",
            "provider_code",
            "rate_limit_per_minute",
            "active",
        ]

    def clean_organisation(self):
        org = self.cleaned_data["organisation"]
        if org.kind not in ("school", "district", "city", "centre"):
            raise forms.ValidationError(_("客户端须属于学校、区县、市或教师发展中心。"))
        if self.instance.pk and org.pk != self.instance.organisation_id:
            raise forms.ValidationError(_("客户端的所属机构不能更改，请新建客户端。"))
        return org


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ("name", "client_id", "organisation", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "client_id")
    readonly_fields = ("client_id", "created_at", "revoked_at")
    actions = ["revoke", "rotate_secret"]

    def save_model(self, request, obj, form, change):
        if change:
            if not obj.active and obj.revoked_at is None:
                super().save_model(request, obj, form, change)
                api_client_revoke(client=obj)
                return
            super().save_model(request, obj, form, change)
            return
        client, secret = api_client_create(
            name=obj.name,
            organisation=obj.organisation,
            scopes=form.cleaned_data["scopes"],
            allowed_kinds=form.cleaned_data.get("allowed_kinds") or [],
            provider_code=obj.provider_code,
            rate_limit_per_minute=obj.rate_limit_per_minute,
        )
        obj.pk = client.pk
        obj.client_id = client.client_id
        messages.warning(
            request,
            _("客户端编号 %(id)s，密钥 %(secret)s —— 密钥只显示这一次，请立即复制。")
            % {"id": client.client_id, "secret": secret},
        )

    @admin.action(description=gettext_lazy("停用所选客户端（立即生效）"))
    def revoke(self, request, queryset):
        for client in queryset:
            api_client_revoke(client=client)
        messages.success(request, _("已停用 %(n)d 个客户端。") % {"n": len(queryset)})

    @admin.action(description=gettext_lazy("重新生成密钥"))
    def rotate_secret(self, request, queryset):
        for client in queryset:
            secret = api_client_rotate_secret(client=client)
            messages.warning(
                request,
                _("%(id)s 的新密钥：%(secret)s —— 只显示这一次。")
                % {"id": client.client_id, "secret": secret},
            )


@admin.register(AccessToken)
class AccessTokenAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "client",
        "user",
        "created_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    readonly_fields = ("client", "user", "name", "scopes", "created_at", "expires_at")

    def has_add_permission(self, request):
        return False


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    list_display = ("at", "client", "user", "method", "path", "status", "duration_ms")
    list_filter = ("status", "method", "client")
    search_fields = ("path",)
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label=gettext_lazy("接收地址"), max_length=400, assume_scheme="https"
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("事件"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookSubscription
        fields = ["client", "url", "events", "active"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("client", "url", "active", "created_at")

    def save_model(self, request, obj, form, change):
        from .webhooks import UnsafeUrl, check_url, subscription_secret

        try:
            check_url(obj.url)
        except UnsafeUrl as exc:
            messages.error(request, str(exc))
            obj.active = False
        super().save_model(request, obj, form, change)
        if not change:
            messages.warning(
                request,
                _("签名密钥：%(s)s —— 只显示这一次。")
                % {"s": subscription_secret(obj)},
            )


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("at", "status_code", "response", "error")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "event",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "delivered_at",
    )
    list_filter = ("status", "event")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields if f.name != "id"]
    inlines = [AttemptInline]

    def has_add_permission(self, request):
        return False


@admin.register(ExchangeBatch)
class ExchangeBatchAdmin(admin.ModelAdmin):
    list_display = (
        "batch_id",
        "organisation",
        "period_start",
        "record_count",
        "status",
        "sends",
        "sent_at",
    )
    list_filter = ("status",)
    readonly_fields = [f.name for f in ExchangeBatch._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False
