"""A studio that has endorsed keeps its signing identity: its page cannot be
deleted (its endorsements must keep verifying), only unpublished. Said in the
admin instead of the error a protected row would raise."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from wagtail import hooks

from .models import Issuer


def _endorsing_studios(pages) -> list[int]:
    ids = set()
    for page in pages:
        ids.add(page.pk)
        ids.update(page.get_descendants().values_list("pk", flat=True))
    return list(
        Issuer.objects.filter(studio_id__in=ids).values_list("studio_id", flat=True)
    )


def _refuse(request, page):
    messages.error(
        request,
        _(
            "工作室“%(title)s”已签发背书，删除后这些背书将无法核验，因此不能删除；如需下线，请取消发布。"
        )
        % {"title": page.title},
    )
    return redirect("wagtailadmin_explore", page.get_parent().pk)


@hooks.register("before_delete_page")
def keep_endorsing_studios(request, page):
    if _endorsing_studios([page]):
        return _refuse(request, page)
    return None


@hooks.register("before_bulk_action")
def keep_endorsing_studios_in_bulk(request, action_type, objects, action_class):
    if action_type != "delete":
        return None
    pages = [o for o in objects if hasattr(o, "get_descendants")]
    found = set(_endorsing_studios(pages))
    if found:
        page = next((p for p in pages if p.pk in found), pages[0])
        return _refuse(request, page)
    return None
