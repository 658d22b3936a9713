"""The browsable reference page (rendered from the OpenAPI document on the
server: no script, nothing from a CDN), a JSON 404 for unknown API paths,
and a person's own personal tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .models import AccessToken, Scope, WebhookEvent
from .services import personal_token_create, personal_token_revoke

METHODS = ("get", "post", "put", "patch", "delete")


def _ref_name(schema: dict) -> str:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else ""


def _type_of(schema: dict) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return _ref_name(schema)
    if "anyOf" in schema:
        return " | ".join(_type_of(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"[{_type_of(schema.get('items', {}))}]"
    text = schema.get("type", "object")
    if schema.get("format"):
        text += f" ({schema['format']})"
    return text


def reference_context() -> dict:
    from .api import api

    doc = api.get_openapi_schema()
    components = doc.get("components", {}).get("schemas", {})
    groups: dict[str, list] = {}
    for path, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            params = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p.get("required", False),
                    "type": _type_of(p.get("schema", {})),
                    "description": p.get("description")
                    or p.get("schema", {}).get("description", ""),
                }
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody", {}).get("content", {})
            body_types = [
                {"media": media, "type": _type_of(c.get("schema", {}))}
                for media, c in body.items()
            ]
            responses = []
            for code, r in op.get("responses", {}).items():
                content = r.get("content", {})
                media, c = next(iter(content.items()), ("", {}))
                responses.append(
                    {
                        "code": code,
                        "media": media,
                        "type": _type_of(c.get("schema", {})),
                        "description": r.get("description", ""),
                    }
                )
            groups.setdefault((op.get("tags") or ["其他"])[0], []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": params,
                    "body": body_types,
                    "responses": responses,
                    "auth": bool(op.get("security")),
                }
            )
    schemas = []
    for name, schema in sorted(components.items()):
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        schemas.append(
            {
                "name": name,
                "fields": [
                    {
                        "name": field,
                        "type": _type_of(spec),
                        "required": field in required,
                        "description": spec.get("description", ""),
                    }
                    for field, spec in props.items()
                ],
            }
        )
    base = settings.SITE_BASE_URL.rstrip("/")
    return {
        "info": doc["info"],
        "groups": list(groups.items()),
        "schemas": schemas,
        "scopes": Scope.choices,
        "events": WebhookEvent.choices,
        "base": base,
        "curl": curl_example(base),
    }


def curl_example(base: str) -> str:
    return (
        f'curl -s -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials \\\n'
        f"     {base}/api/v1/oauth/token\n"
        f'# → {{"access_token": "tdl_…", "token_type": "Bearer", '
        f'"expires_in": 3600, "scope": "teachers:read …"}}\n\n'
        f'curl -s -H "Authorization: Bearer $ACCESS_TOKEN" \\\n'
        f'     "{base}/api/v1/teachers?limit=50"'
    )


def reference(request):
    return render(request, "api/reference.html", reference_context())


def not_found(request, rest: str = ""):
    return JsonResponse({"detail": _("接口地址不存在。")}, status=404)


@login_required
@require_http_methods(["GET", "POST"])
def personal_tokens(request):
    new_token = None
    if request.method == "POST":
        if request.POST.get("revoke"):
            try:
                token_id = int(request.POST["revoke"])
            except ValueError:
                token_id = 0
            if personal_token_revoke(user=request.user, token_id=token_id):
                messages.success(request, _("令牌已撤销。"))
            return redirect("api_personal_tokens")
        name = request.POST.get("name", "").strip()[:80] or _("个人令牌")
        new_token, _record = personal_token_create(user=request.user, name=name)
    tokens = AccessToken.objects.filter(user=request.user).order_by("-created_at")
    return render(
        request,
        "api/personal_tokens.html",
        {"tokens": tokens, "new_token": new_token},
    )
