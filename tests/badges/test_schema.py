"""The fast compiled schema check and the reference validator agree."""

import copy

import pytest

from badges import schema

from .conftest import credential_of

pytestmark = pytest.mark.django_db


def test_our_credentials_pass_and_broken_ones_are_explained(credited):
    document = credential_of(credited).document
    assert schema.schema_errors(document) == []
    assert list(schema.validator("OpenBadgeCredential").iter_errors(document)) == []
    broken = [
        ("credentialSubject", "achievement", "criteria"),
        ("credentialSubject", "type"),
        ("issuer", "id"),
        ("validFrom",),
    ]
    for path in broken:
        doc = copy.deepcopy(document)
        node = doc
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
        errors = schema.schema_errors(doc)
        assert errors, path
        assert list(schema.validator("OpenBadgeCredential").iter_errors(doc)), path
    doc = copy.deepcopy(document)
    doc["credentialSubject"]["identifier"][0]["identityType"] = "身份证号"
    assert schema.schema_errors(doc)


def test_what_we_issue_passes_the_current_published_schemas_as_published(credited):
    """OB 3.0 (JSON Schema 2019-09, validFrom, proof an array) and CLR 2.0,
    read as published: no adaptation of the document or the schema."""
    from badges import services
    from credits.services import transcript_issue

    badge = credential_of(credited).document
    assert isinstance(badge["proof"], list) and len(badge["proof"]) == 1
    for kind in ("OpenBadgeCredential", "OpenBadgeCredential/json-ld"):
        assert list(schema.validator(kind).iter_errors(badge)) == [], kind
        assert schema.conforms(kind, badge), kind
    transcript, _ = transcript_issue(teacher=credited)
    clr = services.transcript_clr(transcript=transcript).document
    assert list(schema.validator("ClrCredential").iter_errors(clr)) == []
    assert schema.conforms("ClrCredential", clr)


def test_a_single_proof_object_still_verifies(credited):
    """What we used to issue (and VC 2.0 allows): fails the formal schema as
    published, which wants an array, but verifies; the signature is the same."""
    from badges.verify import verify_credential

    badge = copy.deepcopy(credential_of(credited).document)
    badge["proof"] = badge["proof"][0]
    errors = list(schema.validator("OpenBadgeCredential").iter_errors(badge))
    assert [list(e.absolute_path) for e in errors] == [["proof"]]
    assert schema.schema_errors(badge) == []
    assert verify_credential(badge).ok
