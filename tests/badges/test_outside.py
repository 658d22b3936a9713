"""Credentials other platforms issued, brought by a teacher (issue 19).

Another issuer is made here: a did:web whose DID document and status list are
served by a real HTTP server on 127.0.0.1, and throwaway did:keys. Its
credentials are signed with the project's signing code, then uploaded through
the page a teacher uses; HR decide through the recognition pages."""

from __future__ import annotations

import copy
import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from badges import jsonld, proofs
from credits import services as credit_services
from credits.data import SourceKind
from credits.models import (
    CreditRecord,
    CreditRuleSet,
    OutsideCredential,
    RecognitionRequest,
)
from tests.factories import hr_user
from tests.factories.credits import national_rules

from .outside_issuer import OtherIssuer, serve

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(settings):
    with serve() as served:
        settings.OUTSIDE_CREDENTIAL_INSECURE_HOSTS = ["127.0.0.1"]
        yield served


@pytest.fixture
def teacher(district_tree):
    national_rules()
    teacher = district_tree["teachers"]["SA1"][0]
    teacher.real_name = "林晓"
    teacher.save()
    return teacher


@pytest.fixture
def province(server):
    port, served = server
    return OtherIssuer(name="某省终身学习学分银行", port=port, served=served)


def upload(client, teacher, document):
    client.force_login(teacher.user)
    return client.post(
        reverse("outside_import"),
        {"credential": json.dumps(document, ensure_ascii=False)},
    )


def page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_trusted_issuers_credential_is_converted_approved_and_shows_its_origin(
    client, teacher, province, hr_a1
):
    province.trust()
    document = province.badge(1, credits=2, status_index=4711)
    response = upload(client, teacher, document)
    assert response.status_code == 302, response.content.decode()[:3000]

    req = RecognitionRequest.objects.get(teacher=teacher)
    assert req.status == "pending" and not req.flagged
    assert req.hours_claimed == Decimal("20.0")  # 2 学分 × 10 (the national rules)
    assert req.category == "学科"
    assert req.indicators[0]["code"] == "2.1"
    assert req.provider == "某省终身学习学分银行"
    outside = req.outside
    assert outside.issuer_recognised and outside.registry_name == "某省终身学习学分银行"
    checks = {c["check"]: c["ok"] for c in outside.verification["checks"]}
    assert checks["signature"] is True and checks["status"] is True

    # The teacher sees how it converted, and why.
    html = page(client, teacher.user, response["Location"])
    assert "证书写明 2 学分，按 1 学分 = 10 学时折算：20.0 学时" in html
    assert "本平台认可的签发方" in html

    # HR see the verification and approve; the ledger gets the record.
    html = page(client, hr_a1, reverse("recognition_queue"))
    assert "已核验" in html and "人工智能与学科教学融合" in html
    html = page(client, hr_a1, reverse("recognition_review", args=[req.pk]))
    assert "校外证书核验结果" in html and "某省终身学习学分银行" in html
    response = client.post(
        reverse("recognition_review", args=[req.pk]),
        {"decision": "approve", "hours": "20", "reason": ""},
    )
    assert response.status_code == 302
    record = CreditRecord.objects.get(teacher=teacher)
    assert record.source_type == SourceKind.OUTSIDE
    assert record.hours == Decimal("20.0")

    # Where it came from: my credits and the portrait name the issuer.
    html = page(client, teacher.user, reverse("my_credits"))
    assert '<td class="origin">某省终身学习学分银行</td>' in html
    html = page(client, teacher.user, reverse("my_portrait"))
    assert "来源：某省终身学习学分银行" in html


@pytest.mark.parametrize("issuer_kind", ["did:key", "did:web"])
def test_an_unknown_issuer_goes_to_hr_review_flagged(
    client, teacher, server, hr_a1, issuer_kind
):
    port, served = server
    if issuer_kind == "did:key":
        other = OtherIssuer(name="某培训机构")
        document = other.badge(2)
    else:
        other = OtherIssuer(name="某培训机构", port=port, served=served)
        document = other.badge(2, status_index=99)
    response = upload(client, teacher, document)
    assert response.status_code == 302, response.content.decode()[:3000]
    req = RecognitionRequest.objects.get(teacher=teacher)
    assert req.status == "pending" and req.flagged
    assert not req.outside.issuer_recognised
    html = page(client, hr_a1, reverse("recognition_queue"))
    assert "需人工核实" in html
    html = page(client, hr_a1, reverse("recognition_review", args=[req.pk]))
    assert "签名有效，但签发方未经本平台认可" in html
    assert 'data-check="signature"' in html


def error_of(html: str) -> str:
    start = html.index('id="import-error">') + len('id="import-error">')
    return html[start : html.index("</p>", start)]


def refused(client, teacher, document, check: str):
    response = upload(client, teacher, document)
    html = response.content.decode()
    assert response.status_code == 400, html[:2000]
    assert f"未通过的检查：{check}" in html
    assert not RecognitionRequest.objects.filter(teacher=teacher).exists()
    assert not OutsideCredential.objects.exists()
    return html


def test_a_tampered_credential_is_refused_naming_the_signature(
    client, teacher, province
):
    province.trust()
    document = province.badge(3, credits=2)
    document["credentialSubject"]["creditsEarned"] = 20
    refused(client, teacher, document, "签名")


def test_a_revoked_credential_is_refused_naming_the_status(client, teacher, province):
    province.trust()
    document = province.badge(4, status_index=1234)
    province.revoke(1234)
    html = refused(client, teacher, document, "撤销状态")
    assert "该证书已被签发方撤销" in html


def test_an_expired_credential_is_refused_naming_the_dates(client, teacher, province):
    province.trust()
    document = province.badge(5, valid_until="2026-06-01T00:00:00Z")
    refused(client, teacher, document, "有效期")


def test_a_status_list_the_issuer_did_not_sign_is_not_believed(
    client, teacher, province
):
    """A list swapped on the server (signed by someone else) cannot clear a
    revocation: the status is then not checked, and HR must look."""
    province.trust()
    document = province.badge(6, status_index=77)
    stranger = OtherIssuer(name="冒充者")
    forged_list = copy.deepcopy(province.served["/status/1"])
    forged_list.pop("proof")
    province.served["/status/1"] = proofs.sign(
        forged_list, stranger.secret, stranger.vm, "2026-03-01T08:00:00Z"
    )
    assert upload(client, teacher, document).status_code == 302
    req = RecognitionRequest.objects.get(teacher=teacher)
    assert req.flagged
    assert any("撤销状态" in f for f in req.conversion["flags"])


def test_the_same_credential_counts_once_for_anyone(
    client, teacher, province, district_tree
):
    province.trust()
    document = province.badge(7)
    assert upload(client, teacher, document).status_code == 302

    # Again by her.
    html = error_of(upload(client, teacher, document).content.decode())
    assert "您已于" in html and "同一证书只计入一次" in html

    # By a colleague of the same school: she is named.
    colleague = district_tree["teachers"]["SA1"][1]
    html = error_of(upload(client, colleague, document).content.decode())
    assert "已由本校 林晓 老师" in html

    # By a teacher of another district: no name, no school.
    stranger = district_tree["teachers"]["SB1"][0]
    html = error_of(upload(client, stranger, document).content.decode())
    assert "已在其他单位的教师名下提交" in html
    assert "林晓" not in html and "东湖实验小学" not in html

    # The same content re-signed under a new id is the same credential.
    copy_doc = province.badge(7, unsigned=True)
    copy_doc["id"] = "urn:uuid:11111111-1111-4111-8111-111111111111"
    html = upload(client, teacher, province.sign(copy_doc)).content.decode()
    assert "同一证书只计入一次" in html

    assert RecognitionRequest.objects.count() == 1


def test_the_database_refuses_a_second_count_even_past_the_check(teacher, province):
    province.trust()
    document = province.badge(8)
    req_args = {
        "teacher": teacher,
        "kind": "badge",
        "credential_id": document["id"],
        "name": "x",
        "issuer": {"did": province.did, "name": province.name, "recognised": True},
        "verification": {},
        "document": document,
        "raw": b"{}",
        "flags": [],
    }
    item = {
        "credential_id": document["id"],
        "content_hash": "a" * 64,
        "title": "x",
        "achievement_type": "Course",
        "amount": 1,
        "categories": [],
        "earned_on": datetime.date(2026, 3, 1),
    }
    credit_services.outside_credential_submit(**req_args, items=[item])
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        RecognitionRequest.objects.create(
            teacher=teacher,
            title="y",
            provider="y",
            category="其他",
            hours_claimed=1,
            earned_on=datetime.date(2026, 3, 1),
            credential_id="other-id",
            content_hash="a" * 64,
        )


@pytest.fixture
def regional_rules(teacher, district_tree):
    return CreditRuleSet.objects.create(
        region=district_tree["dist_a"],
        name="东湖区学分规则",
        effective_from=datetime.date(2025, 1, 1),
        config={
            **national_rules().config,
            "outside": {
                "kinds": {
                    "Course": {"unit": "学分", "hours": 10},
                    "Certificate": {"unit": "学时", "hours": 1},
                },
                "category_caps": {"学科": 30},
                "yearly_ceiling": 50,
                "default_category": "其他",
            },
        },
    )


def test_caps_and_the_yearly_ceiling_are_applied_and_explained(
    client, teacher, province, regional_rules, hr_a1
):
    province.trust()
    assert upload(client, teacher, province.badge(10, credits=2)).status_code == 302
    assert upload(client, teacher, province.badge(11, credits=2)).status_code == 302
    first, second = RecognitionRequest.objects.filter(teacher=teacher).order_by("pk")
    assert first.hours_claimed == Decimal("20.0")
    assert second.hours_claimed == Decimal("10.0")  # 学科 cap 30
    html = page(
        client, teacher.user, reverse("outside_detail", args=[second.outside_id])
    )
    assert "已达“学科”类年度转换上限 30 学时，计入 10.0 学时" in html

    # A 40-学时 certificate of another category meets the yearly ceiling (50).
    certificate = province.badge(12, kind="Certificate", credits=40, tags=("通识",))
    assert upload(client, teacher, certificate).status_code == 302
    third = RecognitionRequest.objects.filter(teacher=teacher).latest("pk")
    assert third.category == "通识" and third.hours_claimed == Decimal("20.0")
    assert "已达年度转换总上限 50 学时" in " ".join(third.conversion["steps"])

    # A kind the region does not count is recorded, not counted.
    badge = province.badge(13, kind="Badge", credits=5, tags=())
    assert upload(client, teacher, badge).status_code == 302
    fourth = RecognitionRequest.objects.filter(teacher=teacher).latest("pk")
    assert fourth.status == "rejected" and fourth.hours_claimed == 0
    assert "不计入此类证书（Badge）" in fourth.reason

    # At approval the ceiling holds whatever HR type.
    client.force_login(hr_a1)
    for req, hours in ((first, "20"), (second, "10")):
        client.post(
            reverse("recognition_review", args=[req.pk]),
            {"decision": "approve", "hours": hours},
        )
    response = client.post(
        reverse("recognition_review", args=[third.pk]),
        {"decision": "approve", "hours": "40"},
    )
    assert response.status_code == 302
    third.refresh_from_db()
    assert third.record.hours == Decimal("20.0")
    total = sum(
        r.hours
        for r in CreditRecord.objects.filter(
            teacher=teacher, source_type=SourceKind.OUTSIDE
        )
    )
    assert total == Decimal("50.0")


def test_hr_of_another_organisation_can_neither_see_nor_decide(
    client, teacher, province, district_tree
):
    province.trust()
    assert upload(client, teacher, province.badge(20)).status_code == 302
    req = RecognitionRequest.objects.get(teacher=teacher)
    hr_b1 = hr_user(district_tree["school_b1"])
    html = page(client, hr_b1, reverse("recognition_queue"))
    assert req.title not in html
    assert client.get(reverse("recognition_review", args=[req.pk])).status_code == 404
    assert (
        client.post(
            reverse("recognition_review", args=[req.pk]),
            {"decision": "approve", "hours": "20"},
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("outside_detail", args=[req.outside_id])).status_code == 403
    )
    with pytest.raises(credit_services.NotAllowed):
        credit_services.recognition_decide(
            request_id=req.pk, reviewer=hr_b1, approve=True
        )
    req.refresh_from_db()
    assert req.status == "pending" and not CreditRecord.objects.exists()


def test_a_clr_transcript_brings_each_achievement(client, teacher, province):
    province.trust()
    inner = [
        province.badge(30, credits=1),
        province.badge(31, credits=3, tags=("通识",)),
    ]
    clr = province.sign(
        {
            "@context": [jsonld.VC_V2, jsonld.CLR_V2, jsonld.OB_V3],
            "id": "urn:uuid:00000000-0000-4000-8000-999999999999",
            "type": ["VerifiableCredential", "ClrCredential"],
            "issuer": {"id": province.did, "type": ["Profile"], "name": province.name},
            "validFrom": "2026-04-01T08:00:00Z",
            "name": "林晓 校外学习成绩单",
            "credentialSubject": {
                "type": ["ClrSubject"],
                "identifier": inner[0]["credentialSubject"]["identifier"],
                "achievement": [c["credentialSubject"]["achievement"] for c in inner],
                "verifiableCredential": inner,
            },
        }
    )
    response = upload(client, teacher, clr)
    assert response.status_code == 302, response.content.decode()[:3000]
    hours = sorted(
        RecognitionRequest.objects.filter(teacher=teacher).values_list(
            "hours_claimed", flat=True
        )
    )
    assert hours == [Decimal("10.0"), Decimal("30.0")]
    # One credential inside, brought again alone, is already counted.
    html = upload(client, teacher, inner[0]).content.decode()
    assert "同一证书只计入一次" in html


def test_conversion_rules_are_validated_when_an_admin_edits_them(teacher):
    rule_set = national_rules()
    rule_set.config = {
        **rule_set.config,
        "outside": {
            "kinds": {"Course": {"unit": "学期", "hours": 10}},
            "category_caps": {"不存在": 5},
            "yearly_ceiling": -1,
        },
    }
    with pytest.raises(ValidationError) as caught:
        rule_set.full_clean()
    text = " ".join(caught.value.message_dict["config"])
    assert "outside.kinds.Course" in text
    assert "outside.category_caps" in text
    assert "outside.yearly_ceiling" in text


def test_a_credential_naming_another_holder_is_flagged_for_hr(
    client, teacher, province
):
    province.trust()
    assert upload(client, teacher, province.badge(40, holder="王芳")).status_code == 302
    req = RecognitionRequest.objects.get(teacher=teacher)
    assert req.flagged
    assert any("持有人" in f for f in req.conversion["flags"])


def test_without_the_test_setting_nothing_on_a_private_address_is_fetched(
    client, teacher, server, settings
):
    """In production no host is listed: a did:web on a loopback address (and
    any http URL) is never fetched, so its key is not found and it is refused."""
    port, served = server
    other = OtherIssuer(name="内网里的签发方", port=port, served=served)
    document = other.badge(50)
    settings.OUTSIDE_CREDENTIAL_INSECURE_HOSTS = []
    refused(client, teacher, document, "签发方密钥")


def test_the_admin_refuses_conversion_rules_that_do_not_hold(client, teacher):
    from tests.factories import UserFactory

    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    rule_set = national_rules()
    config = {
        **rule_set.config,
        "outside": {"kinds": {"Course": {"unit": "学分", "hours": 0}}},
    }
    response = client.post(
        f"/django-admin/credits/creditruleset/{rule_set.pk}/change/",
        {
            "region": "",
            "name": rule_set.name,
            "effective_from": rule_set.effective_from.isoformat(),
            "config": json.dumps(config, ensure_ascii=False),
        },
    )
    assert response.status_code == 200
    assert "outside.kinds.Course.hours 应在 0 到 100 之间" in response.content.decode()
    rule_set.refresh_from_db()
    assert rule_set.config["outside"]["kinds"]["Course"]["hours"] == 10


def test_a_redirecting_status_list_is_not_followed(client, teacher, province):
    """A redirect could point at a private address; it is not followed, so the
    status stays unchecked and HR are told."""
    province.trust()
    document = province.badge(60, status_index=5)
    province.served["/status/moved"] = province.served["/status/1"]
    province.served["/status/1"] = "/status/moved"
    assert upload(client, teacher, document).status_code == 302
    req = RecognitionRequest.objects.get(teacher=teacher)
    assert req.flagged
    assert any("跳转" in f for f in req.conversion["flags"])
    checks = {c["check"]: c["ok"] for c in req.outside.verification["checks"]}
    assert checks["status"] is None


@pytest.mark.django_db(transaction=True)
def test_two_teachers_bringing_it_at_the_same_moment_count_it_once(district_tree):
    """Both pass the check before either commits; the unique constraint lets
    one in and the other is told where it was counted."""
    import threading

    from django.db import connection

    from cms.shared.errors import ApplicationError

    national_rules()
    first, second = district_tree["teachers"]["SA1"]
    item = {
        "credential_id": "urn:uuid:race",
        "content_hash": "b" * 64,
        "title": "同时提交的证书",
        "achievement_type": "Course",
        "amount": 1,
        "categories": [],
        "earned_on": datetime.date(2026, 3, 1),
    }
    barrier = threading.Barrier(2)
    outcomes = []
    real_check = credit_services._already_counted

    waited = set()

    def check_then_wait(**kwargs):
        found = real_check(**kwargs)
        if kwargs["teacher"].pk not in waited:  # the first check only
            waited.add(kwargs["teacher"].pk)
            barrier.wait(timeout=10)  # both have checked before either inserts
        return found

    def bring(teacher):
        try:
            credit_services.outside_credential_submit(
                teacher=teacher,
                kind="badge",
                credential_id="urn:uuid:race",
                name="同时提交的证书",
                issuer={"did": "did:key:zrace", "name": "某机构", "recognised": False},
                verification={},
                document={},
                raw=b"{}",
                items=[item],
                flags=[],
            )
            outcomes.append("counted")
        except ApplicationError as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    credit_services._already_counted = check_then_wait
    try:
        threads = [threading.Thread(target=bring, args=(t,)) for t in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        credit_services._already_counted = real_check
    assert sorted(outcomes)[0] == "counted", outcomes
    assert "同一证书只计入一次" in sorted(outcomes)[1], outcomes
    assert RecognitionRequest.objects.filter(credential_id="urn:uuid:race").count() == 1


@pytest.fixture
def accepting_rules(district_tree):
    """A district whose rules accept a recognised issuer's credentials at once."""
    from credits.rules import DEFAULT_CONFIG

    config = copy.deepcopy(DEFAULT_CONFIG)
    config["outside"]["accept_trusted"] = True
    return CreditRuleSet.objects.create(
        region=district_tree["dist_a"],
        name="东湖区学分规则（认可的签发方直接认定）",
        effective_from=datetime.date(2025, 1, 1),
        config=config,
    )


def test_where_the_rules_say_so_a_recognised_issuer_is_credited_at_once(
    client, teacher, province, server, accepting_rules, hr_a1
):
    province.trust()
    response = upload(client, teacher, province.badge(30, credits=2, status_index=4730))
    assert response.status_code == 302
    # She is told it is credited, not that HR will review it.
    html = page(client, teacher.user, response["Location"])
    assert "1 项成果已按本地区规则直接记入学分" in html
    req = RecognitionRequest.objects.get(teacher=teacher)
    assert req.status == "approved" and req.reviewer is None
    record = CreditRecord.objects.get(teacher=teacher)
    assert record.source_type == SourceKind.OUTSIDE
    assert record.hours == Decimal("20.0") and req.record_id == record.pk
    html = page(client, teacher.user, reverse("my_credits"))
    assert '<td class="origin">某省终身学习学分银行</td>' in html
    # HR see it as decided by the rule, with nothing left to approve.
    html = page(client, hr_a1, reverse("recognition_review", args=[req.pk]))
    assert "按本地区规则直接认定" in html
    assert 'id="decision-form"' not in html

    # An unknown issuer (a did:key) still waits for HR under the same rules.
    other = OtherIssuer(name="某培训机构")
    assert upload(client, teacher, other.badge(31)).status_code == 302
    waiting = RecognitionRequest.objects.filter(teacher=teacher).latest("pk")
    assert waiting.status == "pending" and waiting.flagged
    assert CreditRecord.objects.filter(teacher=teacher).count() == 1


def test_accept_trusted_must_be_true_or_false():
    from credits.conversion import validate_outside
    from credits.rules import DEFAULT_CONFIG

    rules = copy.deepcopy(DEFAULT_CONFIG["outside"])
    assert validate_outside({**rules, "accept_trusted": True}) == []
    assert validate_outside({**rules, "accept_trusted": "yes"}) == [
        "outside.accept_trusted 应为 true 或 false。"
    ]
