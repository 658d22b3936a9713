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
