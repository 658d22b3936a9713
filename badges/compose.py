"""Compose the unsigned documents: an OpenBadgeCredential per ledger record and
a ClrCredential per transcript. Pure functions of their inputs."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils.text import slugify

from . import jsonld

# No credentialSchema entry: its type (1EdTechJsonSchemaValidator2019) is not
# defined by the contexts we sign under, and strict JSON-LD processors (the
# reference JS verifier runs in safe mode) refuse an undefined type. Schema
# conformance is checked by type instead (badges.schema).
FRAMEWORK_NAME = "JY/T 0646-2022 教师数字素养"

KIND_TO_ACHIEVEMENT_TYPE = {
    "online_course": "Course",
    "offline_training": "Course",
    "school_based": "LearningProgram",
    "studio_activity": "ext:StudioActivity",
    "competition": "Award",
    "recognition": "Course",
}


def iso(moment: datetime.datetime | datetime.date) -> str:
    if isinstance(moment, datetime.datetime):
        return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{moment.isoformat()}T00:00:00Z"


def site_url(path: str) -> str:
    return settings.SITE_BASE_URL.rstrip("/") + path


def number(value: Decimal) -> float | int:
    """Credits as a JSON number (1 decimal place in the ledger)."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def identity_hash(value: str, salt: str) -> str:
    digest = hashlib.sha256((value + salt).encode("utf-8")).hexdigest()
    return f"sha256${digest}"


def default_achievement_slug(record) -> str:
    """Stable per source: the same course or activity always gets the same id."""
    basis = f"{record.source_type}:{record.source_id}:{record.source_title}"
    short = hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]
    prefix = slugify(record.source_type.replace(".", "-")) or "activity"
    return f"{prefix}-{short}"


def _display(record, field: str) -> str:
    """What ``record.get_<field>_display()`` gives (the label of its value in
    the active language, or the value itself when it has none), translating
    one label rather than hashing every choice as Django's method does."""
    value = getattr(record, field)
    for choice, label in record._meta.get_field(field).flatchoices:
        if choice == value:
            return str(label)
    return str(value)


def achievement_for(record, definition=None) -> dict:
    """The Achievement for a record: from its AchievementDefinition when there
    is one (with indicator alignment), else derived from the record."""
    if definition is not None:
        slug = definition.slug
        name = definition.name
        description = definition.description
        narrative = definition.criteria
        achievement_type = definition.achievement_type
        credits_available = definition.credits_available
        competencies = list(definition.competencies.all())
    else:
        slug = default_achievement_slug(record)
        name = record.source_title
        description = f"{_display(record, 'kind')}·{_display(record, 'category')}"
        narrative = f"完成“{record.source_title}”并经平台记入学分银行。"
        achievement_type = KIND_TO_ACHIEVEMENT_TYPE.get(record.kind, "Course")
        credits_available = None
        competencies = []
    achievement = {
        "id": site_url(reverse("achievement_detail", args=[slug])),
        "type": ["Achievement"],
        "achievementType": achievement_type,
        "name": name,
        "description": description,
        "criteria": {"narrative": narrative},
        "image": {
            "id": site_url(reverse("achievement_badge", args=[slug])),
            "type": "Image",
        },
        "inLanguage": "zh-CN",
    }
    if credits_available is not None:
        achievement["creditsAvailable"] = number(credits_available)
    if competencies:
        achievement["alignment"] = [
            {
                "type": ["Alignment"],
                "targetName": f"{c.code} {c.name}",
                "targetUrl": site_url(c.get_absolute_url()),
                "targetCode": c.code,
                "targetFramework": FRAMEWORK_NAME,
                "targetType": "ceasn:Competency",
            }
            for c in sorted(competencies, key=lambda c: c.sort_key)
        ]
    return achievement, slug


def subject_identifiers(teacher, salt: str) -> list[dict]:
    email = (teacher.user.email or "").strip().lower()
    identifiers = [
        {
            "type": "IdentityObject",
            "identityType": "ext:name",
            "hashed": False,
            "identityHash": teacher.real_name,
        }
    ]
    if email:
        identifiers.append(
            {
                "type": "IdentityObject",
                "identityType": "emailAddress",
                "hashed": True,
                "identityHash": identity_hash(email, salt),
                "salt": salt,
            }
        )
    return identifiers


def badge_credential(
    *,
    uid,
    record,
    issuer_id: str,
    issuer_name: str,
    status: dict | None,
    definition=None,
    salt: str | None = None,
) -> tuple[dict, str]:
    """(unsigned OpenBadgeCredential, achievement slug) for a ledger record."""
    achievement, slug = achievement_for(record, definition)
    salt = salt or secrets.token_hex(8)
    subject = {
        "type": ["AchievementSubject"],
        "identifier": subject_identifiers(record.teacher, salt),
        "achievement": achievement,
        "creditsEarned": number(record.hours),
        "activityEndDate": iso(record.earned_on),
        "result": [
            {
                "type": ["Result"],
                "value": f"{Decimal(record.credits):.2f}",
                "resultDescription": f"{achievement['id']}#credits",
            }
        ],
    }
    achievement["resultDescription"] = [
        {
            "id": f"{achievement['id']}#credits",
            "type": ["ResultDescription"],
            "name": "学分",
            "resultType": "ext:Credits",
        }
    ]
    document = {
        "@context": [jsonld.VC_V2, jsonld.OB_V3],
        "id": f"urn:uuid:{uid}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": issuer_name},
        "validFrom": iso(record.recorded_at),
        "name": f"{record.source_title}（{_hours_text(record.hours)}学时）",
        "credentialSubject": subject,
    }
    if status:
        document["credentialStatus"] = status
    return document, slug


def _hours_text(hours: Decimal) -> str:
    value = number(hours)
    return str(value)


def clr_credential(
    *,
    uid,
    transcript,
    teacher,
    issuer_id: str,
    issuer_name: str,
    credentials: list[dict],
    issued_at: datetime.datetime,
    status: dict | None,
    salt: str | None = None,
) -> dict:
    """An unsigned ClrCredential carrying the teacher's signed badges."""
    salt = salt or secrets.token_hex(8)
    achievements = []
    seen = set()
    for credential in credentials:
        achievement = credential["credentialSubject"]["achievement"]
        if achievement["id"] not in seen:
            seen.add(achievement["id"])
            achievements.append(achievement)
    document = {
        "@context": [jsonld.VC_V2, jsonld.CLR_V2, jsonld.OB_V3],
        "id": f"urn:uuid:{uid}",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": issuer_name},
        "validFrom": iso(issued_at),
        "name": (
            f"{teacher.real_name} 继续教育学分证明 "
            f"{transcript.cycle_start}–{transcript.cycle_end}"
            f"（{_hours_text(transcript.total_hours)}学时，验证码 {transcript.code}）"
        ),
        "credentialSubject": {
            "type": ["ClrSubject"],
            "identifier": subject_identifiers(teacher, salt),
            "achievement": achievements,
            "verifiableCredential": credentials,
        },
    }
    if status:
        document["credentialStatus"] = status
    return document


def endorsement_credential(
    *,
    uid,
    endorsed_id: str,
    endorsed_name: str,
    comment: str,
    endorser_name: str,
    issuer_id: str,
    issuer_name: str,
    issued_at: datetime.datetime,
    status: dict | None,
) -> dict:
    """An unsigned Open Badges 3.0 EndorsementCredential: the studio (issuer)
    vouches for the credential ``endorsed_id``, in its leader's words."""
    document = {
        "@context": [jsonld.VC_V2, jsonld.OB_V3],
        "id": f"urn:uuid:{uid}",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": issuer_name},
        "validFrom": iso(issued_at),
        "name": f"{issuer_name}对“{endorsed_name}”的背书",
        "description": f"工作室主持人{endorser_name}的背书意见。",
        "credentialSubject": {
            "id": endorsed_id,
            "type": ["EndorsementSubject"],
            "endorsementComment": comment,
        },
    }
    if status:
        document["credentialStatus"] = status
    return document
