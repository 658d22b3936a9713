"""/api/v1/: the NinjaAPI instance, authentication, errors and every resource.

Each operation checks the caller's scope (the OAuth scope on the token) and
reads through cms.accounts.scoping, so a client sees exactly what its
organisation's HR sees on the pages, and a personal token only its owner."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import time
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Form, NinjaAPI, Path, Query, Status
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.security import HttpBearer

from cms.accounts import scoping
from cms.shared.errors import ApplicationError
from credits import selectors as credit_selectors

from . import schemas as s
from .models import Scope, WebhookEvent, WebhookSubscription
from .services import (
    Principal,
    client_authenticate,
    client_token_issue,
    principal_for_token,
)

MAX_INT = 2**62
ERRORS = {
    400: s.Error,
    401: s.Error,
    403: s.Error,
    404: s.Error,
    422: s.Error,
    429: s.Error,
}


class BearerAuth(HttpBearer):
    """An access token from the token endpoint, or a personal token."""

    def authenticate(self, request, token: str) -> Principal | None:
        principal = principal_for_token(token)
        if principal is None:
            return None
        _rate_limit(principal)
        return principal


def _rate_limit(principal: Principal) -> None:
    """A fixed one-minute window per client, counted in the shared cache."""
    window = int(time.time() // 60)
    key = f"api-rate:{principal.rate_key}:{window}"
    if cache.add(key, 1, 90):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, 90)
            count = 1
    if count > principal.rate_limit:
        raise Throttled(wait=60 - int(time.time()) % 60)


class Api(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["oauth2"] = {
            "type": "oauth2",
            "description": "客户端凭证模式：用 client_id 和 client_secret 换取访问令牌，再以 Bearer 方式调用。",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/api/v1/oauth/token",
                    "scopes": {str(v): str(label) for v, label in Scope.choices},
                }
            },
        }
        return schema


api = Api(
    title="教师数字素养平台开放接口",
    version="1.0.0",
    description=(
        "面向区县人事系统、培训机构和省级继续教育平台的 REST 接口。"
        "每个资源的可见范围与网页完全一致：客户端只能看到其所属机构及下属机构的数据，"
        "个人令牌只能看到本人的数据。列表接口使用游标分页，并可按更新时间增量同步。"
        "参考页面：/api/v1/docs/"
    ),
    urls_namespace="api_v1",
    docs_url=None,
    openapi_url="/openapi.json",
    auth=BearerAuth(),
)


@api.exception_handler(AuthenticationError)
def _unauthorised(request, exc):
    response = api.create_response(
        request, {"detail": _("缺少有效的访问令牌，或令牌已过期、已撤销。")}, status=401
    )
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(Throttled)
def _throttled(request, exc):
    response = api.create_response(
        request, {"detail": _("调用过于频繁，请稍后再试。")}, status=429
    )
    response["Retry-After"] = str(exc.wait or 60)
    return response


@api.exception_handler(HttpError)
def _http_error(request, exc):
    message = str(exc)
    if exc.status_code == 400 and message == "Cannot parse request body":
        message = _("请求体不是有效的 JSON。")
    return api.create_response(request, {"detail": message}, status=exc.status_code)


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    fields = []
    for error in exc.errors[:20]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body",))
        fields.append(where or "?")
    return api.create_response(
        request,
        {"detail": _("请求参数不正确：%(f)s") % {"f": "、".join(fields)}},
        status=422,
    )


def need(request, scope: str) -> Principal:
    principal: Principal = request.auth
    if scope not in principal.scopes:
        raise HttpError(403, _("令牌没有“%(s)s”权限。") % {"s": scope})
    return principal


def client_only(principal: Principal) -> None:
    if principal.client is None:
        raise HttpError(403, _("个人令牌只能读取本人的数据。"))


# --- scoping -----------------------------------------------------------------


def visible_teachers(principal: Principal):
    teachers = scoping.teachers_visible_to(principal.user)
    if principal.personal:
        teachers = teachers.filter(user=principal.user)
    return teachers


def visible_organisations(principal: Principal):
    if principal.personal:
        return scoping.organisations_visible_to(principal.user).none()
    return scoping.organisations_visible_to(principal.user)


def teacher_or_404(principal: Principal, staff_number: str):
    teacher = (
        visible_teachers(principal)
        .select_related("school", "user")
        .filter(staff_number=staff_number)
        .first()
    )
    if teacher is None:
        raise HttpError(404, _("教师不存在或不在您的管辖范围内。"))
    return teacher


# --- cursors -----------------------------------------------------------------


def encode_cursor(values: list) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, size: int) -> list | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise HttpError(422, _("游标无效，请从第一页重新开始。"))
    return values


def cursor_int(cursor: str | None) -> int | None:
    values = decode_cursor(cursor, 1)
    if values is None:
        return None
    if not isinstance(values[0], int) or not 0 <= values[0] < MAX_INT:
        raise HttpError(422, _("游标无效，请从第一页重新开始。"))
    return values[0]


def since(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is None:
        return None
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(datetime.UTC)
    except (OverflowError, ValueError) as exc:
        raise HttpError(422, _("updated_since 超出可用范围。")) from exc


Cursor = Query(
    None,
    pattern=r"^[A-Za-z0-9_-]{1,400}$",
    description="上一页返回的 next_cursor",
)
Limit = Query(100, ge=1, le=500, description="每页条数，1 至 500")
Since = Query(
    None, description="只返回此时间（含）之后新增或变更的条目，ISO 8601，用于增量同步"
)


# --- OAuth 2.0 token endpoint ------------------------------------------------


def _basic_credentials(request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    from urllib.parse import unquote_plus

    return unquote_plus(client_id), unquote_plus(secret)


def _oauth_error(status: int, error: str, description: str):
    return Status(status, {"error": error, "error_description": description})


@api.post(
    "/oauth/token",
    auth=None,
    response={200: s.TokenOut, 400: s.OAuthError, 401: s.OAuthError, 422: s.Error},
    tags=["认证"],
    summary="换取访问令牌（OAuth 2.0 客户端凭证模式）",
    description=(
        "以 HTTP Basic（client_id:client_secret）或表单字段 client_id、client_secret "
        "认证，grant_type=client_credentials；scope 可选，为以空格分隔的权限子集。"
    ),
)
def token(
    request,
    response: HttpResponse,
    grant_type: str = Form(..., max_length=40),
    scope: str = Form("", max_length=500),
    client_id: str = Form("", max_length=80),
    client_secret: str = Form("", max_length=200),
):
    response["Cache-Control"] = "no-store"
    credentials = _basic_credentials(request) or (client_id, client_secret)
    if grant_type != "client_credentials":
        return _oauth_error(
            400, "unsupported_grant_type", _("只支持 client_credentials 授权方式。")
        )
    client = None
    if credentials[0] and credentials[1] and "\x00" not in "".join(credentials):
        client = client_authenticate(client_id=credentials[0], secret=credentials[1])
    if client is None:
        response["WWW-Authenticate"] = 'Basic realm="api"'
        return _oauth_error(
            401, "invalid_client", _("客户端编号或密钥不正确，或客户端已停用。")
        )
    requested = scope.split() if scope.strip() else None
    if requested is not None and not set(requested) <= set(client.scopes):
        return _oauth_error(
            400, "invalid_scope", _("申请的权限超出了该客户端的授权范围。")
        )
    access, record = client_token_issue(client=client, scopes=requested)
    return Status(
        200,
        {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int((record.expires_at - timezone.now()).total_seconds()),
            "scope": " ".join(record.scopes),
        },
    )


# --- organisations -----------------------------------------------------------


def _org(o) -> dict:
    return {
        "id": o.id,
        "name": o.name,
        "kind": o.kind,
        "code": o.code,
        "parent_id": getattr(o, "parent_id_", None),
    }


def _with_parents(orgs) -> list[dict]:
    from cms.accounts.models import Organisation

    paths = {o.path[: -Organisation.steplen] for o in orgs if o.depth > 1}
    parent_ids = dict(
        Organisation.objects.filter(path__in=paths).values_list("path", "id")
    )
    rows = []
    for o in orgs:
        o.parent_id_ = parent_ids.get(o.path[: -Organisation.steplen])
        rows.append(_org(o))
    return rows


@api.get(
    "/organisations",
    response={200: s.OrganisationPage, **ERRORS},
    tags=["组织机构"],
    summary="组织机构列表（本机构及下属机构）",
)
def organisations(request, cursor: str | None = Cursor, limit: int = Limit):
    principal = need(request, Scope.ORGANISATIONS_READ)
    after = cursor_int(cursor)
    orgs = visible_organisations(principal).order_by("id")
    if after is not None:
        orgs = orgs.filter(id__gt=after)
    page = list(orgs[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "items": _with_parents(page),
        "next_cursor": encode_cursor([page[-1].id]) if more else None,
    }


@api.get(
    "/organisations/{org_id}",
    response={200: s.OrganisationOut, **ERRORS},
    tags=["组织机构"],
    summary="单个组织机构",
)
def organisation(request, org_id: int = Path(..., ge=1, le=MAX_INT)):
    principal = need(request, Scope.ORGANISATIONS_READ)
    org = visible_organisations(principal).filter(id=org_id).first()
    if org is None:
        raise HttpError(404, _("组织机构不存在或不在您的管辖范围内。"))
    return _with_parents([org])[0]


# --- teachers ----------------------------------------------------------------


def _teacher(t) -> dict:
    return {
        "id": t.id,
        "staff_number": t.staff_number,
        "real_name": t.real_name,
        "email": t.user.email,
        "school": {"id": t.school.id, "name": t.school.name, "code": t.school.code},
        "subjects": t.subjects,
        "grade_bands": t.grade_bands,
        "professional_title": t.professional_title,
        "career_stage": t.career_stage,
        "national_id_masked": t.national_id_masked,
        "updated_at": t.updated_at,
    }


TEACHER_FIELDS = (
    "id",
    "staff_number",
    "real_name",
    "user__email",
    "school_id",
    "school__name",
    "school__code",
    "subjects",
    "grade_bands",
    "professional_title",
    "career_stage",
    "national_id_last4",
    "updated_at",
)


def _teacher_row(v: dict) -> dict:
    return {
        "id": v["id"],
        "staff_number": v["staff_number"],
        "real_name": v["real_name"],
        "email": v["user__email"],
        "school": {
            "id": v["school_id"],
            "name": v["school__name"],
            "code": v["school__code"],
        },
        "subjects": v["subjects"],
        "grade_bands": v["grade_bands"],
        "professional_title": v["professional_title"],
        "career_stage": v["career_stage"],
        "national_id_masked": "*" * 14 + v["national_id_last4"]
        if v["national_id_last4"]
        else "",
        "updated_at": v["updated_at"].isoformat(),
    }


def json_page(items: list[dict], next_cursor: str | None) -> HttpResponse:
    return HttpResponse(
        json.dumps(
            {"items": items, "next_cursor": next_cursor},
            ensure_ascii=False,
            separators=(",", ":"),
        ),
        content_type="application/json; charset=utf-8",
    )


@api.get(
    "/teachers",
    response={200: s.TeacherPage, **ERRORS},
    tags=["教师"],
    summary="教师列表（按更新时间排序，可增量同步）",
)
def teachers(
    request,
    cursor: str | None = Cursor,
    limit: int = Limit,
    updated_since: datetime.datetime | None = Since,
    school_id: int | None = Query(None, ge=1, le=MAX_INT),
):
    principal = need(request, Scope.TEACHERS_READ)
    rows = visible_teachers(principal)
    if school_id:
        rows = rows.filter(school_id=school_id)
    start = since(updated_since)
    if start is not None:
        rows = rows.filter(updated_at__gte=start)
    values = decode_cursor(cursor, 2)
    if values is not None:
        try:
            at = datetime.datetime.fromisoformat(values[0])
            last_id = int(values[1])
        except (TypeError, ValueError) as exc:
            raise HttpError(422, _("游标无效，请从第一页重新开始。")) from exc
        rows = rows.filter(Q(updated_at__gt=at) | Q(updated_at=at, id__gt=last_id))
    # Plain rows straight to JSON: a page of 500 without model instances or a
    # second validation pass (the shape is the documented TeacherOut).
    page = list(rows.order_by("updated_at", "id").values(*TEACHER_FIELDS)[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return json_page(
        [_teacher_row(v) for v in page],
        encode_cursor([page[-1]["updated_at"].isoformat(), page[-1]["id"]])
        if more
        else None,
    )


@api.get(
    "/teachers/{staff_number}",
    response={200: s.TeacherOut, **ERRORS},
    tags=["教师"],
    summary="单个教师（按工号）",
)
def teacher(request, staff_number: str = Path(..., pattern=r"^[A-Za-z0-9-]{1,32}$")):
    principal = need(request, Scope.TEACHERS_READ)
    return _teacher(teacher_or_404(principal, staff_number))


@api.post(
    "/teacher-batches",
    response={200: s.TeacherBatchOut, **ERRORS},
    tags=["教师"],
    summary="批量新增或更新教师（全部成功或全部不变）",
    description=(
        "与网页上的教师导入使用同一套规则：学校须在您的管辖范围内，按工号更新已有教师、"
        "不会重复创建；任何一行有错误时整批不生效，返回 422 和逐行错误。"
    ),
)
def teachers_batch(request, body: s.TeacherBatchIn):
    from .teacher_sync import teacher_batch_apply

    principal = need(request, Scope.TEACHERS_WRITE)
    client_only(principal)
    result = teacher_batch_apply(
        user=principal.user, items=[t.model_dump() for t in body.teachers]
    )
    if result.errors:
        return Status(
            422,
            {
                "detail": _("有 %(n)d 处错误，整批未导入。")
                % {"n": len(result.errors)},
                "errors": result.errors,
            },
        )
    return {
        "import_id": result.import_id,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }


# --- credit records ----------------------------------------------------------


def record_id(seq: int) -> str:
    return f"{settings.API_RECORD_ID_PREFIX}-{seq}"


def _record(r, reverses_seq: int | None = None) -> dict:
    return {
        "record_id": record_id(r.seq),
        "seq": r.seq,
        "teacher_staff_number": r.teacher.staff_number,
        "kind": r.kind,
        "category": r.category,
        "source_type": r.source_type,
        "source_id": r.source_id,
        "title": r.source_title,
        "raw_hours": str(r.raw_hours),
        "hours": str(r.hours),
        "credits": str(r.credits),
        "earned_on": r.earned_on,
        "recorded_at": r.recorded_at,
        "reverses": record_id(r.reverses.seq) if r.reverses_id else None,
        "note": r.note,
        "hash": r.hash,
    }


RECORD_FIELDS = (
    "seq",
    "teacher__staff_number",
    "kind",
    "category",
    "source_type",
    "source_id",
    "source_title",
    "raw_hours",
    "hours",
    "credits",
    "earned_on",
    "recorded_at",
    "reverses__seq",
    "note",
    "hash",
)


def _record_row(v: dict) -> dict:
    """The same shape as `_record`, from plain values."""
    return {
        "record_id": record_id(v["seq"]),
        "seq": v["seq"],
        "teacher_staff_number": v["teacher__staff_number"],
        "kind": v["kind"],
        "category": v["category"],
        "source_type": v["source_type"],
        "source_id": v["source_id"],
        "title": v["source_title"],
        "raw_hours": str(v["raw_hours"]),
        "hours": str(v["hours"]),
        "credits": str(v["credits"]),
        "earned_on": v["earned_on"].isoformat(),
        "recorded_at": v["recorded_at"].isoformat(),
        "reverses": record_id(v["reverses__seq"]) if v["reverses__seq"] else None,
        "note": v["note"],
        "hash": v["hash"],
    }


@api.get(
    "/credit-records",
    response={200: s.CreditRecordPage, **ERRORS},
    tags=["学分记录"],
    summary="学分记录（账本顺序，可按游标增量同步）",
    description="记录只追加不修改：更正以冲销记录表示（reverses 指向被冲销的记录）。",
)
def credit_records(
    request,
    cursor: str | None = Cursor,
    limit: int = Query(100, ge=1, le=1000),
    updated_since: datetime.datetime | None = Since,
    teacher_staff_number: str | None = Query(None, pattern=r"^[A-Za-z0-9-]{1,32}$"),
):

    principal = need(request, Scope.CREDITS_READ)
    teachers_qs = visible_teachers(principal)
    if teacher_staff_number:
        teachers_qs = teachers_qs.filter(staff_number=teacher_staff_number)
    rows = credit_selectors.ledger_for_teachers(teachers=teachers_qs)
    after = cursor_int(cursor)
    if after is not None:
        rows = rows.filter(seq__gt=after)
    start = since(updated_since)
    if start is not None:
        rows = rows.filter(recorded_at__gte=start)
    page = list(rows.values(*RECORD_FIELDS)[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return json_page(
        [_record_row(v) for v in page],
        encode_cursor([page[-1]["seq"]]) if more else None,
    )


@api.post(
    "/credit-records",
    response={200: s.CreditAppendOut, 201: s.CreditAppendOut, 409: s.Error, **ERRORS},
    tags=["学分记录"],
    summary="追加学分记录（已登记的培训机构）",
    description=(
        "以培训机构自己的记录编号去重：同一编号再次提交返回已有记录（200），"
        "新记录返回 201。学分按教师所在地区当日生效的规则折算；"
        "只能追加本机构登记的学习类型。"
    ),
)
def credit_append(request, body: s.CreditAppendIn):
    from .credit_sync import CreditRefused, provider_credit_append

    principal = need(request, Scope.CREDITS_APPEND)
    client_only(principal)
    teacher = teacher_or_404(principal, body.teacher_staff_number)
    try:
        record, created = provider_credit_append(
            client=principal.client,
            teacher=teacher,
            provider_record_id=body.provider_record_id,
            kind=body.kind,
            category=body.category,
            title=body.title,
            hours=Decimal(str(body.hours)),
            earned_on=body.earned_on,
        )
    except CreditRefused as exc:
        raise HttpError(exc.status, exc.message) from exc
    return Status(
        201 if created else 200, {"created": created, "record": _record(record)}
    )


# --- transcripts -------------------------------------------------------------


def _transcript(request, staff_number: str):
    from credits import services as credit_services

    principal = need(request, Scope.CREDITS_READ)
    teacher = teacher_or_404(principal, staff_number)
    try:
        return credit_services.transcript_issue(
            teacher=teacher, issued_by=principal.user
        )
    except credit_selectors.NoRuleSet as exc:
        raise HttpError(404, _("该教师所在地区尚无生效的学分规则。")) from exc


StaffPath = Path(..., pattern=r"^[A-Za-z0-9-]{1,32}$")


@api.get(
    "/teachers/{staff_number}/transcript.json",
    response={200: s.TranscriptOut, **ERRORS},
    tags=["学时证明"],
    summary="学时证明（JSON）",
)
def transcript_json(request, staff_number: str = StaffPath):
    transcript, progress = _transcript(request, staff_number)
    return json.loads(
        credit_selectors.transcript_json(transcript=transcript, progress=progress)
    )


@api.get(
    "/teachers/{staff_number}/transcript.pdf",
    response={**ERRORS},
    tags=["学时证明"],
    summary="学时证明（PDF，带二维码和验证码）",
    openapi_extra={
        "responses": {
            "200": {
                "description": "PDF",
                "content": {
                    "application/pdf": {
                        "schema": {"type": "string", "format": "binary"}
                    }
                },
            }
        }
    },
)
def transcript_pdf(request, staff_number: str = StaffPath):
    transcript, progress = _transcript(request, staff_number)
    body = credit_selectors.transcript_pdf(transcript=transcript, progress=progress)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="transcript-{staff_number}.pdf"'
    )
    return response


@api.get(
    "/teachers/{staff_number}/transcript.clr",
    response={200: dict, **ERRORS},
    tags=["学时证明"],
    summary="学时证明（签名的 CLR 2.0 可验证凭证）",
)
def transcript_clr(request, staff_number: str = StaffPath):
    from badges import services as badge_services

    transcript, _progress = _transcript(request, staff_number)
    return badge_services.transcript_clr(transcript=transcript).document


# --- credentials -------------------------------------------------------------


def _credential(c, detail: bool = False) -> dict:
    row = {
        "id": f"urn:uuid:{c.uid}",
        "uid": str(c.uid),
        "kind": c.kind,
        "name": c.name,
        "teacher_staff_number": c.teacher.staff_number,
        "record_id": record_id(c.record.seq) if c.record_id else None,
        "issued_at": c.issued_at,
        "revoked_at": c.revoked_at,
        "revoke_reason": c.revoke_reason,
    }
    if detail:
        row["document"] = c.document
    return row


def _credentials(principal):
    from badges import selectors as badge_selectors

    return (
        badge_selectors.credentials_for_teachers(teachers=visible_teachers(principal))
        .select_related("teacher", "record")
        .defer("document")
    )


@api.get(
    "/credentials",
    response={200: s.CredentialPage, **ERRORS},
    tags=["证书"],
    summary="证书列表",
    description="updated_since 同时匹配签发时间和撤销时间，撤销也会被同步到。",
)
def credentials(
    request,
    cursor: str | None = Cursor,
    limit: int = Limit,
    updated_since: datetime.datetime | None = Since,
):
    principal = need(request, Scope.CREDENTIALS_READ)
    rows = _credentials(principal)
    after = cursor_int(cursor)
    if after is not None:
        rows = rows.filter(id__gt=after)
    start = since(updated_since)
    if start is not None:
        rows = rows.filter(Q(issued_at__gte=start) | Q(revoked_at__gte=start))
    page = list(rows.order_by("id")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "items": [_credential(c) for c in page],
        "next_cursor": encode_cursor([page[-1].id]) if more else None,
    }


@api.get(
    "/credentials/{uid}",
    response={200: s.CredentialDetail, **ERRORS},
    tags=["证书"],
    summary="单个证书（含签名文档）",
)
def credential(request, uid: str = Path(..., pattern=r"^[0-9a-fA-F-]{32,36}$")):
    import uuid

    principal = need(request, Scope.CREDENTIALS_READ)
    try:
        key = uuid.UUID(uid)
    except ValueError as exc:
        raise HttpError(404, _("证书不存在或不在您的管辖范围内。")) from exc
    found = _credentials(principal).defer(None).filter(uid=key).first()
    if found is None:
        raise HttpError(404, _("证书不存在或不在您的管辖范围内。"))
    return _credential(found, detail=True)


@api.post(
    "/credentials/{uid}/revoke",
    response={200: s.CredentialOut, **ERRORS},
    tags=["证书"],
    summary="撤销证书（同时在学分账本记入冲销记录）",
)
def credential_revoke(
    request,
    body: s.RevokeIn,
    uid: str = Path(..., pattern=r"^[0-9a-fA-F-]{32,36}$"),
):
    import uuid

    from badges import services as badge_services

    principal = need(request, Scope.CREDENTIALS_REVOKE)
    client_only(principal)
    try:
        key = uuid.UUID(uid)
    except ValueError as exc:
        raise HttpError(404, _("证书不存在或不在您的管辖范围内。")) from exc
    found = _credentials(principal).defer(None).filter(uid=key).first()
    if found is None:
        raise HttpError(404, _("证书不存在或不在您的管辖范围内。"))
    try:
        revoked = badge_services.credential_revoke(
            credential=found, by=principal.user, reason=body.reason
        )
    except badge_services.NotRevocable as exc:
        raise HttpError(422, str(exc)) from exc
    revoked.teacher = found.teacher
    return _credential(revoked)


# --- courses and enrolments --------------------------------------------------


def _course(c) -> dict:
    return {
        "id": c.id,
        "title": c.title,
        "slug": c.slug,
        "url": c.url_path,
        "summary": c.summary,
        "mode": c.mode,
        "hours": str(c.hours),
        "category": c.category,
        "subject": c.subject or "",
        "grade_band": c.grade_band or "",
        "provider": c.provider,
        "enrol_opens": c.enrol_opens,
        "enrol_closes": c.enrol_closes,
        "capacity": c.capacity,
        "updated_at": c.last_published_at,
    }


@api.get(
    "/courses",
    response={200: s.CoursePage, **ERRORS},
    tags=["课程与选课"],
    summary="课程目录（已发布的课程）",
)
def courses(
    request,
    cursor: str | None = Cursor,
    limit: int = Limit,
    updated_since: datetime.datetime | None = Since,
):
    from training.courses import selectors as course_selectors

    need(request, Scope.COURSES_READ)
    rows = course_selectors.courses_published()
    after = cursor_int(cursor)
    if after is not None:
        rows = rows.filter(id__gt=after)
    start = since(updated_since)
    if start is not None:
        rows = rows.filter(last_published_at__gte=start)
    page = list(rows.order_by("id")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "items": [_course(c) for c in page],
        "next_cursor": encode_cursor([page[-1].id]) if more else None,
    }


def _enrolment(e) -> dict:
    return {
        "id": e.id,
        "course_id": e.course_id,
        "teacher_staff_number": e.teacher.staff_number,
        "status": e.status,
        "enrolled_at": e.enrolled_at,
        "completed_at": e.completed_at,
        "lessons_done": e.lessons_done,
    }


@api.get(
    "/enrolments",
    response={200: s.EnrolmentPage, **ERRORS},
    tags=["课程与选课"],
    summary="选课记录",
)
def enrolments(
    request,
    cursor: str | None = Cursor,
    limit: int = Limit,
    updated_since: datetime.datetime | None = Since,
):
    from training.courses import selectors as course_selectors

    principal = need(request, Scope.ENROLMENTS_READ)
    rows = course_selectors.enrolments_for_teachers(
        teachers=visible_teachers(principal)
    ).select_related("teacher")
    after = cursor_int(cursor)
    if after is not None:
        rows = rows.filter(id__gt=after)
    start = since(updated_since)
    if start is not None:
        rows = rows.filter(Q(enrolled_at__gte=start) | Q(completed_at__gte=start))
    page = list(rows.order_by("id")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "items": [_enrolment(e) for e in page],
        "next_cursor": encode_cursor([page[-1].id]) if more else None,
    }


@api.post(
    "/enrolments",
    response={200: s.EnrolmentOut, **ERRORS},
    tags=["课程与选课"],
    summary="为教师报名课程（重复报名返回已有记录）",
)
def enrol(request, body: s.EnrolmentIn):
    from training.courses import selectors as course_selectors
    from training.courses import services as course_services

    principal = need(request, Scope.ENROLMENTS_WRITE)
    client_only(principal)
    teacher = teacher_or_404(principal, body.teacher_staff_number)
    course = course_selectors.courses_published().filter(id=body.course_id).first()
    if course is None:
        raise HttpError(404, _("课程不存在或未发布。"))
    try:
        enrolment = course_services.course_enrol(
            course=course.specific, teacher=teacher
        )
    except ApplicationError as exc:
        raise HttpError(422, str(exc)) from exc
    enrolment.teacher = teacher
    return _enrolment(enrolment)


# --- assessment aggregates ---------------------------------------------------


@api.get(
    "/assessment/levels",
    response={200: s.AssessmentAggregate, **ERRORS},
    tags=["测评汇总"],
    summary="自评水平分布（按维度与学校；不足 5 人的群体不公布）",
)
def assessment_levels(request, school_id: int | None = Query(None, ge=1, le=MAX_INT)):
    from training import selectors as training_selectors

    principal = need(request, Scope.ASSESSMENT_READ)
    client_only(principal)
    framework = training_selectors.framework_default()
    if framework is None:
        raise HttpError(404, _("尚未载入能力框架。"))
    teachers_qs = visible_teachers(principal)
    if school_id:
        teachers_qs = teachers_qs.filter(school_id=school_id)
    result = training_selectors.level_distribution(
        teachers=teachers_qs, framework=framework
    )
    return {
        "total": result["total"],
        "hidden": result["hidden"],
        "min_group_size": result["min_group_size"],
        "withheld_schools": result["withheld_schools"],
        "table": result["table"],
        "schools": [
            {
                "name": row["name"],
                "count": row["count"],
                "hidden": row["hidden"],
                "table": None if row["hidden"] else row["table"],
            }
            for row in result["schools"]
        ],
    }


# --- webhook subscriptions ---------------------------------------------------


def _subscription(sub) -> dict:
    return {
        "id": str(sub.uid),
        "url": sub.url,
        "events": sub.events,
        "active": sub.active,
        "created_at": sub.created_at,
    }


@api.get(
    "/webhooks",
    response={200: s.WebhookList, **ERRORS},
    tags=["事件订阅"],
    summary="本客户端的事件订阅",
)
def webhooks(request):
    principal = need(request, Scope.WEBHOOKS)
    client_only(principal)
    return {
        "items": [
            _subscription(sub)
            for sub in WebhookSubscription.objects.filter(
                client=principal.client
            ).order_by("id")
        ]
    }


@api.post(
    "/webhooks",
    response={201: s.WebhookCreated, **ERRORS},
    tags=["事件订阅"],
    summary="订阅事件（返回签名密钥，只显示一次）",
    description=(
        "事件：credit.recorded、credential.issued、credential.revoked、teacher.imported。"
        "每次推送以 POST 发送 JSON，附 X-TDL-Event、X-TDL-Delivery、X-TDL-Timestamp 和 "
        "X-TDL-Signature: sha256=<HMAC-SHA256(密钥, 时间戳 + '.' + 正文)>。"
    ),
)
def webhook_create(request, body: s.WebhookIn):
    from .webhooks import UnsafeUrl, subscription_create

    principal = need(request, Scope.WEBHOOKS)
    client_only(principal)
    unknown = set(body.events) - set(WebhookEvent.values)
    if unknown:
        raise HttpError(422, _("未知事件：%(e)s") % {"e": "、".join(sorted(unknown))})
    try:
        sub, secret = subscription_create(
            client=principal.client, url=body.url, events=body.events
        )
    except UnsafeUrl as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201, {**_subscription(sub), "secret": secret})


@api.delete(
    "/webhooks/{sub_id}",
    response={204: None, **ERRORS},
    tags=["事件订阅"],
    summary="取消订阅",
)
def webhook_delete(request, sub_id: str = Path(..., pattern=r"^[0-9a-fA-F-]{32,36}$")):
    import uuid

    principal = need(request, Scope.WEBHOOKS)
    client_only(principal)
    try:
        key = uuid.UUID(sub_id)
    except ValueError as exc:
        raise HttpError(404, _("订阅不存在。")) from exc
    deleted, _rows = WebhookSubscription.objects.filter(
        client=principal.client, uid=key
    ).delete()
    if not deleted:
        raise HttpError(404, _("订阅不存在。"))
    return Status(204, None)


# Choices the reference page lists.
KINDS = credit_selectors.learning_kind_choices()
CATEGORIES = credit_selectors.category_choices()
