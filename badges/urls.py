from django.urls import path

from . import views, views_endorsements

urlpatterns = [
    path(".well-known/did.json", views.platform_did, name="platform_did"),
    path("issuers/<slug:slug>/did.json", views.issuer_did, name="issuer_did"),
    path(
        "credentials/status/<slug:slug>/<int:number>",
        views.status_list,
        name="status_list",
    ),
    path(
        "credentials/achievements/<slug:slug>/",
        views.achievement_detail,
        name="achievement_detail",
    ),
    path(
        "credentials/achievements/<slug:slug>/badge.svg",
        views.achievement_badge,
        name="achievement_badge",
    ),
    path("credentials/", views.my_credentials, name="my_credentials"),
    path(
        "credentials/transcript.clr.json",
        views.my_transcript_clr,
        name="my_transcript_clr",
    ),
    path("credentials/<uuid:uid>/", views.credential_public, name="credential_public"),
    path("credentials/<uuid:uid>.json", views.credential_json, name="credential_json"),
    path(
        "credentials/<uuid:uid>/badge.svg",
        views.credential_badge,
        name="credential_badge",
    ),
    path("credentials/import/", views.outside_import, name="outside_import"),
    path(
        "credentials/<uuid:uid>/endorse/",
        views_endorsements.credential_endorse,
        name="credential_endorse",
    ),
    path(
        "credentials/endorse/",
        views_endorsements.endorse_members,
        name="endorse_members",
    ),
    path(
        "credentials/endorsements/<uuid:uid>/",
        views_endorsements.endorsement_public,
        name="endorsement_public",
    ),
    path(
        "credentials/endorsements/<uuid:uid>.json",
        views_endorsements.endorsement_json,
        name="endorsement_json",
    ),
    path(
        "credentials/endorsements/<uuid:uid>/withdraw/",
        views_endorsements.endorsement_withdraw,
        name="endorsement_withdraw",
    ),
    path("verify/", views.verify_page, name="verify_page"),
    path(
        "verify/transcript/<str:code>/",
        views.transcript_verify,
        name="transcript_verify",
    ),
    path("api/v1/credentials/verify", views.verify_api, name="verify_api"),
    path("org/credentials/", views.org_credentials, name="org_credentials"),
    path(
        "org/credentials/<uuid:uid>/revoke/",
        views.org_credential_revoke,
        name="org_credential_revoke",
    ),
]
