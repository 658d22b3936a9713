"""What people and programs see: DID documents, status lists, credential
pages and downloads, the verify page and API, and HR revocation."""

import copy
import json
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from badges import keys
from badges.models import IssuedCredential, Issuer, StatusList
from badges.verify import verify_credential
from credits.models import CreditRecord
from credits.services import transcript_issue
from tests.factories import hr_user

from .conftest import append, credential_of

pytestmark = pytest.mark.django_db


def test_did_documents_list_keys_as_multikeys(client, credited):
    response = client.get("/.well-known/did.json")
    assert response.status_code == 200
    did = response.json()
    assert did["id"] == keys.issuer_did(keys.platform_issuer())
    method = did["verificationMethod"][0]
    assert method["type"] == "Multikey"
    assert method["publicKeyMultibase"].startswith("z6Mk")
    assert method["id"] in did["assertionMethod"]
    assert (
        credential_of(credited).document["proof"][0]["verificationMethod"]
        == method["id"]
    )


def test_an_issuer_did_document_under_its_path(client, district_tree):
    issuer = Issuer.objects.create(
        organisation=district_tree["dist_a"],
        slug="donghu-tdc",
        name="东湖区教师发展中心",
    )
    keys.key_generate(issuer)
    did = client.get("/issuers/donghu-tdc/did.json").json()
    assert did["id"].endswith(":issuers:donghu-tdc")
    assert client.get("/issuers/nobody/did.json").status_code == 404
    assert client.get("/issuers/platform/did.json").status_code == 404


def test_status_list_is_served_signed(client, credited):
    status = StatusList.objects.get()
    url = reverse("status_list", args=["platform", status.number])
    document = client.get(url).json()
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert verify_credential(document).ok
    assert client.get(reverse("status_list", args=["platform", 99])).status_code == 404


def test_teacher_lists_downloads_and_shares_her_credentials(
    client, credited, django_assert_max_num_queries
):
    client.force_login(credited.user)
    client.get(reverse("my_credentials"))  # warm up first: one-off per-process queries
    with django_assert_max_num_queries(10):
        response = client.get(reverse("my_credentials"))
    html = response.content.decode()
    assert "人工智能助力课堂教学（12学时）" in html
    assert html.count("badge-ok") >= 3
    credential = credential_of(credited)
    download = client.get(reverse("credential_json", args=[credential.uid]))
    assert "attachment" in download["Content-Disposition"]
    assert json.loads(download.content) == credential.document
    badge = client.get(reverse("credential_badge", args=[credential.uid]), follow=True)
    assert badge["Content-Type"].startswith("image/svg+xml")
    assert "<title>人工智能助力课堂教学</title>" in badge.content.decode()
    page = client.get(reverse("credential_public", args=[credential.uid]))
    text = page.content.decode()
    assert "有效" in text and "签名有效" in text and 'id="share-url"' in text


def test_the_share_link_works_for_anyone_and_shows_revocation(client, credited, hr_a1):
    from badges.services import credential_revoke

    credential = credential_of(credited)
    page = client.get(credential.get_absolute_url()).content.decode()
    assert "签名有效" in page and 'id="share-url"' not in page
    credential_revoke(credential=credential, by=hr_a1, reason="重复登记")
    page = client.get(credential.get_absolute_url()).content.decode()
    assert "已撤销" in page and "该证书已被签发方撤销" in page


def test_achievement_page_and_badge(client, credited):
    credential = credential_of(credited)
    slug = credential.achievement_slug
    page = client.get(reverse("achievement_detail", args=[slug]))
    assert "人工智能助力课堂教学" in page.content.decode()
    svg = client.get(reverse("achievement_badge", args=[slug])).content.decode()
    assert svg.startswith("<svg") and "人工智能助力课堂教学" in svg
    assert client.get(reverse("achievement_detail", args=["nope"])).status_code == 404


def test_teacher_downloads_her_transcript_as_a_signed_clr(client, credited):
    client.force_login(credited.user)
    response = client.get(reverse("my_transcript_clr"))
    assert response.status_code == 200
    document = json.loads(response.content)
    assert "ClrCredential" in document["type"]
    report = verify_credential(document)
    assert report.ok and len(report.nested) == 3


def test_transcript_qr_page_verifies_ledger_and_clr(client, credited):
    transcript, _ = transcript_issue(teacher=credited)
    page = client.get(reverse("transcript_verify", args=[transcript.code.lower()]))
    html = page.content.decode()
    assert "这份学时证明与学分银行账本中的记录一致" in html
    assert "这份证书的签名、签发方和状态均已核验通过" in html
    assert "林*" in html and "林晓" not in html


def test_verify_page_paste_valid_and_tampered(client, credited):
    document = credential_of(credited).document
    response = client.post(reverse("verify_page"), {"credential": json.dumps(document)})
    html = response.content.decode()
    assert "这份证书的签名、签发方和状态均已核验通过" in html
    tampered = copy.deepcopy(document)
    tampered["credentialSubject"]["creditsEarned"] = 120
    response = client.post(reverse("verify_page"), {"credential": json.dumps(tampered)})
    html = response.content.decode()
    assert "未通过的检查：签名" in html
    upload = SimpleUploadedFile(
        "c.json", json.dumps(document).encode(), content_type="application/json"
    )
    response = client.post(reverse("verify_page"), {"file": upload})
    assert "核验通过" in response.content.decode()


@pytest.mark.parametrize(
    "raw,message",
    [
        ("", "请粘贴证书 JSON"),
        ("{not json", "不是有效的 JSON"),
        ("[1, 2]", "证书应当是一个 JSON 对象"),
        ('"text"', "证书应当是一个 JSON 对象"),
    ],
)
def test_verify_page_says_what_is_wrong_with_bad_input(client, raw, message):
    response = client.post(reverse("verify_page"), {"credential": raw})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_verify_page_rejects_binary_and_oversized_uploads(client):
    binary = SimpleUploadedFile("x.json", b"\xff\xfe\x00garbage")
    response = client.post(reverse("verify_page"), {"file": binary})
    assert response.status_code == 400 and "UTF-8" in response.content.decode()
    big = SimpleUploadedFile("x.json", b" " * (2 * 1024 * 1024 + 1))
    response = client.post(reverse("verify_page"), {"file": big})
    assert response.status_code == 400 and "2 MB" in response.content.decode()


def test_verify_api_reports_every_check(client, credited):
    document = credential_of(credited).document
    url = reverse("verify_api")
    body = client.post(
        url, json.dumps(document), content_type="application/json"
    ).json()
    assert body["verified"] is True and body["failed_check"] is None
    assert [c["check"] for c in body["checks"]] == [
        "format",
        "schema",
        "issuer_key",
        "signature",
        "status",
        "dates",
    ]
    tampered = copy.deepcopy(document)
    tampered["validFrom"] = "2021-01-01T00:00:00Z"
    body = client.post(
        url, json.dumps(tampered), content_type="application/json"
    ).json()
    assert body["verified"] is False and body["failed_check"] == "signature"
    wrapped = client.post(
        url,
        json.dumps({"verifiableCredential": document}),
        content_type="application/json",
    ).json()
    assert wrapped["verified"] is True
    assert client.get(url).status_code == 405
    bad = client.post(url, "{oops", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"] == "malformed"


def _random_value(rng, depth=0):
    choice = rng.randrange(8 if depth < 4 else 5)
    if choice == 0:
        return rng.choice([None, True, False])
    if choice == 1:
        return rng.choice([0, -1, 10**30, 1.5, float("1e308")])
    if choice == 2:
        return rng.choice(
            ["", "z", "u", "did:web:x", "https://x/#", "2026-13-45T99:00:00Z", "学时"]
        )
    if choice == 3:
        return rng.choice(
            ["https://www.w3.org/ns/credentials/v2", "urn:uuid:1", "did:key:z6Mk"]
        )
    if choice == 4:
        return "x" * rng.randrange(0, 50)
    if choice == 5:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {
        rng.choice(
            ["@context", "type", "proof", "issuer", "credentialSubject", "id", "x"]
        ): (_random_value(rng, depth + 1))
        for _ in range(rng.randrange(5))
    }


def test_fuzzing_the_verify_api_never_gives_a_server_error(client, credited, settings):
    """Random and mangled documents: always a 2xx/4xx answer, never a 5xx."""
    settings.PUBLIC_RATE_LIMITS = {"credential_verify": (10_000, 60)}
    rng = random.Random(20261124)
    document = credential_of(credited).document
    url = reverse("verify_api")
    bodies = []
    for _ in range(150):
        bodies.append(json.dumps(_random_value(rng)))
    for _ in range(150):
        mangled = copy.deepcopy(document)
        node = mangled
        path = []
        while isinstance(node, (dict, list)) and node:
            key = rng.choice(
                list(node.keys()) if isinstance(node, dict) else range(len(node))
            )
            path.append(key)
            if rng.random() < 0.3 or not isinstance(node[key], (dict, list)):
                node[key] = _random_value(rng)
                break
            node = node[key]
        bodies.append(json.dumps(mangled))
    bodies += ["", "null", "[]", "{}", '{"@context": {}}', "1" * 5000, "[" * 5000]
    statuses = [
        client.post(url, body, content_type="application/json").status_code
        for body in bodies
    ]
    assert all(status < 500 for status in statuses), [
        (s, b[:80]) for s, b in zip(statuses, bodies, strict=True) if s >= 500
    ]
    assert statuses.count(200) > 150


def test_hr_sees_and_revokes_only_their_own_teachers(client, credited, district_tree):
    other = district_tree["teachers"]["SB1"][0]
    record = append(other, 1)
    from badges.services import credentials_issue

    credentials_issue([record.pk])
    theirs = IssuedCredential.objects.get(record=record)
    mine = credential_of(credited)

    hr_b1 = hr_user(district_tree["school_b1"])
    client.force_login(hr_b1)
    listing = client.get(reverse("org_credentials")).content.decode()
    assert other.real_name in listing and credited.real_name not in listing
    assert str(theirs.uid) in listing and str(mine.uid) not in listing
    assert (
        client.get(reverse("org_credential_revoke", args=[mine.uid])).status_code == 404
    )
    assert (
        client.post(
            reverse("org_credential_revoke", args=[mine.uid]), {"reason": "x"}
        ).status_code
        == 404
    )
    mine.refresh_from_db()
    assert mine.revoked_at is None

    hr_a1 = hr_user(district_tree["school_a1"])
    client.force_login(hr_a1)
    confirm = client.get(
        reverse("org_credential_revoke", args=[mine.uid])
    ).content.decode()
    assert "撤销后无法恢复" in confirm
    no_reason = client.post(
        reverse("org_credential_revoke", args=[mine.uid]), {"reason": " "}
    )
    assert (
        no_reason.status_code == 400 and "请填写撤销原因" in no_reason.content.decode()
    )
    done = client.post(
        reverse("org_credential_revoke", args=[mine.uid]),
        {"reason": "材料不实"},
        follow=True,
    )
    assert "已撤销" in done.content.decode()
    mine.refresh_from_db()
    assert mine.revoked_at is not None and mine.revoke_reason == "材料不实"
    assert CreditRecord.objects.filter(reverses=mine.record).count() == 1


def test_teachers_cannot_reach_hr_credential_pages(client, credited):
    client.force_login(credited.user)
    assert client.get(reverse("org_credentials")).status_code == 403
    uid = credential_of(credited).uid
    assert client.get(reverse("org_credential_revoke", args=[uid])).status_code == 403


def test_hr_list_query_budget_does_not_grow(
    client, credited, district_tree, django_assert_max_num_queries
):
    hr = hr_user(district_tree["city"])
    client.force_login(hr)
    client.get(reverse("org_credentials"))  # warm up first: one-off per-process queries
    with django_assert_max_num_queries(12):
        response = client.get(reverse("org_credentials"))
    assert response.status_code == 200
    count = len(response.context["page"].object_list)
    teacher = district_tree["teachers"]["SA2"][0]
    from badges.services import credentials_issue

    credentials_issue([append(teacher, n).pk for n in range(5)])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("org_credentials"))
    assert len(response.context["page"].object_list) == count + 5


def test_a_credential_without_a_proof_is_explained_in_chinese(client):
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:key:z6MkX",
        "credentialSubject": {},
    }
    html = client.post(
        reverse("verify_page"), {"credential": json.dumps(document)}
    ).content.decode()
    assert "证书没有签名" in html and "has no proof" not in html
