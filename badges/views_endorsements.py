"""Studio leaders' endorsements: the leader's list of her members'
credentials, the endorse form, an endorsement's public page and JSON, and its
withdrawal (after a confirmation page)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cms.shared.errors import ApplicationError
from cms.studios import selectors as studio_selectors

from . import services
from .models import Endorsement, IssuedCredential
from .verify import verify_credential
from .views import JSON_LD, _json


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_GET
def endorse_members(request):
    """A leader's members' credentials, each with her endorsement or a button."""
    studios = studio_selectors.studios_led_live(request.user)
    if not studios:
        raise PermissionDenied
    wanted = _int(request.GET.get("studio"))
    studio = next((s for s in studios if s.pk == wanted), studios[0])
    q = request.GET.get("q", "").strip()
    credentials = (
        IssuedCredential.objects.filter(
            teacher_id__in=studio_selectors.member_teacher_ids(studio=studio),
            kind=IssuedCredential.Kind.BADGE,
            revoked_at__isnull=True,
        )
        .select_related("teacher__school")
        .only(
            "uid",
            "name",
            "issued_at",
            "teacher__real_name",
            "teacher__school__name",
        )
        .order_by("teacher__real_name", "-issued_at", "-id")
    )
    if q:
        credentials = credentials.filter(
            Q(teacher__real_name__contains=q) | Q(name__contains=q)
        )
    page = Paginator(credentials, 30).get_page(request.GET.get("page"))
    mine = {
        e.credential_id: e
        for e in Endorsement.objects.filter(
            credential__in=[c.pk for c in page.object_list],
            endorser=request.user,
            revoked_at__isnull=True,
        )
    }
    rows = [(c, mine.get(c.pk)) for c in page.object_list]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "badges/endorse_members.html",
        {
            "studios": studios,
            "studio": studio,
            "page": page,
            "rows": rows,
            "q": q,
            "querystring": params.urlencode(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def credential_endorse(request, uid):
    credential = get_object_or_404(
        IssuedCredential.objects.select_related("teacher__school"), uid=uid
    )
    studios = services.endorsement_studios(user=request.user, credential=credential)
    if not studios:
        raise PermissionDenied
    current = (
        Endorsement.objects.filter(
            credential=credential, endorser=request.user, revoked_at__isnull=True
        )
        .select_related("issuer")
        .first()
    )
    error = None
    comment = current.comment if current else ""
    studio_id = current.studio_id if current else studios[0].pk
    if request.method == "POST":
        comment = request.POST.get("comment", "")
        studio_id = _int(request.POST.get("studio")) or studios[0].pk
        studio = next((s for s in studios if s.pk == studio_id), None)
        try:
            endorsement = services.endorsement_issue(
                credential=credential, studio=studio, by=request.user, comment=comment
            )
        except ApplicationError as exc:
            error = str(exc)
        else:
            messages.success(
                request,
                _("已为“%(name)s”背书，背书证书已签发。") % {"name": credential.name},
            )
            return redirect(endorsement.get_absolute_url())
    return render(
        request,
        "badges/endorse_form.html",
        {
            "c": credential,
            "studios": studios,
            "studio_id": studio_id,
            "comment": comment,
            "current": current,
            "error": error,
            "max_length": services.ENDORSEMENT_COMMENT_MAX,
        },
        status=400 if error else 200,
    )


def _endorsement(uid) -> Endorsement:
    return get_object_or_404(
        Endorsement.objects.select_related(
            "issuer", "studio", "credential__teacher", "revoked_by"
        ),
        uid=uid,
    )


@require_GET
def endorsement_public(request, uid):
    """An endorsement's share link: what it endorses and the live check."""
    endorsement = _endorsement(uid)
    return render(
        request,
        "badges/endorsement.html",
        {
            "e": endorsement,
            "report": verify_credential(endorsement.document),
            "may_withdraw": endorsement.revoked_at is None
            and services.endorsement_may_withdraw(
                user=request.user, endorsement=endorsement
            ),
        },
    )


@require_GET
def endorsement_json(request, uid):
    endorsement = _endorsement(uid)
    return _json(
        endorsement.document,
        content_type=JSON_LD,
        filename=f"endorsement-{endorsement.uid}.json",
    )


@login_required
@require_http_methods(["GET", "POST"])
def endorsement_withdraw(request, uid):
    endorsement = _endorsement(uid)
    if not services.endorsement_may_withdraw(
        user=request.user, endorsement=endorsement
    ):
        raise PermissionDenied
    if endorsement.revoked_at is not None:
        messages.info(request, _("这条背书已撤回，无需重复操作。"))
        return redirect(endorsement.get_absolute_url())
    if request.method == "POST":
        services.endorsement_withdraw(
            endorsement=endorsement,
            by=request.user,
            reason=request.POST.get("reason", ""),
        )
        messages.success(
            request,
            _("已撤回对“%(name)s”的背书，核验时将显示为已撤销。")
            % {"name": endorsement.credential.name},
        )
        return redirect(endorsement.get_absolute_url())
    return render(request, "badges/endorsement_withdraw.html", {"e": endorsement})
