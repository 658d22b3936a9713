"""Validation against the current published 1EdTech JSON schemas (JSON Schema
2019-09, VC 2.0 data model with ``validFrom``) for AchievementCredential /
OpenBadgeCredential, EndorsementCredential and ClrCredential, kept as data in ``badges/schemas``
(sources in docs/decisions/0005).

The Open Badges schema is the formal one, where ``proof`` is an array; what we
issue passes it as published. VC 2.0 and the JSON-LD adaptation of the same
schema (also published by 1EdTech, and what the CLR schema uses for its parts)
allow a single proof object too, so when checking someone else's credential a
single ``proof`` object is read as a one-element array; nothing else is
adapted.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import marshal
import os
import re
from functools import cache
from pathlib import Path

import fastjsonschema
from jsonschema import Draft201909Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT201909

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
FILES = {
    "OpenBadgeCredential": "ob_v3p0_achievementcredential_schema.json",
    "AchievementCredential": "ob_v3p0_achievementcredential_schema.json",
    "ClrCredential": "clr_v2p0_clrcredential_schema.json",
    # The EndorsementCredential definition of the same published OB 3.0 schema,
    # at the root of a file of its own (see docs/decisions/0011).
    "EndorsementCredential": "ob_v3p0_endorsementcredential_schema.json",
    # The JSON-LD adaptation of the OB schema: a test oracle only.
    "OpenBadgeCredential/json-ld": "ob_v3p0_achievementcredential_schema.jsonld-adaptation.json",
}


@cache
def _schema(kind: str) -> dict:
    return json.loads((SCHEMA_DIR / FILES[kind]).read_text(encoding="utf-8"))


def _offline(uri: str):
    raise NoSuchResource(ref=uri)


_HANDLERS = {"http": _offline, "https": _offline}
_DEF = re.compile(r"^def (\w+)\(", re.MULTILINE)


@cache
def validator(kind: str) -> Draft201909Validator:
    """The reference validator: slow, but says where every problem is. Its
    references resolve within the file; nothing is ever fetched."""
    schema = _schema(kind)
    resource = Resource.from_contents(schema, default_specification=DRAFT201909)
    registry = Registry(retrieve=_offline).with_resource(schema["$id"], resource)
    return Draft201909Validator(schema, registry=registry)


def _module_dir() -> Path | None:
    from django.conf import settings

    path = Path(getattr(settings, "BASE_DIR", ".")) / "var" / "schema-validators"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path


@cache
def _compiled(kind: str):
    """The same schema compiled to Python: answers valid/invalid quickly. The
    files use only keywords that draft 7 shares with 2019-09 (``$defs`` is
    reached through plain JSON pointers), which a test checks against the
    reference validator.

    The generated code (some MB) takes seconds to compile, so its bytecode is
    written to ``var/schema-validators`` once, named by the schema file's hash
    and the Python version, and loaded from there by every later process."""
    raw = (SCHEMA_DIR / FILES[kind]).read_bytes()
    schema = {k: v for k, v in _schema(kind).items() if k != "$schema"}
    folder = _module_dir()
    if folder is None:
        return fastjsonschema.compile(schema, handlers=_HANDLERS)
    tag = hashlib.sha256(raw + importlib.util.MAGIC_NUMBER).hexdigest()[:24]
    path = folder / f"v_{tag}.marshal"
    try:
        # Written by this function, under the project's own var/ folder.
        entry, code = marshal.loads(path.read_bytes())  # noqa: S302
    except (OSError, ValueError, EOFError, TypeError):
        source = fastjsonschema.compile_to_code(schema, handlers=_HANDLERS)
        # The entry point is the first function the generator writes.
        entry = _DEF.search(source).group(1)
        code = compile(source, f"<schema {FILES[kind]}>", "exec")
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps((entry, code)))
        os.replace(tmp, path)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 -- code generated here from our schema file
    return namespace[entry]


def warm() -> None:
    """Load the compiled validators now rather than in a first request."""
    for kind in ("OpenBadgeCredential", "ClrCredential", "EndorsementCredential"):
        _compiled(kind)


def schema_kind(document: dict) -> str | None:
    types = document.get("type")
    types = types if isinstance(types, list) else [types]
    for kind in (
        "ClrCredential",
        "OpenBadgeCredential",
        "AchievementCredential",
        "EndorsementCredential",
    ):
        if kind in types:
            return kind
    return None


def as_published(document: dict) -> dict:
    """A single proof object read as the one-element array the formal schema
    wants (VC 2.0 allows both forms)."""
    if isinstance(document.get("proof"), dict):
        return {**document, "proof": [document["proof"]]}
    return document


def conforms(kind: str, document: dict) -> bool:
    try:
        _compiled(kind)(document)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def schema_errors(document: dict, limit: int = 5) -> list[str]:
    kind = schema_kind(document)
    if kind is None:
        return []
    document = as_published(document)
    if conforms(kind, document):
        return []
    # Invalid: the reference validator says where and why (the first few only;
    # it stops there, so a huge invalid document costs no more than a small one).
    out = []
    for error in validator(kind).iter_errors(document):
        where = "/".join(str(p) for p in error.absolute_path) or "(根)"
        out.append(f"{where}: {error.message[:200]}")
        if len(out) >= limit:
            break
    return out
