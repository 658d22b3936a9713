"""Verify a credential offline and say which check failed.

Checks, in order: format, schema, issuer key, signature, status, validity
dates. A check that could not be run (because an earlier one failed, or the
information is held by someone else) is reported as not checked, never as
passed; a document that fails the format or schema check is never
canonicalised. Separately from whether it is intact, the issuer is looked up in
the trust registry (badges.trust): a credential is valid only when it is intact
and its issuer is recognised. A ClrCredential's own proof is checked first, and
only then every credential inside it.
"""

from __future__ import annotations

import datetime
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import jsonld, keys, proofs, schema
from .models import Issuer, IssuerKey, StatusList
from .multikey import MultibaseError, public_key_from_multibase
from .trust import Trust, TrustRegistry

MAX_NESTED = 2000

CHECKS = [
    ("format", _("格式")),
    ("schema", _("数据结构")),
    ("issuer_key", _("签发方密钥")),
    ("signature", _("签名")),
    ("status", _("撤销状态")),
    ("dates", _("有效期")),
]
LABELS = dict(CHECKS)


@dataclass
class Check:
    code: str
    ok: bool | None  # None: not checked
    message: str
    detail: str = ""  # "revoked" on the status check of a revoked credential

    @property
    def label(self):
        return LABELS[self.code]

    def as_dict(self) -> dict:
        return {"check": self.code, "ok": self.ok, "message": str(self.message)}


@dataclass
class Report:
    """What one verification found. Two separate answers: is the credential
    intact (format, schema, key, signature, status, dates all hold), and is its
    issuer one this platform recognises (``trust``)? Only both make it valid."""

    checks: list[Check]
    summary: dict = field(default_factory=dict)
    nested: list[Report] = field(default_factory=list)
    trust: Trust | None = None
    # Why the credentials inside were not (all) checked, when they were not.
    nested_skipped: str = ""
    incomplete: bool = False

    @property
    def intact(self) -> bool:
        # Nothing failed and the signature itself was checked and holds.
        return all(c.ok is not False for c in self.checks) and any(
            c.code == "signature" and c.ok is True for c in self.checks
        )

    @property
    def recognised(self) -> bool:
        return self.trust is not None and self.trust.recognised

    @property
    def nested_revoked(self) -> int:
        return sum(1 for n in self.nested if n.revoked)

    @property
    def nested_failed(self) -> int:
        return sum(1 for n in self.nested if not n.ok)

    @property
    def revoked(self) -> bool:
        return any(c.detail == "revoked" for c in self.checks)

    @property
    def ok(self) -> bool:
        return (
            self.intact
            and self.recognised
            and not self.incomplete
            and not self.nested_skipped
            and all(n.ok for n in self.nested)
        )

    @property
    def own_failure(self) -> Check | None:
        for check in self.checks:
            if check.ok is False:
                return check
        return None

    @property
    def first_failure(self) -> Check | None:
        failed = self.own_failure
        if failed is not None:
            return failed
        for inner in self.nested:
            failed = inner.first_failure
            if failed is not None:
                return failed
        return None

    @property
    def failed_check(self) -> str | None:
        """The code of what keeps this from being valid: one of the checks,
        "nested" (a credential inside), "limits" (too much work for one
        request) or "issuer_trust" (intact, issuer not recognised)."""
        failed = self.own_failure
        if failed is not None:
            return failed.code
        if not self.intact:
            return "signature"
        if self.incomplete:
            return "limits"
        if self.nested_failed or self.nested_skipped:
            return "nested"
        if not self.recognised:
            return "issuer_trust"
        return None

    @property
    def verdict(self) -> str:
        """ "valid", "unrecognised" (intact, issuer not recognised) or "invalid"."""
        if self.ok:
            return "valid"
        if self.failed_check == "issuer_trust":
            return "unrecognised"
        return "invalid"

    @property
    def message(self) -> str:
        """One sentence for the top of the page and the API."""
        if self.ok:
            return str(_("这份证书的签名、签发方和状态均已核验通过。"))
        failed = self.own_failure
        if failed is not None:
            return str(_("未通过的检查：%(label)s") % {"label": failed.label})
        if not self.intact:
            return str(_("签名未能核验。"))
        if self.incomplete or self.nested_skipped:
            return str(self.nested_skipped)
        parts = []
        if self.nested_revoked:
            parts.append(
                str(
                    ngettext(
                        "其中 %(n)s 份证书已被撤销",
                        "其中 %(n)s 份证书已被撤销",
                        self.nested_revoked,
                    )
                    % {"n": self.nested_revoked}
                )
            )
        other = self.nested_failed - self.nested_revoked
        if other:
            parts.append(
                str(
                    ngettext(
                        "其中 %(n)s 份证书未通过核验",
                        "其中 %(n)s 份证书未通过核验",
                        other,
                    )
                    % {"n": other}
                )
            )
        if not self.recognised:
            parts.insert(0, str(_("签名有效，但签发方未经本平台认可")))
        return "；".join(parts) + "。"

    def as_dict(self) -> dict:
        return {
            "verified": self.ok,
            "result": self.verdict,
            "message": self.message,
            "intact": self.intact,
            "issuer_recognised": self.recognised,
            "issuer": self.trust.as_dict() if self.trust else None,
            "failed_check": self.failed_check,
            "checks": [c.as_dict() for c in self.checks],
            "credential": self.summary,
            "nested": [n.as_dict() for n in self.nested],
            "nested_revoked": self.nested_revoked,
            "nested_failed": self.nested_failed,
            "nested_not_checked": str(self.nested_skipped) or None,
        }


def _types(value) -> list:
    if isinstance(value, list):
        return value
    return [value] if value is not None else []


def _parse_time(value) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not re.fullmatch(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", text
    ):
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment


def _issuer_id(document: dict) -> str | None:
    issuer = document.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, dict) and isinstance(issuer.get("id"), str):
        return issuer["id"]
    return None


def summarise(document: dict) -> dict:
    issuer = document.get("issuer")
    subject = document.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement")
    name_ids = [
        i.get("identityHash")
        for i in subject.get("identifier") or []
        if isinstance(i, dict)
        and i.get("identityType") == "ext:name"
        and not i.get("hashed")
    ]
    types = [t for t in _types(document.get("type")) if t != "VerifiableCredential"]
    summary = {
        "id": document.get("id"),
        "type": types[0] if types else None,
        "name": document.get("name"),
        "issuer_id": _issuer_id(document),
        "issuer_name": issuer.get("name") if isinstance(issuer, dict) else None,
        "subject_name": name_ids[0] if name_ids else None,
        "valid_from": document.get("validFrom"),
        "valid_until": document.get("validUntil"),
    }
    if isinstance(achievement, dict):
        summary["achievement"] = achievement.get("name")
        summary["alignment"] = [
            a.get("targetName")
            for a in achievement.get("alignment") or []
            if isinstance(a, dict)
        ]
    if "creditsEarned" in subject:
        summary["hours"] = subject.get("creditsEarned")
    inner = subject.get("verifiableCredential")
    if isinstance(inner, list):
        summary["contains"] = len(inner)
    if "EndorsementCredential" in types:
        summary["endorses"] = subject.get("id")
        summary["endorsement_comment"] = subject.get("endorsementComment")
        summary.update(_endorsed_here(subject.get("id")))
    return summary


_UUID_URN = re.compile(
    r"urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
)


def _endorsed_here(endorsed_id) -> dict:
    """What an endorsement vouches for, when that is a credential we issued:
    its name, page and whether it has been revoked. The endorsement itself
    is verified on its own; this only says what it is about."""
    match = _UUID_URN.fullmatch(endorsed_id) if isinstance(endorsed_id, str) else None
    if match is None:
        return {}
    from .models import IssuedCredential

    found = (
        IssuedCredential.objects.filter(uid=match.group(1))
        .only("uid", "name", "revoked_at")
        .first()
    )
    if found is None:
        return {}
    return {
        "endorses_name": found.name,
        "endorses_url": found.get_absolute_url(),
        "endorses_revoked": found.revoked_at is not None,
    }


def _resolve_key(
    vm: str,
    issuer_id: str,
    extra_documents: dict | None,
    prefetched: dict | None = None,
):
    """(public key, None) or (None, why not)."""
    base, _sep, fragment = vm.partition("#")
    if base != issuer_id:
        return None, _("签名所用的密钥不属于该签发方。")
    if base.startswith("did:key:"):
        encoded = base[len("did:key:") :]
        if fragment and fragment != encoded:
            return None, _("did:key 的验证方法格式不正确。")
        try:
            return public_key_from_multibase(encoded), None
        except (MultibaseError, ValueError):
            return None, _("did:key 中的公钥无法解析。")
    slug = keys.slug_for_did(base)
    if slug is not None:
        if prefetched is not None and "key" in prefetched:
            found = prefetched["key"]
        else:
            found = (
                IssuerKey.objects.filter(issuer__slug=slug, key_id=fragment)
                .values_list("public_key_multibase", "status")
                .first()
            )
        if found is None:
            return None, _("签发方的 DID 文档中没有这把密钥。")
        if found[1] == IssuerKey.Status.COMPROMISED:
            return None, _("这把密钥已被签发方标记为泄露，用它签发的证书不再可信。")
        return _public_key(found[0]), None
    document = (extra_documents or {}).get(base)
    if isinstance(document, dict):
        methods = [
            m for m in document.get("verificationMethod") or [] if isinstance(m, dict)
        ]
        method = next((m for m in methods if m.get("id") == vm), None)
        if method is None or vm not in (document.get("assertionMethod") or []):
            return None, _("签发方的文档中没有这把用于签发的密钥。")
        try:
            return public_key_from_multibase(method.get("publicKeyMultibase", "")), None
        except (MultibaseError, ValueError):
            return None, _("签发方公钥无法解析。")
    return None, _(
        "签发方不是本平台，也没有在本平台的认可名单中登记 DID 文档，其密钥无法离线获取。"
    )


@lru_cache(maxsize=256)
def _public_key(multibase: str):
    # Decoding is a pure function of the published string.
    return public_key_from_multibase(multibase)


def _our_status_list(url: str) -> tuple[str, int] | None:
    """(issuer slug, list number) when the URL is one of our status lists."""
    base = settings.SITE_BASE_URL.rstrip("/")
    if not url.startswith(base + "/"):
        return None
    match = re.fullmatch(
        r"/credentials/status/([-a-zA-Z0-9_]+)/(\d+)", urlsplit(url).path
    )
    if not match:
        return None
    return match.group(1), int(match.group(2))


def _status_refs(document: dict) -> list[tuple[str, int, int]]:
    """(slug, list number, index) of each of our revocation entries."""
    entries = document.get("credentialStatus")
    entries = entries if isinstance(entries, list) else [entries]
    refs = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("statusPurpose") != "revocation":
            continue
        url, index = entry.get("statusListCredential"), entry.get("statusListIndex")
        if isinstance(url, str) and isinstance(index, str) and index.isdigit():
            ours = _our_status_list(url)
            if ours is not None:
                refs.append((*ours, int(index)))
    return refs


def _prefetch(vm: str, issuer_id: str, document: dict) -> dict:
    """Everything the key and status checks need from the database, in one
    round trip: the key's public half and status, and one byte per status entry."""
    parts, args, keys_out = [], [], []
    base, _sep, fragment = vm.partition("#")
    slug = keys.slug_for_did(base) if base == issuer_id else None
    issuers = Issuer._meta.db_table
    if slug is not None:
        parts.append(
            f"(SELECT k.public_key_multibase || ' ' || k.status FROM {IssuerKey._meta.db_table} k "  # noqa: S608
            f"JOIN {issuers} i ON i.id = k.issuer_id WHERE i.slug = %s AND k.key_id = %s)"
        )
        args += [slug, fragment]
        keys_out.append("key")
    postgres = connection.vendor == "postgresql"
    for ref in _status_refs(document):
        list_slug, number, index = ref
        offset = index // 8
        if postgres:
            pick = "CASE WHEN length(s.revoked) > %s THEN get_byte(s.revoked, %s)::text ELSE '-1' END"
            pick_args = [offset, offset]
        else:
            pick = "CASE WHEN length(s.revoked) > %s THEN hex(substr(s.revoked, %s, 1)) ELSE '-1' END"
            pick_args = [offset, offset + 1]
        parts.append(
            f"(SELECT {pick} FROM {StatusList._meta.db_table} s JOIN {issuers} i "  # noqa: S608
            "ON i.id = s.issuer_id WHERE i.slug = %s AND s.number = %s)"
        )
        args += [*pick_args, list_slug, number]
        keys_out.append(ref)
    if not parts:
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), args)
        row = cursor.fetchone()
    out: dict = {}
    for name, value in zip(keys_out, row, strict=True):
        if name == "key":
            out["key"] = tuple(value.split(" ", 1)) if value else None
        elif value is None:
            out[name] = None
        elif value == "-1":
            out[name] = -1
        else:
            out[name] = int(value) if postgres else int(value, 16)
    return out


def _check_status(
    document: dict, prefetched: dict, outside_status: dict | None = None
) -> Check:
    """``prefetched`` holds the status byte of each of our entries (_prefetch);
    ``outside_status`` the lists of other issuers that were fetched and
    verified (badges.outside): {url: {"issuer": did, "bits": bytes or None,
    "message": why not}}."""
    entries = document.get("credentialStatus")
    if entries is None:
        return Check("status", True, _("该证书未设置撤销状态。"))
    entries = entries if isinstance(entries, list) else [entries]
    unknown = False
    for entry in entries:
        if (
            not isinstance(entry, dict)
            or entry.get("type") != "BitstringStatusListEntry"
        ):
            return Check("status", False, _("撤销状态条目格式不正确。"))
        if entry.get("statusPurpose") != "revocation":
            continue
        url = entry.get("statusListCredential")
        index = entry.get("statusListIndex")
        if (
            not isinstance(url, str)
            or not isinstance(index, str)
            or not index.isdigit()
        ):
            return Check("status", False, _("撤销状态条目缺少列表地址或序号。"))
        ours = _our_status_list(url)
        if ours is None:
            fetched = (outside_status or {}).get(url)
            if fetched is None or fetched.get("bits") is None:
                unknown = True
                continue
            if fetched.get("issuer") != _issuer_id(document):
                return Check(
                    "status", False, _("撤销状态列表不是该证书的签发方签发的。")
                )
            position = int(index)
            bits = fetched["bits"]
            if position // 8 >= len(bits):
                return Check("status", False, _("撤销状态序号超出列表范围。"))
            if bits[position // 8] & (0x80 >> (position % 8)):
                return Check("status", False, _("该证书已被签发方撤销。"), "revoked")
            continue
        index = int(index)
        ref = (*ours, index)
        byte = prefetched.get(ref)
        if byte is None:
            return Check("status", False, _("撤销状态列表不存在。"))
        if byte < 0:
            return Check("status", False, _("撤销状态序号超出列表范围。"))
        if byte & (0x80 >> (index % 8)):
            return Check("status", False, _("该证书已被签发方撤销。"), "revoked")
    if unknown:
        return Check("status", None, _("状态列表不在本平台，未能离线检查是否撤销。"))
    return Check("status", True, _("未被撤销。"))


def _check_dates(document: dict, proof: dict | None, now: datetime.datetime) -> Check:
    valid_from = _parse_time(document.get("validFrom"))
    if valid_from is None:
        return Check("dates", False, _("生效时间（validFrom）缺失或格式不正确。"))
    skew = datetime.timedelta(minutes=5)
    if valid_from > now + skew:
        return Check("dates", False, _("证书尚未生效。"))
    if "validUntil" in document:
        valid_until = _parse_time(document.get("validUntil"))
        if valid_until is None:
            return Check("dates", False, _("失效时间（validUntil）格式不正确。"))
        if valid_until < now:
            return Check("dates", False, _("证书已过有效期。"))
    if proof is not None:
        created = _parse_time(proof.get("created"))
        if created is None:
            return Check("dates", False, _("签名时间（created）缺失或格式不正确。"))
        if created > now + skew:
            return Check("dates", False, _("签名时间晚于当前时间。"))
    return Check("dates", True, _("在有效期内。"))


def verify_credential(
    document,
    *,
    now: datetime.datetime | None = None,
    extra_documents: dict | None = None,
    registry: TrustRegistry | None = None,
    deadline: float | None = None,
    outside_status: dict | None = None,
    remember_canonical: bool = False,
    _depth: int = 0,
) -> Report:
    """Check ``document``. ``deadline`` (a time.monotonic() value) caps the
    work: credentials inside a CLR not reached by then are reported as not
    checked, and the CLR is then not valid. ``remember_canonical``: the
    document is JSON as parsed (a stored credential) and may be checked
    again soon (its share link): its canonical form's hash is kept in this
    process (badges.proofs.hash_data); every check still runs every time."""
    now = now or timezone.now()
    registry = registry or TrustRegistry()
    checks: list[Check] = []

    def not_checked(*codes, why=None):
        for code in codes:
            checks.append(Check(code, None, why or _("前一项未通过，未检查。")))

    # 1. format
    problem = None
    if not isinstance(document, dict):
        problem = _("内容不是一个 JSON 对象。")
    else:
        contexts = document.get("@context")
        if (
            not isinstance(contexts, list)
            or not contexts
            or contexts[0] != jsonld.VC_V2
        ):
            problem = _("@context 的第一项必须是 W3C 可验证凭证 2.0 上下文。")
        elif any(not isinstance(c, str) or c not in jsonld.PINNED for c in contexts):
            problem = _("使用了本平台未收录的 JSON-LD 上下文，无法离线验证。")
        elif "VerifiableCredential" not in _types(document.get("type")):
            problem = _("type 中缺少 VerifiableCredential。")
        elif _issuer_id(document) is None:
            problem = _("缺少签发方（issuer）。")
        elif not isinstance(document.get("credentialSubject"), dict):
            problem = _("缺少证书主体（credentialSubject）。")
    summary = summarise(document) if isinstance(document, dict) else {}
    if problem:
        checks.append(Check("format", False, problem))
        not_checked("schema", "issuer_key", "signature", "status", "dates")
        return Report(checks, summary)
    try:
        parts = proofs.split_proof(document)
    except proofs.ProofError as exc:
        checks.append(Check("format", False, _("签名（proof）不合规范：%s") % exc))
        not_checked("schema", "issuer_key", "signature", "status", "dates")
        return Report(checks, summary)
    checks.append(
        Check("format", True, _("W3C 可验证凭证 2.0，eddsa-rdfc-2022 签名。"))
    )
    issuer_id = _issuer_id(document)
    trust = registry.lookup(issuer_id)

    # 2. schema: a document that does not have the published structure goes
    # no further (in particular it is never canonicalised).
    errors = schema.schema_errors(document)
    if errors:
        checks.append(
            Check("schema", False, _("不符合 1EdTech 数据结构：") + "；".join(errors))
        )
        not_checked("issuer_key", "signature", "status", "dates")
        return Report(checks, summary, trust=trust)
    if schema.schema_kind(document):
        checks.append(Check("schema", True, _("符合 1EdTech JSON Schema。")))
    else:
        checks.append(
            Check("schema", None, _("非 Open Badges / CLR 证书，未做结构校验。"))
        )

    # 3. issuer key
    documents = dict(extra_documents or {})
    pinned = registry.did_document(issuer_id)
    if pinned is not None:
        documents.setdefault(issuer_id, pinned)
    prefetched = _prefetch(parts.verification_method, issuer_id, document)
    public_key, why = _resolve_key(
        parts.verification_method, issuer_id, documents, prefetched
    )
    if public_key is None:
        checks.append(Check("issuer_key", False, why))
        not_checked("signature")
    else:
        checks.append(
            Check(
                "issuer_key", True, _("密钥属于签发方：%s") % parts.verification_method
            )
        )
        # 4. signature
        try:
            good = proofs.verify(parts, public_key, remember=remember_canonical)
            message = (
                _("签名有效，内容未被改动。")
                if good
                else _("签名与内容不符：证书内容被改动过，或不是用这把密钥签发的。")
            )
        except proofs.ProofError as exc:
            good, message = False, _("无法校验签名：%s") % exc
        except jsonld.CanonicalisationError as exc:
            # The technical reason stays in English, as the standards name it.
            good, message = (
                False,
                _(
                    "证书含有所用上下文未定义的内容，签名无法覆盖它，因此不能认定有效（%s）。"
                )
                % exc,
            )
        checks.append(Check("signature", good, message))

    # 5. status, 6. dates
    checks.append(_check_status(document, prefetched, outside_status))
    checks.append(_check_dates(document, parts.proof, now))

    report = Report(checks, summary, trust=trust)
    inner = document["credentialSubject"].get("verifiableCredential")
    if _depth == 0 and isinstance(inner, list) and inner:
        # The outer proof first: only a CLR whose own signature holds is worth
        # opening; its credentials are then checked one by one, within budget.
        if not report.intact:
            report.nested_skipped = _(
                "这份成绩单本身未通过核验，其中的 %(n)s 份证书未逐份核验。"
            ) % {"n": len(inner)}
            return report
        for n, credential in enumerate(inner[:MAX_NESTED]):
            if deadline is not None and time.monotonic() > deadline:
                report.incomplete = True
                report.nested_skipped = _(
                    "核验工作量超出单次上限，其余 %(n)s 份证书未核验；请分批提交其中的证书。"
                ) % {"n": len(inner) - n}
                break
            report.nested.append(
                verify_credential(
                    credential,
                    now=now,
                    extra_documents=extra_documents,
                    registry=registry,
                    deadline=deadline,
                    outside_status=outside_status,
                    remember_canonical=remember_canonical,
                    _depth=1,
                )
            )
    return report
