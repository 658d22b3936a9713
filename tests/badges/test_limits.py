"""Small requests must not tie up the verifier, and the answers around it stay
clear: nested and amplified payloads are answered in well under a second,
clients are rate-limited, a malformed Content-Length is a 400, a revoked badge
inside a CLR is named at the top, and a status list without its signing key is
a 503 with a reason."""

import copy
import json
import time

import pytest
from django.urls import reverse

from badges import keys, services, statuslist
from badges.models import StatusList
from badges.verify import verify_credential
from credits.services import transcript_issue

from .conftest import credential_of

pytestmark = pytest.mark.django_db


def post(client, body, **extra):
    return client.post(
        reverse("verify_api"), body, content_type="application/json", **extra
    )


def timed_post(client, document):
    body = json.dumps(document, ensure_ascii=False)
    started = time.perf_counter()
    response = post(client, body)
    return response, time.perf_counter() - started, len(body.encode())


def deep_criteria(document, depth=300):
    doc = copy.deepcopy(document)
    node = {"narrative": "完成课程"}
    for _ in range(depth):
        node = {"narrative": "完成课程", "criteria": node}
    doc["credentialSubject"]["achievement"]["criteria"] = node
    return doc


def test_a_credential_nested_300_deep_is_refused_at_once(client, credited):
    document = deep_criteria(credential_of(credited).document)
    response, seconds, size = timed_post(client, document)
    assert size < 20_000
    assert response.status_code == 400
    assert "嵌套超过" in response.json()["message"]
    assert seconds < 1.0
    page = client.post(reverse("verify_page"), {"credential": json.dumps(document)})
    assert page.status_code == 400 and "嵌套超过" in page.content.decode()


def amplified_clr(credited, copies):
    transcript, _ = transcript_issue(teacher=credited)
    clr = copy.deepcopy(services.transcript_clr(transcript=transcript).document)
    badge = clr["credentialSubject"]["verifiableCredential"][0]
    clr["credentialSubject"]["verifiableCredential"] = [badge] * copies
    proof = clr["proof"][0]
    proof["proofValue"] = proof["proofValue"][:-4] + "1111"  # wrong outer proof
    return clr


def test_a_2_mb_clr_of_850_copies_with_a_wrong_proof_is_answered_fast(client, credited):
    clr = amplified_clr(credited, 850)
    response, seconds, size = timed_post(client, clr)
    assert 1_800_000 < size < 2 * 1024 * 1024
    assert response.status_code == 400
    assert "在线核验的单次上限" in response.json()["message"]
    assert seconds < 1.0


def test_the_outer_proof_is_checked_before_any_credential_inside(client, credited):
    clr = amplified_clr(credited, 40)
    response, seconds, _size = timed_post(client, clr)
    body = response.json()
    assert response.status_code == 200
    assert body["verified"] is False and body["failed_check"] == "signature"
    assert body["nested"] == []  # none of the 40 was opened
    assert "未逐份核验" in body["nested_not_checked"]
    assert seconds < 1.5  # one canonicalisation of the outer document


def test_too_many_values_are_refused_before_anything_else(client, credited):
    document = copy.deepcopy(credential_of(credited).document)
    document["credentialSubject"]["achievement"]["tag"] = ["标签"] * 20_000
    response, seconds, _size = timed_post(client, document)
    assert response.status_code == 400
    assert "数据项" in response.json()["message"] and seconds < 1.0


def test_content_length_that_is_not_a_number_is_a_400(client):
    response = post(client, "{}", CONTENT_LENGTH="abc")
    assert response.status_code == 400
    assert "Content-Length" in response.json()["message"]


def test_the_verify_api_and_page_are_rate_limited_per_client(
    client, credited, settings
):
    settings.PUBLIC_RATE_LIMITS = {"credential_verify": (3, 60)}
    body = json.dumps(credential_of(credited).document)
    assert [post(client, body).status_code for _ in range(3)] == [200] * 3
    limited = post(client, body)
    assert limited.status_code == 429
    assert "请求过于频繁" in limited.json()["message"]
    assert int(limited["Retry-After"]) >= 1
    page = client.post(reverse("verify_page"), {"credential": body})
    assert page.status_code == 429 and "请求过于频繁" in page.content.decode()
    # Another client is not held up.
    assert post(client, body, REMOTE_ADDR="10.9.8.7").status_code == 200


def test_the_transcript_code_lookup_is_rate_limited_per_client(client, settings):
    settings.PUBLIC_RATE_LIMITS = {"transcript_lookup": (5, 60)}
    url = reverse("transcript_lookup")
    statuses = [
        client.get(url, {"code": f"GUESS{n:05d}"}).status_code for n in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    response = client.get(url, {"code": "GUESS99999"})
    assert "请求过于频繁" in response.content.decode()
    assert client.get(url).status_code == 200  # the empty form is not counted
    other = client.get(url, {"code": "GUESS1"}, REMOTE_ADDR="10.1.1.1")
    assert other.status_code == 200


def test_a_revoked_badge_inside_a_clr_is_named_at_the_top(client, credited, hr_a1):
    transcript, _ = transcript_issue(teacher=credited)
    clr = services.transcript_clr(transcript=transcript).document
    services.credential_revoke(
        credential=credential_of(credited), by=hr_a1, reason="材料不实"
    )
    report = verify_credential(clr)
    assert not report.ok
    assert report.message == "其中 1 份证书已被撤销。"
    own_status = next(c for c in report.checks if c.code == "status")
    assert own_status.ok is True  # the CLR itself is not revoked

    body = post(client, json.dumps(clr)).json()
    assert body["verified"] is False and body["failed_check"] == "nested"
    assert body["nested_revoked"] == 1 and body["message"] == "其中 1 份证书已被撤销。"
    page = client.get(reverse("transcript_verify", args=[transcript.code]))
    html = page.content.decode()
    assert "其中 1 份证书已被撤销" in html
    assert "未通过的检查：撤销状态" not in html


def test_status_list_without_a_signing_key_is_a_503_with_a_reason(
    client, credited, hr_a1, settings, tmp_path
):
    status = StatusList.objects.get()
    url = reverse("status_list", args=["platform", status.number])
    assert client.get(url).status_code == 200
    # A revocation makes the list need re-signing; then the key goes missing.
    services.credential_revoke(
        credential=credential_of(credited), by=hr_a1, reason="重复登记"
    )
    settings.CREDENTIAL_KEYS_FILE = str(tmp_path / "none.json")
    settings.CREDENTIAL_KEYS = ""
    keys._cache.clear()
    response = client.get(url)
    assert response.status_code == 503
    assert "签名密钥暂不可用" in response.json()["message"]
    assert response["Retry-After"]
    status.refresh_from_db()
    assert status.signed_version < status.version  # nothing stale was served
    keys._cache.clear()


def test_signed_list_still_verifies(credited):
    status = StatusList.objects.get()
    assert verify_credential(statuslist.signed_list(status)).ok
