"""Public identity documents, credentials, the verify page and API, and the
teacher's and HR's credential pages."""

from __future__ import annotations

import dataclasses
import hashlib
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from cms.accounts import scoping
from cms.accounts.guards import teacher_required
from cms.shared import ratelimit
from credits import selectors as credit_selectors
from credits import services as credit_services

from . import keys, selectors, services, statuslist
from .badge_svg import badge_svg
from .models import AchievementDefinition, IssuedCredential, Issuer, StatusList
from .trust import TrustRegistry
from .verify import verify_credential

MAX_UPLOAD = 2 * 1024 * 1024
# What one verification request may ask of the server. Checked in this order,
# each far cheaper than the next, before anything is canonicalised:
# body size, JSON nesting depth, number of JSON values, credentials inside.
MAX_DEPTH = 32
MAX_NODES = 12_000
MAX_EMBEDDED = 60
# Time after which the credentials inside a CLR are no longer opened (the CLR
# then reads "not all checked" and is not valid).
VERIFY_BUDGET_SECONDS = 0.45
JSON_LD = "application/ld+json"
_NOT_A_TEACHER = gettext_lazy("只有教师可以导入校外证书。")


def _json(document, *, content_type="application/json", filename=None) -> HttpResponse:
    body = json.dumps(document, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    # Identity documents and credentials are public and read by other sites'
    # verifiers in the browser.
    response["Access-Control-Allow-Origin"] = "*"
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- identity and status ----------------------------------------------------


@require_GET
@cache_control(public=True, max_age=300)
def platform_did(request):
    return _json(
        keys.did_document(keys.platform_issuer()), content_type="application/did+json"
    )


@require_GET
@cache_control(public=True, max_age=300)
def issuer_did(request, slug: str):
    issuer = get_object_or_404(
        Issuer.objects.filter(Q(organisation__isnull=False) | Q(studio__isnull=False)),
        slug=slug,
    )
    return _json(keys.did_document(issuer), content_type="application/did+json")


@require_GET
@cache_control(public=True, max_age=60)
def status_list(request, slug: str, number: int):
    status = get_object_or_404(
        StatusList.objects.select_related("issuer"), issuer__slug=slug, number=number
    )
    try:
        document = statuslist.signed_list(status)
    except keys.SigningKeyMissing:
        # A stale list would hide revocations: say why there is none instead.
        response = JsonResponse(
            {
                "error": "signing_key_unavailable",
                "message": _(
                    "签发方的签名密钥暂不可用，无法出具最新的撤销状态列表；请稍后再试。"
                ),
            },
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
        response["Retry-After"] = "300"
        response["Cache-Control"] = "no-store"
        return response
    return _json(document, content_type="application/vc+ld+json")


# --- achievements -----------------------------------------------------------


def _achievement(slug: str) -> dict:
    definition = (
        AchievementDefinition.objects.filter(slug=slug)
        .prefetch_related("competencies")
        .first()
    )
    issued = (
        IssuedCredential.objects.filter(achievement_slug=slug)
        .only("document")
        .order_by("-id")
        .first()
    )
    if issued is not None:
        return issued.document["credentialSubject"]["achievement"]
    if definition is not None:
        return {
            "name": definition.name,
            "description": definition.description,
            "criteria": {"narrative": definition.criteria},
            "achievementType": definition.achievement_type,
            "creditsAvailable": definition.credits_available,
            "alignment": [
                {"targetName": f"{c.code} {c.name}", "targetUrl": c.get_absolute_url()}
                for c in definition.competencies.all()
            ],
        }
    raise Http404


@require_GET
def achievement_detail(request, slug: str):
    return render(
        request,
        "badges/achievement.html",
        {"a": _achievement(slug), "slug": slug},
    )


@require_GET
@cache_control(public=True, max_age=3600)
def achievement_badge(request, slug: str):
    achievement = _achievement(slug)
    svg = badge_svg(
        name=achievement.get("name", ""),
        achievement_type=achievement.get("achievementType", "Course"),
        hours=achievement.get("creditsAvailable"),
        slug=slug,
    )
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")


# --- a credential -----------------------------------------------------------


# Rendered verification reports, by a digest of everything they show (see
# report_html); bounded, per process.
_REPORT_HTML: dict[str, str] = {}
MAX_REPORTS_KEPT = 2048


def report_html(report) -> str:
    """`badges/_report.html` for `report`, rendered once per process for the
    same report in the same language. The key is a digest of every field of
    the report (its checks and their messages, the summary, the trust entry,
    the credentials inside): the verification itself runs on every view, and
    a report that differs in anything renders afresh."""
    fields = json.dumps(
        [get_language(), dataclasses.asdict(report)],
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    key = hashlib.sha256(fields.encode("utf-8")).hexdigest()
    html = _REPORT_HTML.get(key)
    if html is None:
        html = render_to_string("badges/_report.html", {"report": report})
        if len(_REPORT_HTML) >= MAX_REPORTS_KEPT:
            _REPORT_HTML.clear()
        _REPORT_HTML[key] = html
    # A rendered template is safe HTML (its variables were escaped).
    return mark_safe(html)  # noqa: S308


def _credential(uid, *related: str) -> IssuedCredential:
    rows = IssuedCredential.objects.all()
    if related:  # (select_related() without names would follow every key)
        rows = rows.select_related(*related)
    return get_object_or_404(rows, uid=uid)


@require_GET
def credential_public(request, uid):
    """The share link: what the credential says, checked live. Every check
    runs on every view; what is not read again: its issuer's row (read with
    the credential, handed to the trust registry) and, in this process, the
    canonical form of the stored document (a pure function of it)."""
    # Her profile only for a signed-in visitor (is it hers, may she endorse it).
    signed_in = request.user.is_authenticated
    if signed_in:
        credential = _credential(uid, "issuer", "teacher")
    else:
        credential = selectors.credential_with_issuer(uid)
        if credential is None:
            raise Http404
    report = verify_credential(
        credential.document,
        registry=TrustRegistry().knowing(credential.issuer),
        remember_canonical=True,
    )
    endorsements = selectors.endorsements_in_force(credential)
    context = {
        "c": credential,
        "report": report,
        "report_html": report_html(report),
        "endorsements": endorsements,
        # (Only a signed-in studio leader may.)
        "may_endorse": signed_in
        and bool(
            services.endorsement_studios(user=request.user, credential=credential)
        ),
        "share_url": request.build_absolute_uri(credential.get_absolute_url()),
        "is_owner": signed_in and credential.teacher.user_id == request.user.pk,
    }
    if signed_in:
        body = render_to_string("badges/_credential_body.html", context)
    else:
        body = _visitor_body(context)
    return render(
        request,
        "badges/credential.html",
        {"c": credential, "body": mark_safe(body)},  # noqa: S308
    )


# The share link's page as a visitor who is not signed in sees it, by a
# digest of everything it shows (see _visitor_body); bounded, per process.
_VISITOR_BODIES: dict[str, str] = {}


def _visitor_body(context) -> str:
    """`badges/_credential_body.html` for a visitor who is not signed in
    (not the holder, may not endorse): a function of the credential's shown
    fields, the rendered report, the endorsements shown and the language,
    rendered once per process for the same values of all of them."""
    c = context["c"]
    shown = [
        get_language(),
        str(c.uid),
        c.name,
        c.issuer.name,
        c.issued_at.isoformat() if c.issued_at else None,
        c.revoked_at.isoformat() if c.revoked_at else None,
        c.revoke_reason,
        str(context["report_html"]),
        [
            (str(e.uid), e.issuer.name, e.issued_at.isoformat(), e.comment)
            for e in context["endorsements"]
        ],
    ]
    key = hashlib.sha256(
        json.dumps(shown, ensure_ascii=False, default=str).encode("utf-8")
    ).hexdigest()
    html = _VISITOR_BODIES.get(key)
    if html is None:
        html = render_to_string(
            "badges/_credential_body.html",
            {**context, "may_endorse": False, "is_owner": False},
        )
        if len(_VISITOR_BODIES) >= MAX_REPORTS_KEPT:
            _VISITOR_BODIES.clear()
        _VISITOR_BODIES[key] = html
    return html


@require_GET
def credential_json(request, uid):
    credential = _credential(uid)
    return _json(
        credential.document,
        content_type=JSON_LD,
        filename=f"credential-{credential.uid}.json",
    )


@require_GET
def credential_badge(request, uid):
    credential = _credential(uid)
    if credential.achievement_slug:
        return redirect("achievement_badge", slug=credential.achievement_slug)
    svg = badge_svg(
        name=credential.name, achievement_type="Award", slug=str(credential.uid)
    )
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")


# --- the teacher's own ------------------------------------------------------


def _teacher(request):
    profile = getattr(request.user, "teacher_profile", None)
    if profile is None:
        raise PermissionDenied
    return profile


@login_required
def my_credentials(request):
    teacher = _teacher(request)
    # Records whose credential the worker has not signed yet.
    pending = teacher.credit_records.filter(
        credential__isnull=True,
        reverses__isnull=True,
        reversed_by__isnull=True,
        hours__gt=0,
    ).count()
    credentials = (
        IssuedCredential.objects.filter(teacher=teacher)
        .select_related("record")
        .only(
            "uid",
            "kind",
            "name",
            "issued_at",
            "revoked_at",
            "revoke_reason",
            "record__hours",
            "record__earned_on",
        )
    )
    page = Paginator(credentials, 30).get_page(request.GET.get("page"))
    endorsed = selectors.live_endorsements(
        credential_ids=[c.pk for c in page.object_list]
    )
    for credential in page.object_list:
        credential.live_endorsements = endorsed.get(credential.pk, [])
    return render(
        request,
        "badges/my_credentials.html",
        {"page": page, "pending": pending},
    )


@login_required
def my_transcript_clr(request):
    teacher = _teacher(request)
    transcript, _progress = credit_services.transcript_issue(
        teacher=teacher, issued_by=request.user
    )
    credential = services.transcript_clr(transcript=transcript)
    return _json(
        credential.document,
        content_type=JSON_LD,
        filename=f"transcript-{teacher.staff_number}-{transcript.code}.clr.json",
    )


# --- verification -----------------------------------------------------------


class BadInput(ValueError):
    pass


def structure_problem(document) -> str | None:
    """Depth, size and number of credentials inside, measured without
    recursion and abandoned as soon as a limit is passed."""
    nodes = 0
    stack = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            return _(
                "证书内容过多（超过 %(n)s 个数据项），超出在线核验的单次上限。"
            ) % {"n": MAX_NODES}
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth >= MAX_DEPTH and children:
            return _("证书结构嵌套超过 %(n)s 层，不是一份正常的证书。") % {
                "n": MAX_DEPTH
            }
        stack.extend((child, depth + 1) for child in children)
    subject = document.get("credentialSubject") if isinstance(document, dict) else None
    inner = subject.get("verifiableCredential") if isinstance(subject, dict) else None
    if isinstance(inner, list) and len(inner) > MAX_EMBEDDED:
        return _(
            "这份成绩单包含 %(count)s 份证书，超过在线核验的单次上限 %(n)s 份；"
            "请分批核验其中的证书，或使用学时证明上的验证码查询。"
        ) % {"count": len(inner), "n": MAX_EMBEDDED}
    return None


def parse_credential(raw: bytes | str):
    if isinstance(raw, bytes):
        if len(raw) > MAX_UPLOAD:
            raise BadInput(_("内容超过 2 MB，不像是一份证书。"))
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadInput(_("文件不是 UTF-8 编码的 JSON。")) from None
    if not raw.strip():
        raise BadInput(_("请粘贴证书 JSON，或选择证书文件。"))
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        line = getattr(exc, "lineno", None)
        if line:
            raise BadInput(
                _("不是有效的 JSON（第 %(line)s 行附近有错误）。") % {"line": line}
            ) from None
        raise BadInput(_("不是有效的 JSON。")) from None
    if isinstance(document, dict) and isinstance(
        document.get("verifiableCredential"), dict
    ):
        document = document["verifiableCredential"]
    if not isinstance(document, dict):
        raise BadInput(_("证书应当是一个 JSON 对象。"))
    problem = structure_problem(document)
    if problem:
        raise BadInput(problem)
    return document


def _throttled(request, template: str, context: dict):
    """The 429 page when this client has verified too much lately, else None
    (the verify page and the import of credentials from elsewhere share it)."""
    allowed, retry_after = ratelimit.allow("credential_verify", request)
    if allowed:
        return None
    context["error"] = ratelimit.message(retry_after)
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def _posted_credential(request, context: dict) -> bytes:
    """The credential a form posted, as a file or pasted, as bytes within the
    upload limit (BadInput otherwise); what was pasted goes back on the form."""
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size > MAX_UPLOAD:
            raise BadInput(_("文件超过 2 MB，不像是一份证书。"))
        return upload.read()
    text = request.POST.get("credential", "")
    context["pasted"] = text[:MAX_UPLOAD]
    return text.encode("utf-8")


@require_http_methods(["GET", "POST"])
def verify_page(request):
    context = {}
    if request.method == "POST":
        throttled = _throttled(request, "badges/verify.html", context)
        if throttled:
            return throttled
        try:
            document = parse_credential(_posted_credential(request, context))
        except BadInput as exc:
            context["error"] = str(exc)
        else:
            context["report"] = _safe_verify(document)
    return render(
        request,
        "badges/verify.html",
        context,
        status=400 if context.get("error") else 200,
    )


def _safe_verify(document):
    """Every check, within the time budget. A document this process has
    verified before reuses the hash of its canonical form (a pure function
    of the document: `proofs._DOCUMENT_HASHES`); the signature and every
    other check are computed again."""
    import time

    try:
        return verify_credential(
            document,
            deadline=time.monotonic() + VERIFY_BUDGET_SECONDS,
            remember_canonical=True,
        )
    except (RecursionError, MemoryError):
        from .verify import Check, Report

        return Report([Check("format", False, _("证书结构嵌套过深，无法处理。"))])


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def verify_api(request):
    """POST a credential (JSON body); get every check back as JSON."""
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
    else:
        response = _verify_api_post(request)
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    return response


def _api_error(status: int, error: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"verified": False, "error": error, "message": str(message)},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def _verify_api_post(request):
    allowed, retry_after = ratelimit.allow("credential_verify", request)
    if not allowed:
        response = _api_error(429, "rate_limited", ratelimit.message(retry_after))
        response["Retry-After"] = str(retry_after)
        return response
    declared = (request.META.get("CONTENT_LENGTH") or "").strip()
    if declared and not declared.isdigit():
        return _api_error(
            400, "malformed", _("请求头 Content-Length 不是有效的字节数。")
        )
    if int(declared or 0) > MAX_UPLOAD:
        return _api_error(413, "payload_too_large", _("内容超过 2 MB。"))
    try:
        document = parse_credential(request.body)
    except BadInput as exc:
        return _api_error(400, "malformed", str(exc))
    return JsonResponse(
        _safe_verify(document).as_dict(), json_dumps_params={"ensure_ascii": False}
    )


@ratelimit.limited_page("transcript_lookup", methods=("GET",))
def transcript_verify(request, code: str):
    """Public, from the QR code on a transcript: the ledger check, and the
    signed CLR checked like any uploaded credential."""
    transcript = credit_selectors.transcript_by_code(code)
    if transcript is None:
        raise Http404
    records = list(
        credit_selectors.records_for(
            teacher=transcript.teacher,
            first_year=transcript.cycle_start,
            last_year=transcript.cycle_end,
        ).filter(seq__lte=transcript.last_seq)
    )
    intact = credit_selectors.records_digest(records) == transcript.digest and all(
        credit_selectors.record_intact(r) for r in records
    )
    clr = services.transcript_clr(transcript=transcript)
    name = transcript.teacher.real_name
    return render(
        request,
        "badges/transcript_verify.html",
        {
            "t": transcript,
            "intact": intact,
            "clr": clr,
            "report": verify_credential(clr.document),
            "masked_name": name[0] + "*" * (len(name) - 1),
        },
    )


# --- HR ---------------------------------------------------------------------


def _require_admin(user):
    if not scoping.can_administer_teachers(user):
        raise PermissionDenied


def _visible_credentials(user):
    return IssuedCredential.objects.filter(
        teacher__in=scoping.teachers_visible_to(user)
    )


@login_required
def org_credentials(request):
    _require_admin(request.user)
    q = request.GET.get("q", "").strip()
    credentials = _visible_credentials(request.user).select_related("teacher__school")
    if q:
        credentials = credentials.filter(
            Q(teacher__real_name__contains=q)
            | Q(teacher__staff_number=q)
            | Q(name__contains=q)
        )
    if request.GET.get("revoked") == "1":
        credentials = credentials.filter(revoked_at__isnull=False)
    page = Paginator(
        credentials.only(
            "uid",
            "kind",
            "name",
            "issued_at",
            "revoked_at",
            "teacher__real_name",
            "teacher__staff_number",
            "teacher__school__name",
        ),
        50,
    ).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "badges/org_credentials.html",
        {"page": page, "q": q, "querystring": params.urlencode()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def org_credential_revoke(request, uid):
    _require_admin(request.user)
    credential = get_object_or_404(
        _visible_credentials(request.user).select_related("teacher__school", "record"),
        uid=uid,
    )
    error = None
    if request.method == "POST":
        if credential.revoked_at is not None:
            messages.info(request, _("该证书已撤销，无需重复操作。"))
            return redirect("org_credentials")
        try:
            services.credential_revoke(
                credential=credential,
                by=request.user,
                reason=request.POST.get("reason", ""),
            )
        except services.NotRevocable as exc:
            error = str(exc)
        else:
            messages.success(
                request,
                _("已撤销“%(name)s”，学分银行已记入冲销记录。")
                % {"name": credential.name},
            )
            return redirect("org_credentials")
    return render(
        request,
        "badges/org_revoke.html",
        {"c": credential, "error": error},
        status=400 if error else 200,
    )


# --- credentials from elsewhere ------------------------------------------------


@require_http_methods(["GET", "POST"])
@teacher_required(not_found=_NOT_A_TEACHER)
def outside_import(request):
    """A teacher brings a credential another platform issued: verified here,
    then recognition requests, converted by her region's rules."""
    from cms.shared.errors import ApplicationError

    from .outside import outside_credential_import

    context = {}
    if request.method == "POST":
        throttled = _throttled(request, "badges/outside_import.html", context)
        if throttled:
            return throttled
        try:
            raw = _posted_credential(request, context)
            document = parse_credential(raw)
            outside = outside_credential_import(
                teacher=request.teacher, document=document, raw=raw
            )
        except BadInput as exc:
            context["error"] = str(exc)
        except ApplicationError as exc:
            context["error"] = str(exc)
            context["report"] = exc.extra.get("report")
        else:
            requests = list(outside.requests.values_list("status", flat=True))
            credited = requests.count("approved")
            if credited == len(requests):
                message = _("证书已核验：%(n)s 项成果已按本地区规则直接记入学分。") % {
                    "n": credited
                }
            else:
                message = _(
                    "证书已核验并提交认定：%(n)s 项成果，学校人事管理员审核后记入学分。"
                ) % {"n": len(requests)}
            messages.success(request, message)
            return redirect("outside_detail", pk=outside.pk)
    return render(
        request,
        "badges/outside_import.html",
        context,
        status=400 if context.get("error") else 200,
    )
