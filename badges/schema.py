"""Validation against the 1EdTech JSON schemas for AchievementCredential and
ClrCredential (files in ``badges/schemas``).

The copies we have were published before Open Badges 3.0 moved to the VC 2.0
data model. When loading them we apply the VC 2.0 changes and nothing else:
``issuanceDate``/``expirationDate`` become ``validFrom``/``validUntil``, and a
``credentialStatus`` entry may carry the properties its type defines (VC 2.0
status entries such as BitstringStatusListEntry have their own). The files
themselves stay as published. See docs/decisions/0005.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import fastjsonschema
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT4

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
FILES = {
    "OpenBadgeCredential": "ob_v3p0_achievementcredential_schema.json",
    "AchievementCredential": "ob_v3p0_achievementcredential_schema.json",
    "ClrCredential": "clr_v2p0_clrcredential_schema.json",
}
RENAMES = {"issuanceDate": "validFrom", "expirationDate": "validUntil"}


def _vc2(node):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                out[key] = {RENAMES.get(k, k): _vc2(v) for k, v in value.items()}
            elif key == "required" and isinstance(value, list):
                out[key] = [RENAMES.get(k, k) for k in value]
            else:
                out[key] = _vc2(value)
        return out
    if isinstance(node, list):
        return [_vc2(v) for v in node]
    return node


@cache
def _schema(kind: str) -> dict:
    schema = json.loads((SCHEMA_DIR / FILES[kind]).read_text(encoding="utf-8"))
    schema = _vc2(schema)
    status = schema.get("$defs", {}).get("CredentialStatus")
    if status is not None:
        status["additionalProperties"] = True
    return schema


def _offline(uri: str):
    raise NoSuchResource(ref=uri)


@cache
def validator(kind: str) -> Draft4Validator:
    """The reference validator: slow, but says where every problem is. Its
    references resolve within the file; nothing is ever fetched."""
    schema = _schema(kind)
    resource = Resource.from_contents(schema, default_specification=DRAFT4)
    registry = Registry(retrieve=_offline).with_resource(schema["$id"], resource)
    return Draft4Validator(schema, registry=registry)


@cache
def _compiled(kind: str):
    """The same schema compiled to Python: answers valid/invalid quickly."""
    return fastjsonschema.compile(
        _schema(kind), handlers={"http": _offline, "https": _offline}
    )


def schema_kind(document: dict) -> str | None:
    types = document.get("type")
    types = types if isinstance(types, list) else [types]
    for kind in ("ClrCredential", "OpenBadgeCredential", "AchievementCredential"):
        if kind in types:
            return kind
    return None


def _conforms(kind: str, document: dict) -> bool:
    try:
        _compiled(kind)(document)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def schema_errors(document: dict, limit: int = 5) -> list[str]:
    kind = schema_kind(document)
    if kind is None:
        return []
    if _conforms(kind, document):
        return []
    # Invalid: the reference validator says where and why.
    errors = sorted(validator(kind).iter_errors(document), key=lambda e: list(e.path))
    out = []
    for error in errors[:limit]:
        where = "/".join(str(p) for p in error.absolute_path) or "(根)"
        out.append(f"{where}: {error.message[:200]}")
    return out
