"""Who vouches for the issuer. A credential anyone signs with a throwaway
did:key, naming itself the platform, is intact but never valid; the
platform's own issuers and the ones an admin registers are recognised, and the
page names the registry entry it matched."""

import copy
import json

import pytest
from django.urls import reverse

from badges import keys, proofs, services
from badges.models import IssuedCredential, Issuer, TrustedIssuer
from badges.multikey import generate_private_key, public_key_to_multibase
from badges.verify import verify_credential
from tests.factories import UserFactory

from .conftest import append, credential_of

pytestmark = pytest.mark.django_db


def forge(document, *, name="教师数字素养平台", hours=999):
    """The attacker's badge: our document's shape, her own fresh did:key,
    signed with the project's own signing code."""
    secret = generate_private_key()
    encoded = public_key_to_multibase(secret.public_key())
    did = f"did:key:{encoded}"
    unsigned = {k: v for k, v in copy.deepcopy(document).items() if k != "proof"}
    unsigned.pop("credentialStatus", None)
    unsigned["issuer"] = {"id": did, "type": ["Profile"], "name": name}
    unsigned["name"] = f"人工智能助力课堂教学（{hours}学时）"
    unsigned["credentialSubject"]["creditsEarned"] = hours
    signed = proofs.sign(unsigned, secret, f"{did}#{encoded}", "2026-01-05T08:00:00Z")
    return signed, did


def post_api(client, document):
    return client.post(
        reverse("verify_api"), json.dumps(document), content_type="application/json"
    ).json()


def post_page(client, document):
    return client.post(
        reverse("verify_page"), {"credential": json.dumps(document)}
    ).content.decode()


def test_a_did_key_forgery_naming_itself_the_platform_is_not_valid(client, credited):
    forged, did = forge(credential_of(credited).document)

    body = post_api(client, forged)
    assert body["verified"] is False
    assert body["intact"] is True  # the signature itself is good
    assert body["issuer_recognised"] is False
    assert body["result"] == "unrecognised"
    assert body["failed_check"] == "issuer_trust"
    assert body["issuer"]["id"] == did and body["issuer"]["registry_entry"] is None
    assert "签名有效，但签发方未经本平台认可" in body["message"]
    checks = {c["check"]: c["ok"] for c in body["checks"]}
    assert checks["issuer_key"] is True and checks["signature"] is True

    html = post_page(client, forged)
    assert "签名有效，但签发方未经本平台认可" in html
    assert "这份证书的签名、签发方和状态均已核验通过" not in html
    assert 'data-result="unrecognised"' in html
    assert 'badge-ok">有效' not in html


def test_an_admin_registers_an_external_issuer_and_the_page_names_it(client, credited):
    forged, did = forge(credential_of(credited).document, name="某省终身学习学分银行")
    assert post_api(client, forged)["verified"] is False

    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        "/django-admin/badges/trustedissuer/add/",
        {
            "did": did,
            "name": "某省终身学习学分银行",
            "note": "2026 年互认协议",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = TrustedIssuer.objects.get(did=did)
    client.logout()

    body = post_api(client, forged)
    assert body["verified"] is True and body["issuer_recognised"] is True
    assert body["issuer"]["registry_entry"]["name"] == "某省终身学习学分银行"
    assert body["issuer"]["registry_entry"]["kind"] == "registry"
    html = post_page(client, forged)
    assert "这份证书的签名、签发方和状态均已核验通过" in html
    assert "本平台认可的签发方" in html and "某省终身学习学分银行" in html

    # Withdrawn recognition: intact again, but not valid.
    entry.active = False
    entry.save()
    assert post_api(client, forged)["verified"] is False


def test_the_admin_form_refuses_what_is_not_a_did(client, db):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        "/django-admin/badges/trustedissuer/add/",
        {"did": "教师数字素养平台", "name": "x", "active": "on"},
    )
    assert response.status_code == 200
    assert "请填写 DID" in response.content.decode()
    assert not TrustedIssuer.objects.exists()


def test_our_own_issuers_are_recognised_by_name(client, credited, district_tree):
    body = post_api(client, credential_of(credited).document)
    assert body["verified"] is True
    platform = keys.platform_issuer()
    assert body["issuer"]["registry_entry"]["name"] == platform.name
    assert body["issuer"]["registry_entry"]["kind"] == "platform"

    centre = Issuer.objects.create(
        organisation=district_tree["dist_a"],
        slug="donghu-tdc",
        name="东湖区教师发展中心",
    )
    keys.key_generate(centre)
    teacher = district_tree["teachers"]["SA2"][0]
    record = append(teacher, 77)
    services.credentials_issue([record.pk])
    document = IssuedCredential.objects.get(record=record).document
    assert document["issuer"]["id"].endswith(":issuers:donghu-tdc")
    body = post_api(client, document)
    assert body["verified"] is True
    assert body["issuer"]["registry_entry"] == {
        "name": "东湖区教师发展中心",
        "kind": "organisation",
        "kind_label": "本平台登记的签发机构",
    }
    assert "东湖区教师发展中心" in post_page(client, document)


def test_a_pinned_did_document_lets_an_external_did_web_issuer_verify(credited):
    """did:web of another platform cannot be fetched offline; an admin pastes
    its DID document into the registry entry, and it resolves from there."""
    secret = generate_private_key()
    encoded = public_key_to_multibase(secret.public_key())
    did = "did:web:credit.example.gov.cn"
    vm = f"{did}#key-1"
    unsigned = {
        k: v for k, v in credential_of(credited).document.items() if k != "proof"
    }
    unsigned.pop("credentialStatus")
    unsigned["issuer"] = {"id": did, "type": ["Profile"], "name": "某省学分银行"}
    signed = proofs.sign(unsigned, secret, vm, "2026-01-05T08:00:00Z")
    report = verify_credential(signed)
    assert not report.ok and report.failed_check == "issuer_key"

    TrustedIssuer.objects.create(
        did=did,
        name="某省学分银行",
        did_document={
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": did,
            "verificationMethod": [
                {
                    "id": vm,
                    "type": "Multikey",
                    "controller": did,
                    "publicKeyMultibase": encoded,
                }
            ],
            "assertionMethod": [vm],
        },
    )
    report = verify_credential(signed)
    assert report.ok and report.trust.entry_name == "某省学分银行"
