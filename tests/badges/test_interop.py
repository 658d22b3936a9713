"""An independent implementation agrees with us: the reference JavaScript
verifier (@digitalbazaar/vc + eddsa-rdfc-2022) accepts what we sign, and
rejects every single-field change that we reject."""

import copy
import json
from pathlib import Path

import pytest

from badges import services, statuslist
from badges.models import StatusList
from badges.verify import verify_credential
from credits.services import transcript_issue

from .conftest import credential_of
from .js import js_verify

pytestmark = pytest.mark.django_db
VECTORS = Path(__file__).parent / "vectors"


def leaf_paths(node, prefix=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaf_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaf_paths(value, (*prefix, index))
    else:
        yield prefix


def mutated(document, path):
    doc = copy.deepcopy(document)
    node = doc
    for key in path[:-1]:
        node = node[key]
    value = node[path[-1]]
    if isinstance(value, bool):
        node[path[-1]] = not value
    elif isinstance(value, (int, float)):
        node[path[-1]] = value + 1
    elif isinstance(value, str) and value:
        # Change one character (a CJK one where there is one).
        i = next((n for n, ch in enumerate(value) if ord(ch) > 0x2E80), len(value) - 1)
        node[path[-1]] = value[:i] + chr(ord(value[i]) + 1) + value[i + 1 :]
    else:
        node[path[-1]] = "x"
    return doc


def test_js_reference_verifier_accepts_ours_and_rejects_every_single_field_change(
    credited, tmp_path
):
    badge = credential_of(credited).document
    transcript, _ = transcript_issue(teacher=credited)
    clr = services.transcript_clr(transcript=transcript).document
    status_list = statuslist.signed_list(StatusList.objects.first())

    vector = json.loads((VECTORS / "1edtech-ob/signed.json").read_text())
    vector_keys = json.loads((VECTORS / "1edtech-ob/keys.json").read_text())
    vm = vector["proof"]["verificationMethod"]
    controller = vm.split("#")[0]
    extra = {
        controller: {
            "@context": [
                "https://www.w3.org/ns/did/v1",
                "https://w3id.org/security/multikey/v1",
            ],
            "id": controller,
            "verificationMethod": [
                {
                    "id": vm,
                    "type": "Multikey",
                    "controller": controller,
                    "publicKeyMultibase": vector_keys["publicKeyMultibase"],
                }
            ],
            "assertionMethod": [vm],
        }
    }

    unsigned = {k: v for k, v in badge.items() if k != "proof"}
    paths = [p for p in leaf_paths(unsigned)]
    assert len(paths) > 30
    tampered = [mutated(badge, p) for p in paths]
    # Changing the proof's own options must fail too.
    for key in ("created", "verificationMethod"):
        tampered.append(mutated(badge, ("proof", 0, key)))

    genuine = [badge, clr, status_list, vector]
    results = js_verify(genuine + tampered, tmp_path, extra=extra)
    assert [r["verified"] for r in results[:4]] == [True, True, True, True], results[:4]
    js_accepted = [
        (p, r) for p, r in zip(paths, results[4:], strict=False) if r["verified"]
    ]
    assert js_accepted == []
    assert not any(r["verified"] for r in results[4:])

    # Ours agrees on every one (the 1EdTech vector's issuer is intact but not
    # one this platform recognises, so it is not "valid" here).
    reports = [verify_credential(d, extra_documents=extra) for d in genuine]
    assert all(r.intact for r in reports)
    assert [r.ok for r in reports] == [True, True, True, False]
    assert reports[3].failed_check == "issuer_trust"
    ours_accepted = [d for d in tampered if verify_credential(d).ok]
    assert ours_accepted == []


def test_js_verifier_rejects_a_changed_clr(credited, tmp_path):
    transcript, _ = transcript_issue(teacher=credited)
    clr = services.transcript_clr(transcript=transcript).document
    changed = copy.deepcopy(clr)
    changed["name"] = changed["name"].replace("林晓", "林晚")
    inner = copy.deepcopy(clr)
    inner["credentialSubject"]["verifiableCredential"][0]["validFrom"] = (
        "2020-01-01T00:00:00Z"
    )
    results = js_verify([changed, inner], tmp_path)
    assert [r["verified"] for r in results] == [False, False]


def test_js_reference_verifier_accepts_our_endorsement_credential(studios, tmp_path):
    """A studio leader's EndorsementCredential, signed by the studio's own
    did:web issuer, verifies in the reference stack; a one-character change
    to any field does not, and ours agrees on every one."""
    endorsement = services.endorsement_issue(
        credential=studios["credential"],
        studio=studios["studio"],
        by=studios["leader"],
        comment="课堂设计扎实，示范课效果好。",
    )
    document = endorsement.document
    # The studio's status list, signed by the same studio issuer.
    status_list = statuslist.signed_list(endorsement.status_list)

    unsigned = {k: v for k, v in document.items() if k != "proof"}
    paths = list(leaf_paths(unsigned))
    assert ("credentialSubject", "endorsementComment") in paths
    tampered = [mutated(document, p) for p in paths]
    tampered.append(mutated(document, ("proof", 0, "created")))

    results = js_verify([document, status_list, *tampered], tmp_path)
    assert results[0] == {"verified": True}, results[0]
    assert results[1] == {"verified": True}, results[1]
    js_accepted = [p for p, r in zip(paths, results[2:], strict=False) if r["verified"]]
    assert js_accepted == []
    assert not any(r["verified"] for r in results[2:])

    assert verify_credential(document).ok
    assert [d for d in tampered if verify_credential(d).ok] == []
