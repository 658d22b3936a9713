from django.contrib import admin

from cms.shared.admin_base import ReadOnlyAdmin

from .models import (
    AchievementDefinition,
    Endorsement,
    IssuedCredential,
    Issuer,
    IssuerKey,
    TrustedIssuer,
)


class IssuerKeyInline(admin.TabularInline):
    model = IssuerKey
    extra = 0
    fields = ["key_id", "public_key_multibase", "status", "created_at", "retired_at"]
    readonly_fields = ["key_id", "public_key_multibase", "created_at", "retired_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # keys are made with `manage.py credential_key_generate`


@admin.register(Issuer)
class IssuerAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "organisation", "studio"]
    inlines = [IssuerKeyInline]
    autocomplete_fields = []
    # A studio's issuer is made by its first endorsement, never by hand.
    readonly_fields = ["studio"]


@admin.register(AchievementDefinition)
class AchievementDefinitionAdmin(admin.ModelAdmin):
    list_display = ["name", "source_type", "source_id", "achievement_type"]
    search_fields = ["name", "source_type", "source_id"]
    filter_horizontal = ["competencies"]


@admin.register(IssuedCredential)
class IssuedCredentialAdmin(ReadOnlyAdmin):
    list_display = ["name", "teacher", "kind", "issued_at", "revoked_at"]
    list_filter = ["kind"]
    search_fields = ["teacher__real_name", "teacher__staff_number", "name"]


@admin.register(Endorsement)
class EndorsementAdmin(ReadOnlyAdmin):
    list_display = ["credential", "issuer", "endorser", "issued_at", "revoked_at"]
    search_fields = ["credential__name", "credential__teacher__real_name", "comment"]


@admin.register(TrustedIssuer)
class TrustedIssuerAdmin(admin.ModelAdmin):
    """The issuer trust registry: external issuers the verify page calls
    "本平台认可的签发方". The platform's own issuers need no entry."""

    list_display = ["name", "did", "active", "updated_at"]
    list_filter = ["active"]
    search_fields = ["name", "did"]
    fields = ["did", "name", "note", "did_document", "active"]
