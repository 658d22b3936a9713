"""Every ledger record becomes one signed OpenBadgeCredential; transcripts
become signed CLRs; revocation, key rotation and compromise."""

import copy
import threading

import pytest
from django.db import connection
from django.test import override_settings

from badges import keys, services, statuslist
from badges.models import AchievementDefinition, IssuedCredential, IssuerKey, StatusList
from badges.verify import verify_credential
from credits.data import SourceKind
from credits.models import CreditRecord
from credits.services import credit_record_reverse, transcript_issue
from training.models import Competency

from .conftest import append, credential_of

pytestmark = pytest.mark.django_db


def checks(report):
    return {c.code: c.ok for c in report.checks}


def test_a_committed_record_is_issued_once_even_if_told_twice(
    rules, district_tree, django_capture_on_commit_callbacks
):
    teacher = district_tree["teachers"]["SA1"][0]
    with django_capture_on_commit_callbacks(execute=True):
        record = append(teacher, 1)
    credential = IssuedCredential.objects.get(record=record)
    # A retried task, a second worker, a backfill: nothing new.
    assert services.credentials_issue([record.pk]) == 0
    assert services.credentials_issue([record.pk, record.pk]) == 0
    assert IssuedCredential.objects.filter(record=record).count() == 1
    report = verify_credential(credential.document)
    assert report.ok, [(c.code, str(c.message)) for c in report.checks]
    assert checks(report) == {
        "format": True,
        "schema": True,
        "issuer_key": True,
        "signature": True,
        "status": True,
        "dates": True,
    }


def test_what_the_credential_says(credited):
    credential = credential_of(credited)
    doc = credential.document
    assert doc["@context"][:2] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["issuer"]["id"] == keys.issuer_did(keys.platform_issuer())
    subject = doc["credentialSubject"]
    assert subject["creditsEarned"] == 12
    assert subject["result"][0]["value"] == "1.20"
    names = [i for i in subject["identifier"] if i["identityType"] == "ext:name"]
    assert names[0]["identityHash"] == "林晓"
    emails = [i for i in subject["identifier"] if i["identityType"] == "emailAddress"]
    assert emails[0]["hashed"] is True and emails[0]["identityHash"].startswith(
        "sha256$"
    )
    assert credited.user.email not in str(doc)
    assert doc["credentialStatus"]["type"] == "BitstringStatusListEntry"
    assert doc["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"


def test_one_achievement_id_per_course_and_alignment_from_its_definition(
    rules, district_tree
):
    competency = Competency.objects.get(code="3.3.2")
    definition = AchievementDefinition.objects.create(
        source_type=SourceKind.COURSE,
        source_id="7",
        slug="course-ai-classroom",
        name="人工智能助力课堂教学",
        description="面向中小学教师的人工智能课堂应用课程",
        criteria="完成全部课时并通过测验",
        credits_available=12,
    )
    definition.competencies.add(competency)
    a, b = district_tree["teachers"]["SA1"]
    records = [append(a, 7), append(b, 7)]
    services.credentials_issue([r.pk for r in records])
    docs = [IssuedCredential.objects.get(record=r).document for r in records]
    achievements = [d["credentialSubject"]["achievement"] for d in docs]
    assert achievements[0]["id"] == achievements[1]["id"]
    assert achievements[0]["id"].endswith(
        "/credentials/achievements/course-ai-classroom/"
    )
    assert achievements[0]["creditsAvailable"] == 12
    alignment = achievements[0]["alignment"][0]
    assert alignment["targetCode"] == "3.3.2"
    assert alignment["targetUrl"].endswith(competency.get_absolute_url())
    assert docs[0]["id"] != docs[1]["id"]


def test_reversals_and_capped_records_get_no_credential(credited):
    record = CreditRecord.objects.filter(teacher=credited).first()
    reversal = credit_record_reverse(record=record, reason="重复登记")
    assert services.credentials_issue([reversal.pk]) == 0
    assert not IssuedCredential.objects.filter(record=reversal).exists()


@pytest.mark.parametrize(
    "path,value",
    [
        (("validFrom",), "2020-01-01T00:00:00Z"),
        (("credentialSubject", "creditsEarned"), 120),
        (("credentialSubject", "identifier", 0, "identityHash"), "林晓晓"),
        (("credentialSubject", "identifier", 0, "identityHash"), "林晚"),
        (("name",), "人工智能助力课堂教学（120学时）"),
        (("credentialSubject", "achievement", "name"), "人工智能助力课堂教学!"),
        (("issuer", "name"), "某某平台"),
    ],
)
def test_changing_a_signed_field_fails_the_signature_check(credited, path, value):
    doc = copy.deepcopy(credential_of(credited).document)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    report = verify_credential(doc)
    assert not report.ok
    assert report.first_failure.code == "signature"


def test_revoking_sets_the_bit_and_reverses_the_ledger_in_one_go(credited, hr_a1):
    credential = credential_of(credited)
    record = credential.record
    services.credential_revoke(credential=credential, by=hr_a1, reason="证明材料不实")
    credential.refresh_from_db()
    assert credential.revoked_at is not None
    reversal = CreditRecord.objects.get(reverses=record)
    assert reversal.hours == -record.hours and "证明材料不实" in reversal.note
    report = verify_credential(credential.document)
    assert not report.ok
    assert report.first_failure.code == "status"
    assert checks(report)["signature"] is True
    # The published list says so too.
    status = StatusList.objects.get(pk=credential.status_list_id)
    signed = statuslist.signed_list(status)
    assert verify_credential(signed).ok
    bits = statuslist.decode_list(signed["credentialSubject"]["encodedList"])
    assert len(bits) * 8 >= 131072
    assert statuslist.get_bit(bits, credential.status_index)
    # Revoking again changes nothing.
    services.credential_revoke(credential=credential, by=hr_a1, reason="再次")
    assert CreditRecord.objects.filter(reverses=record).count() == 1


def test_a_reversal_made_in_the_ledger_revokes_the_credential(
    credited, django_capture_on_commit_callbacks
):
    credential = credential_of(credited)
    with django_capture_on_commit_callbacks(execute=True):
        credit_record_reverse(record=credential.record, reason="课程被撤销")
    credential.refresh_from_db()
    assert credential.revoked_at is not None
    assert verify_credential(credential.document).first_failure.code == "status"


def test_status_slots_are_random_and_unique(credited):
    indexes = list(IssuedCredential.objects.values_list("status_index", flat=True))
    assert len(set(indexes)) == len(indexes) == 3
    assert indexes != sorted(indexes) or max(indexes) > 1000


def test_rotation_keeps_old_credentials_verifying(credited, loose_teacher):
    old = credential_of(credited)
    issuer = keys.platform_issuer()
    new_key, _secret, _path = keys.key_generate(issuer)
    assert IssuerKey.objects.get(pk=old.key_id).status == IssuerKey.Status.RETIRED
    record = append(loose_teacher, 1)
    services.credentials_issue([record.pk])
    new = IssuedCredential.objects.get(record=record)
    assert new.document["proof"][0]["verificationMethod"].endswith("#" + new_key.key_id)
    assert verify_credential(old.document).ok
    assert verify_credential(new.document).ok
    did = keys.did_document(issuer)
    listed = {m["id"] for m in did["verificationMethod"]}
    assert old.document["proof"][0]["verificationMethod"] in listed
    assert new.document["proof"][0]["verificationMethod"] in listed


def test_a_compromised_key_fails_the_issuer_key_check(credited):
    credential = credential_of(credited)
    IssuerKey.objects.filter(pk=credential.key_id).update(
        status=IssuerKey.Status.COMPROMISED
    )
    report = verify_credential(credential.document)
    assert report.first_failure.code == "issuer_key"
    vm = credential.document["proof"][0]["verificationMethod"]
    assert vm not in keys.did_document(keys.platform_issuer())["assertionMethod"]


def test_a_district_centre_signs_for_its_schools(rules, district_tree):
    from badges.models import Issuer

    centre = Issuer.objects.create(
        organisation=district_tree["dist_a"],
        slug="donghu-tdc",
        name="东湖区教师发展中心",
    )
    a1 = append(district_tree["teachers"]["SA1"][0], 1)
    b1 = append(district_tree["teachers"]["SB1"][0], 1)
    services.credentials_issue([a1.pk, b1.pk])
    doc_a = IssuedCredential.objects.get(record=a1).document
    doc_b = IssuedCredential.objects.get(record=b1).document
    assert doc_a["issuer"]["id"].endswith(":issuers:donghu-tdc")
    assert doc_a["issuer"]["name"] == "东湖区教师发展中心"
    assert doc_b["issuer"]["id"] == keys.issuer_did(keys.platform_issuer())
    assert keys.issuer_did(centre) == doc_a["issuer"]["id"]
    assert verify_credential(doc_a).ok and verify_credential(doc_b).ok


def test_production_refuses_to_sign_without_a_key(rules, district_tree, tmp_path):
    record = append(district_tree["teachers"]["SA1"][0], 1)
    with override_settings(
        CREDENTIAL_AUTO_KEY=False,
        CREDENTIAL_KEYS="",
        CREDENTIAL_KEYS_FILE=str(tmp_path / "none.json"),
    ):
        with pytest.raises(keys.SigningKeyMissing, match="credential_key_generate"):
            services.credentials_issue([record.pk])
    assert not IssuedCredential.objects.exists()


def test_a_transcript_becomes_a_signed_clr_holding_her_credentials(credited):
    transcript, _ = transcript_issue(teacher=credited)
    clr = services.transcript_clr(transcript=transcript)
    assert services.transcript_clr(transcript=transcript).pk == clr.pk
    doc = clr.document
    assert doc["type"] == ["VerifiableCredential", "ClrCredential"]
    inner = doc["credentialSubject"]["verifiableCredential"]
    assert len(inner) == 3
    report = verify_credential(doc)
    assert report.ok, report.as_dict()
    assert len(report.nested) == 3 and all(n.ok for n in report.nested)
    # One altered inner credential makes the whole CLR fail, naming it.
    tampered = copy.deepcopy(doc)
    tampered["credentialSubject"]["verifiableCredential"][1]["credentialSubject"][
        "creditsEarned"
    ] = 80
    report = verify_credential(tampered)
    assert not report.ok
    assert report.first_failure.code == "signature"


@pytest.mark.django_db(transaction=True)
def test_concurrent_issuers_make_one_credential(rules, district_tree):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    record = append(district_tree["teachers"]["SA1"][0], 1)
    keys.active_key(keys.platform_issuer())
    errors = []

    def issue():
        try:
            services.credentials_issue([record.pk])
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert IssuedCredential.objects.filter(record=record).count() == 1


def test_status_entries_pointing_nowhere_fail_the_status_check(credited):
    document = copy.deepcopy(credential_of(credited).document)
    status = document["credentialStatus"]
    status["statusListIndex"] = "999999999"
    report = verify_credential(document)
    assert checks(report)["status"] is False
    assert "超出" in str(next(c for c in report.checks if c.code == "status").message)
    status["statusListIndex"] = "5"
    status["statusListCredential"] = status["statusListCredential"][:-1] + "99"
    report = verify_credential(document)
    assert "不存在" in str(next(c for c in report.checks if c.code == "status").message)
