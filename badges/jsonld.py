"""JSON-LD with a pinned, offline document loader and RDFC-1.0 canonicalisation.

Every context a credential may name is a file in ``badges/contexts``; any other
URL is refused, so nothing here ever touches the network and a document that
names an unknown context cannot be canonicalised (and so cannot verify).
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path

from pyld import canon, jsonld

CONTEXT_DIR = Path(__file__).resolve().parent / "contexts"

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_V2 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"

PINNED = {
    VC_V2: "credentials-v2.jsonld",
    OB_V3: "ob-v3p0-context-3.0.3.json",
    CLR_V2: "clr-v2p0-context-2.0.1.json",
    DID_V1: "did-v1.jsonld",
    MULTIKEY_V1: "multikey-v1.jsonld",
    EXAMPLES_V2: "credentials-examples-v2.jsonld",
}


class UnknownContext(ValueError):
    def __init__(self, url: str):
        super().__init__(f"context not available offline: {url}")
        self.url = url


@cache
def context_document(url: str) -> dict:
    """The parsed pinned context for ``url`` (shared; treat as read-only)."""
    name = PINNED.get(url)
    if name is None:
        raise UnknownContext(url)
    return json.loads((CONTEXT_DIR / name).read_text(encoding="utf-8"))


def context_text(url: str) -> bytes:
    name = PINNED.get(url)
    if name is None:
        raise UnknownContext(url)
    return (CONTEXT_DIR / name).read_bytes()


def document_loader(url: str, options=None) -> dict:
    try:
        document = context_document(url)
    except UnknownContext as exc:
        raise jsonld.JsonLdError(
            str(exc),
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading document failed",
        ) from None
    # pyld may annotate what it is given; hand it a copy. The "static" tag lets
    # pyld keep the processed context between operations: the files never change.
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": copy.deepcopy(document),
        "tag": "static",
    }


# --- Processed-context memo -------------------------------------------------
#
# pyld caches a processed context per (context, active context), keyed by the
# active context's ``_uuid``. Contexts that do not propagate (the type-scoped
# contexts Open Badges uses for Achievement, AchievementSubject, Profile ...)
# are applied to a fresh clone every time, which has no ``_uuid`` yet, so pyld
# processes them again for every credential. Most of the time spent verifying
# one of our credentials went there. The memo below keys the result on the
# active context's identity and the local context's identity; since both come
# from pyld's own caches and the memo holds references to them, an identity
# cannot be reused for a different object. Anything else (an inline context
# written inside a document, a cycle check in progress) goes straight to pyld.
# ``tests/badges/test_jsonld.py`` checks that canonical forms are unchanged.

_CONTEXT_MEMO: dict = {}
_CONTEXT_MEMO_MAX = 4096
_original_process_context = jsonld.JsonLdProcessor._process_context
memo_enabled = True


def _local_key(local_ctx):
    if isinstance(local_ctx, str):
        return local_ctx
    if isinstance(local_ctx, list) and all(isinstance(c, str) for c in local_ctx):
        return tuple(local_ctx)
    return None


def _memo_process_context(
    self,
    active_ctx,
    local_ctx,
    options,
    override_protected=False,
    propagate=True,
    validate_scoped=True,
    cycles=None,
):
    uid = active_ctx.get("_uuid") if isinstance(active_ctx, dict) else None
    lkey = _local_key(local_ctx)
    if lkey is None and isinstance(local_ctx, dict) and local_ctx in _STATIC_LOCALS:
        lkey = ("id", id(local_ctx))
    if not memo_enabled or uid is None or lkey is None or cycles:
        result = _original_process_context(
            self,
            active_ctx,
            local_ctx,
            options,
            override_protected,
            propagate,
            validate_scoped,
            cycles,
        )
        return result
    key = (uid, lkey, override_protected, propagate, validate_scoped)
    hit = _CONTEXT_MEMO.get(key)
    if hit is not None:
        return hit[0]
    result = _original_process_context(
        self,
        active_ctx,
        local_ctx,
        options,
        override_protected,
        propagate,
        validate_scoped,
    )
    if len(_CONTEXT_MEMO) >= _CONTEXT_MEMO_MAX:
        _CONTEXT_MEMO.clear()
    # Keep the inputs alive with the result so their identities stay unique.
    _CONTEXT_MEMO[key] = (result, active_ctx, local_ctx)
    _register_scoped(result)
    return result


class _IdentitySet:
    """Scoped contexts found in term definitions of processed, memoised contexts."""

    def __init__(self):
        self._objects: dict[int, object] = {}

    def add(self, obj):
        self._objects[id(obj)] = obj

    def __contains__(self, obj):
        return self._objects.get(id(obj)) is obj


_STATIC_LOCALS = _IdentitySet()


def _register_scoped(active_ctx):
    if not isinstance(active_ctx, dict):
        return
    for mapping in (active_ctx.get("mappings") or {}).values():
        if isinstance(mapping, dict):
            scoped = mapping.get("@context")
            if isinstance(scoped, dict):
                _STATIC_LOCALS.add(scoped)


jsonld.JsonLdProcessor._process_context = _memo_process_context


def _modify_first_degree_component(self, id_, component, key):
    # pyld deep-copies here; an RDF term is a flat dict of strings, so a
    # shallow copy is the same thing at a fraction of the cost.
    if component["type"] != "blank node":
        return component
    component = dict(component)
    component["value"] = "_:a" if component["value"] == id_ else "_:z"
    return component


canon.URDNA2015.modify_first_degree_component = _modify_first_degree_component


class CanonicalisationError(ValueError):
    """The document is not JSON-LD we can canonicalise offline."""


# --- Safe mode ---------------------------------------------------------------
#
# A property the contexts do not define, or a type or id that stays a relative
# IRI, silently vanishes from the RDF that gets signed: it could be changed
# without breaking the signature. Like the reference JS implementation's safe
# mode, we refuse such documents outright, when signing and when verifying.

_ABSOLUTE = re.compile(r"^(_:|[A-Za-z][A-Za-z0-9+.\-]*:)")


class _Unsafe(jsonld.JsonLdError):
    def __init__(self, message: str):
        super().__init__(message, "jsonld.SafeModeError", {}, code="safe mode")


def _dropped(prop):
    raise _Unsafe(f"property not defined by the contexts: {prop}")


def _check_expanded(node) -> None:
    if isinstance(node, list):
        for item in node:
            _check_expanded(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "@id":
            if isinstance(value, str) and not _ABSOLUTE.match(value):
                raise _Unsafe(f"relative IRI: {value}")
        elif key == "@type":
            for t in value if isinstance(value, list) else [value]:
                if isinstance(t, str) and not _ABSOLUTE.match(t) and t != "@json":
                    raise _Unsafe(f"type not defined by the contexts: {t}")
        elif key == "@value":
            continue
        else:
            _check_expanded(value)


class _SafeProcessor(jsonld.JsonLdProcessor):
    def __init__(self):
        super().__init__(on_property_dropped=_dropped)

    def expand(self, input_, options):
        expanded = super().expand(input_, options)
        _check_expanded(expanded)
        return expanded


def canonize(document: dict) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of ``document``."""
    try:
        return _SafeProcessor().normalize(
            document,
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": document_loader,
                # No document base: a relative IRI stays relative (and is refused)
                # instead of being resolved against some default.
                "base": None,
            },
        )
    except jsonld.JsonLdError as exc:
        cause, url = exc, None
        while cause is not None:
            details = getattr(cause, "details", None)
            if isinstance(details, dict) and isinstance(details.get("url"), str):
                url = details["url"]
            if isinstance(cause, UnknownContext):
                url = cause.url
            cause = getattr(cause, "cause", None) or cause.__cause__
        if url:
            raise CanonicalisationError(f"unknown context {url}") from exc
        unsafe = exc
        while unsafe is not None and not isinstance(unsafe, _Unsafe):
            unsafe = getattr(unsafe, "cause", None) or unsafe.__cause__
        if unsafe is not None:
            raise CanonicalisationError(unsafe.args[0]) from exc
        raise CanonicalisationError(str(exc).split("\n")[0][:300]) from exc
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        raise CanonicalisationError(f"not valid JSON-LD: {exc}"[:300]) from exc
