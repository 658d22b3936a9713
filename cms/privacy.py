"""Personal data held by the site shell (Wagtail and the Django admin): her
admin preferences, editing sessions, API tokens, subscriptions and temporary
uploads are erased; pages, documents and images she authored, their revisions,
comments, workflow history and audit logs are the site's content and record,
and stay (her name on the account is replaced)."""

from __future__ import annotations

from django.apps import apps
from wagtail.models import Page

from cms.shared.personal_data import (
    PersonalDataHook,
    delete_with_files,
    linked_rows,
    register,
)

SITE_APPS = ("wagtail", "admin")
SITE_RECORD = "the site's content and its history; her name on the account is replaced"


def _site_models():
    for model in apps.get_models():
        label = model._meta.app_label
        if label.startswith(SITE_APPS) or issubclass(model, Page):
            yield model


def export_person(teacher, writer) -> None:
    for model in _site_models():
        writer.rows(linked_rows(model, teacher))


def erase_person(teacher) -> None:
    user_id = teacher.user_id
    profile = apps.get_model("wagtailusers", "UserProfile")
    delete_with_files(profile.objects.filter(user_id=user_id), "avatar")
    uploaded = apps.get_model("wagtailcore", "UploadedFile")
    delete_with_files(uploaded.objects.filter(uploaded_by_user_id=user_id), "file")
    for label in (
        "wagtailadmin.EditingSession",
        "wagtailadmin.FormState",
        "wagtailcore.APIToken",
        "wagtailcore.PageSubscription",
    ):
        apps.get_model(label).objects.filter(user_id=user_id).delete()


register(
    PersonalDataHook(
        app="cms",
        export=export_person,
        erase=erase_person,
        erased=(
            "wagtailusers.userprofile.user",
            "wagtailcore.uploadedfile.uploaded_by_user",
            "wagtailadmin.editingsession.user",
            "wagtailadmin.formstate.user",
            "wagtailcore.apitoken.user",
            "wagtailcore.pagesubscription.user",
        ),
        kept={
            "wagtailcore.page.owner": SITE_RECORD,
            "wagtailcore.page.locked_by": SITE_RECORD,
            "wagtailcore.revision.user": SITE_RECORD,
            "wagtailcore.pagelogentry.user": SITE_RECORD,
            "wagtailcore.modellogentry.user": SITE_RECORD,
            "wagtailcore.workflowstate.requested_by": SITE_RECORD,
            "wagtailcore.taskstate.finished_by": SITE_RECORD,
            "wagtailcore.comment.user": SITE_RECORD,
            "wagtailcore.comment.resolved_by": SITE_RECORD,
            "wagtailcore.commentreply.user": SITE_RECORD,
            "wagtaildocs.document.uploaded_by_user": SITE_RECORD,
            "wagtailimages.image.uploaded_by_user": SITE_RECORD,
            "admin.logentry.user": "the admin audit trail",
        },
        order=90,
    )
)
