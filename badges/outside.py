"""Credentials other platforms issued, brought by a teacher to be counted here.

The document is checked by the same verifier as the public verify page
(format, schema, issuer key, signature, status, dates, the same size limits)
against the issuer trust registry. Two things are looked up beyond it, each
with one bounded HTTP GET (``fetch_json``):

- the DID document of a ``did:web`` issuer the registry holds no pinned
  document for (a registered issuer's pinned document always wins);
- the issuer's Bitstring Status List, itself a credential whose signature is
  checked with the same issuer's key, so a revoked credential is refused.

Only ``https`` URLs on public addresses are fetched; hosts in
``OUTSIDE_CREDENTIAL_INSECURE_HOSTS`` (tests: ``127.0.0.1``) may be plain
``http`` and loopback. What cannot be fetched is reported as not checked, and
the request goes to HR flagged.

A credential that fails a check (tampered, revoked, expired, malformed, a key
its issuer does not publish) is refused, naming the check. An intact one
becomes one recognition request per achievement through
``credits.services.outside_credential_submit``: a recognised issuer's for HR
approval, an unknown issuer's flagged for HR review."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from cms.shared.errors import ApplicationError
from credits import data as credit_data
from credits import services as credit_services

from . import keys, statuslist
from .trust import TrustRegistry
from .verify import LABELS, Report, verify_credential

FETCH_TIMEOUT = 3.0
FETCH_MAX_BYTES = 1024 * 1024
MAX_FETCHES = 8
VERIFY_BUDGET_SECONDS = 2.0
BADGE_TYPES = {"OpenBadgeCredential", "AchievementCredential"}


class FetchError(Exception):
    pass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could lead anywhere (a private address): not followed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise FetchError(_("签发方的地址发生了跳转，不予跟随。"))


_OPENER = urllib.request.build_opener(_NoRedirect)


def _insecure_hosts() -> set[str]:
    return set(getattr(settings, "OUTSIDE_CREDENTIAL_INSECURE_HOSTS", []) or [])


def fetch_json(url: str) -> dict:
    """GET a JSON document from another issuer: https only (plain http only
    for the hosts allowed in settings), never a private or loopback address
    (unless allowed), no redirects, at most 1 MB, 3 seconds."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    allowed = host in _insecure_hosts()
    if parts.scheme != "https" and not (parts.scheme == "http" and allowed):
        raise FetchError(_("只从 https 地址获取。"))
    if not allowed:
        try:
            addresses = {
                info[4][0] for info in socket.getaddrinfo(host, parts.port or 443)
            }
        except (OSError, UnicodeError):
            raise FetchError(_("无法解析签发方的地址。")) from None
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if not ip.is_global:
                raise FetchError(_("签发方地址不是公网地址，不予访问。"))
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, headers={"Accept": "application/json, application/ld+json"}
    )
    try:
        with _OPENER.open(request, timeout=FETCH_TIMEOUT) as response:
            body = response.read(FETCH_MAX_BYTES + 1)
    except FetchError:
        raise
    except (urllib.error.URLError, OSError, ValueError):
        raise FetchError(_("无法从签发方获取（网络错误或超时）。")) from None
    if len(body) > FETCH_MAX_BYTES:
        raise FetchError(_("签发方返回的内容过大。"))
    try:
        document = json.loads(body)
    except ValueError:
        raise FetchError(_("签发方返回的不是 JSON。")) from None
    if not isinstance(document, dict):
        raise FetchError(_("签发方返回的不是 JSON 对象。"))
    return document


def did_web_url(did: str) -> str | None:
    """Where a did:web DID document lives (did:web spec): host (port written
    %3A), then path segments, else /.well-known/."""
    if not did.startswith("did:web:"):
        return None
    segments = did[len("did:web:") :].split(":")
    host = unquote(segments[0])
    if not host or "/" in host:
        return None
    scheme = "http" if host.split(":")[0] in _insecure_hosts() else "https"
    path = (
        "/".join(segments[1:]) + "/did.json"
        if len(segments) > 1
        else ".well-known/did.json"
    )
    return f"{scheme}://{host}/{path}"


def _issuer(document) -> str | None:
    issuer = document.get("issuer") if isinstance(document, dict) else None
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def _inner(document: dict) -> list:
    subject = document.get("credentialSubject")
    inner = subject.get("verifiableCredential") if isinstance(subject, dict) else None
    return [c for c in inner if isinstance(c, dict)] if isinstance(inner, list) else []


def _types(document) -> list:
    value = document.get("type") if isinstance(document, dict) else None
    return value if isinstance(value, list) else [value]


def _status_urls(document: dict) -> list[tuple[str, str]]:
    """(list URL, issuer) of each revocation entry not on this platform."""
    found = []
    for credential in [document, *_inner(document)]:
        entries = credential.get("credentialStatus")
        entries = entries if isinstance(entries, list) else [entries]
        for entry in entries:
            if isinstance(entry, dict) and entry.get("statusPurpose") == "revocation":
                url = entry.get("statusListCredential")
                base = settings.SITE_BASE_URL.rstrip("/") + "/"
                if isinstance(url, str) and not url.startswith(base):
                    found.append((url, _issuer(credential)))
    return found


def _documents(document: dict, registry: TrustRegistry) -> tuple[dict, list[str]]:
    """DID documents of the did:web issuers named (outer and inner) that are
    neither ours nor pinned in the registry, fetched; and what failed."""
    documents, problems = {}, []
    dids = {_issuer(c) for c in [document, *_inner(document)]} - {None}
    for did in sorted(dids)[:MAX_FETCHES]:
        if not did.startswith("did:web:") or keys.slug_for_did(did) is not None:
            continue
        if registry.did_document(did) is not None:
            continue
        url = did_web_url(did)
        if url is None:
            continue
        try:
            fetched = fetch_json(url)
        except FetchError as exc:
            problems.append(_("签发方 DID 文档（%(u)s）：%(e)s") % {"u": url, "e": exc})
            continue
        if fetched.get("id") == did:
            documents[did] = fetched
        else:
            problems.append(_("签发方 DID 文档的 id 与签发方不符：%(u)s") % {"u": url})
    return documents, problems


def _status_lists(
    document: dict, documents: dict, registry: TrustRegistry
) -> tuple[dict, list[str]]:
    """Each outside status list, fetched and its own proof checked with the
    key of the issuer that names it."""
    lists, problems = {}, []
    seen = set()
    for url, issuer in _status_urls(document):
        if url in seen or len(seen) >= MAX_FETCHES:
            continue
        seen.add(url)
        try:
            fetched = fetch_json(url)
        except FetchError as exc:
            problems.append(_("撤销状态列表（%(u)s）：%(e)s") % {"u": url, "e": exc})
            continue
        report = verify_credential(
            fetched, extra_documents=documents, registry=registry
        )
        subject = fetched.get("credentialSubject")
        encoded = subject.get("encodedList") if isinstance(subject, dict) else None
        if not report.intact or _issuer(fetched) != issuer or not encoded:
            problems.append(_("撤销状态列表（%(u)s）未能核验。") % {"u": url})
            continue
        try:
            bits = statuslist.decode_list(encoded)
        except Exception:  # noqa: BLE001 - any decoding failure means "not checked"
            problems.append(_("撤销状态列表（%(u)s）无法解码。") % {"u": url})
            continue
        lists[url] = {"issuer": issuer, "bits": bits}
    return lists, problems


def verify_outside(document: dict) -> tuple[Report, list[str]]:
    """The verifier's report, with other issuers' DID documents and status
    lists fetched; and what could not be fetched."""
    registry = TrustRegistry()
    documents, problems = _documents(document, registry)
    lists, list_problems = _status_lists(document, documents, registry)
    report = verify_credential(
        document,
        extra_documents=documents,
        registry=registry,
        outside_status=lists,
        deadline=time.monotonic() + VERIFY_BUDGET_SECONDS,
    )
    return report, problems + list_problems


def refusal(report: Report) -> str | None:
    """Why a report refuses the credential outright, naming the failed check
    (None when it is intact, whoever the issuer)."""
    failed = report.own_failure
    where = ""
    if failed is None:
        for n, inner in enumerate(report.nested, start=1):
            failed = inner.own_failure
            if failed is not None:
                where = _("成绩单中第 %(n)s 份证书") % {"n": n}
                break
    if failed is not None:
        return _("未通过%(where)s的检查：%(label)s。%(message)s") % {
            "where": where,
            "label": LABELS[failed.code],
            "message": failed.message,
        }
    if not report.intact:
        return _("未通过的检查：签名。")
    if report.incomplete or report.nested_skipped:
        return str(report.nested_skipped)
    return None


def _date(value) -> datetime.date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return None


def achievement_items(document: dict, issuer_name: str) -> list[dict]:
    """One item per achievement credential, as it states itself."""
    credentials = (
        [document]
        if BADGE_TYPES & set(_types(document))
        else [c for c in _inner(document) if BADGE_TYPES & set(_types(c))]
    )
    items = []
    for credential in credentials:
        subject = credential.get("credentialSubject") or {}
        achievement = subject.get("achievement") or {}
        achievement = achievement if isinstance(achievement, dict) else {}
        words = []
        for key in ("tag", "fieldOfStudy", "specialization"):
            value = achievement.get(key)
            words += value if isinstance(value, list) else [value]
        issuer = credential.get("issuer")
        content_hash = credit_data.outside_content_hash(credential)
        earned = (
            _date(subject.get("activityEndDate"))
            or _date(credential.get("validFrom"))
            or datetime.date.today()
        )
        items.append(
            {
                "credential_id": str(credential.get("id") or f"sha256:{content_hash}"),
                "content_hash": content_hash,
                "title": str(achievement.get("name") or credential.get("name") or "")
                or _("校外学习"),
                "provider": (issuer.get("name") if isinstance(issuer, dict) else None)
                or issuer_name,
                "achievement_type": achievement.get("achievementType"),
                "amount": subject.get(
                    "creditsEarned", achievement.get("creditsAvailable")
                ),
                "categories": [w for w in words if isinstance(w, str)],
                "indicators": [
                    {
                        "code": a.get("targetCode", ""),
                        "name": a.get("targetName", ""),
                        "url": a.get("targetUrl", ""),
                    }
                    for a in achievement.get("alignment") or []
                    if isinstance(a, dict)
                ],
                "earned_on": min(earned, datetime.date.today()),
            }
        )
    return items


def holder_mismatch(document: dict, teacher) -> bool:
    """True when the credential names its holder and it is not this teacher
    (by the name it states in clear, or its hashed email)."""
    import hashlib

    subjects = [document.get("credentialSubject")] + [
        c.get("credentialSubject") for c in _inner(document)
    ]
    email = (teacher.user.email or "").strip().lower()
    for subject in subjects:
        if not isinstance(subject, dict):
            continue
        for identifier in subject.get("identifier") or []:
            if not isinstance(identifier, dict):
                continue
            kind, value = identifier.get("identityType"), identifier.get("identityHash")
            if kind == "ext:name" and not identifier.get("hashed"):
                if value and value != teacher.real_name:
                    return True
            if kind == "emailAddress" and identifier.get("hashed") and email:
                salt = identifier.get("salt") or ""
                digest = "sha256$" + hashlib.sha256((email + salt).encode()).hexdigest()
                if value and value != digest:
                    return True
    return False


def outside_credential_import(*, teacher, document: dict, raw: bytes):
    """Verify a credential another platform issued and turn it into recognition
    requests; refuses (ApplicationError naming the failed check) a credential
    that does not hold, or one already brought by anyone."""
    types = set(_types(document))
    if "ClrCredential" in types:
        kind = "clr"
    elif BADGE_TYPES & types:
        kind = "badge"
    else:
        raise ApplicationError(
            _("只能导入开放徽章 3.0（OpenBadgeCredential）证书或 CLR 2.0 成绩单。")
        )
    report, problems = verify_outside(document)
    why = refusal(report)
    if why:
        raise ApplicationError(why, {"report": report})
    trust = report.trust
    issuer_did = _issuer(document) or ""
    if trust is not None and trust.kind in ("platform", "organisation"):
        raise ApplicationError(
            _("这是本平台签发的证书，其学时已在学分银行中，无需导入。")
        )
    issuer = document.get("issuer")
    issuer_name = (
        issuer.get("name") if isinstance(issuer, dict) else None
    ) or issuer_did
    flags = list(problems)
    if not report.recognised:
        flags.insert(0, str(_("签名有效，但签发方未经本平台认可。")))
    if any(c.ok is None and c.code == "status" for c in report.checks):
        flags.append(str(_("撤销状态未能检查。")))
    if holder_mismatch(document, teacher):
        flags.append(str(_("证书上的持有人信息与该教师不一致。")))
    items = achievement_items(document, issuer_name)
    return credit_services.outside_credential_submit(
        teacher=teacher,
        kind=kind,
        credential_id=str(document.get("id") or ""),
        name=str(document.get("name") or ""),
        issuer={
            "did": issuer_did,
            "name": issuer_name,
            "recognised": report.recognised,
            "registry_name": trust.entry_name if report.recognised else "",
        },
        verification=report.as_dict(),
        document=document,
        raw=raw,
        items=items,
        flags=flags,
    )
