"""Resources through the API, scoped exactly like the pages: a client of one
district reads and writes nothing of another; a provider appends only the
credit kinds it registered, once per record id; batches are all-or-nothing."""

import datetime
from decimal import Decimal

import pytest

from badges.models import IssuedCredential
from badges.services import credentials_issue
from cms.accounts.models import TeacherProfile
from credits.models import CreditRecord
from credits.services import credit_record_append


def _record(teacher, n=1, hours=4):
    return credit_record_append(
        teacher=teacher,
        kind="online_course",
        category="信息技术应用",
        source_type="test",
        source_id=str(n),
        source_title=f"课程{n}",
        hours=Decimal(hours),
        earned_on=datetime.date.today(),
        idempotency_key=f"test:{teacher.pk}:{n}",
    )


@pytest.fixture
def ledger(district_tree, rules):
    records = {}
    for code, teachers in district_tree["teachers"].items():
        records[code] = [_record(t, n) for n, t in enumerate(teachers)]
    credentials_issue([r.pk for rs in records.values() for r in rs])
    return records


def test_lists_show_only_the_clients_district(caller_a, district_tree, ledger):
    b_staff = {t.staff_number for t in district_tree["teachers"]["SB1"]}
    teachers = caller_a.get("/api/v1/teachers").json()["items"]
    assert len(teachers) == 4 and not {t["staff_number"] for t in teachers} & b_staff
    records = caller_a.get("/api/v1/credit-records").json()["items"]
    assert len(records) == 4
    assert not {r["teacher_staff_number"] for r in records} & b_staff
    creds = caller_a.get("/api/v1/credentials").json()["items"]
    assert len(creds) == 4
    assert not {c["teacher_staff_number"] for c in creds} & b_staff
    orgs = {o["name"] for o in caller_a.get("/api/v1/organisations").json()["items"]}
    assert orgs == {"东湖区", "东湖实验小学", "东湖第一中学"}


def test_nothing_of_another_district_by_id(caller_a, district_tree, ledger):
    b_teacher = district_tree["teachers"]["SB1"][0]
    b_cred = IssuedCredential.objects.get(record=ledger["SB1"][0])
    for path in (
        f"/api/v1/teachers/{b_teacher.staff_number}",
        f"/api/v1/teachers/{b_teacher.staff_number}/transcript.json",
        f"/api/v1/teachers/{b_teacher.staff_number}/transcript.pdf",
        f"/api/v1/teachers/{b_teacher.staff_number}/transcript.clr",
        f"/api/v1/credentials/{b_cred.uid}",
        f"/api/v1/organisations/{district_tree['dist_b'].pk}",
    ):
        assert caller_a.get(path).status_code == 404, path
    assert (
        caller_a.get(
            "/api/v1/credit-records", {"teacher_staff_number": b_teacher.staff_number}
        ).json()["items"]
        == []
    )


def test_writes_to_another_district_change_nothing(caller_a, district_tree, ledger):
    b_teacher = district_tree["teachers"]["SB1"][0]
    b_cred = IssuedCredential.objects.get(record=ledger["SB1"][0])
    before = CreditRecord.objects.count()
    revoke = caller_a.post(f"/api/v1/credentials/{b_cred.uid}/revoke", {"reason": "x"})
    assert revoke.status_code == 404
    append = caller_a.post(
        "/api/v1/credit-records",
        {
            "provider_record_id": "P-1",
            "teacher_staff_number": b_teacher.staff_number,
            "kind": "online_course",
            "category": "通识",
            "title": "越权",
            "hours": 2,
            "earned_on": str(datetime.date.today()),
        },
    )
    assert append.status_code == 404
    # A roster row naming a school of district B: the school "does not exist".
    batch = caller_a.post(
        "/api/v1/teacher-batches",
        {
            "teachers": [
                {"real_name": "新人", "staff_number": "NEW-1", "school": "SA1"},
                {
                    "real_name": "越权",
                    "staff_number": "NEW-2",
                    "school": "西山中心小学",
                },
            ]
        },
    )
    assert batch.status_code == 422
    assert batch.json()["errors"] == [{"row": 2, "message": "学校不存在"}]
    # Updating a teacher of B by staff number is refused the same way.
    batch = caller_a.post(
        "/api/v1/teacher-batches",
        {
            "teachers": [
                {
                    "real_name": "改名",
                    "staff_number": b_teacher.staff_number,
                    "school": "SB1",
                }
            ]
        },
    )
    assert batch.status_code == 422
    b_teacher.refresh_from_db()
    assert b_teacher.real_name != "改名"
    assert CreditRecord.objects.count() == before
    assert not TeacherProfile.objects.filter(staff_number__startswith="NEW-").exists()
    b_cred.refresh_from_db()
    assert b_cred.revoked_at is None


def test_teacher_batch_creates_updates_and_syncs(caller_a, district_tree):
    first = caller_a.post(
        "/api/v1/teacher-batches",
        {
            "teachers": [
                {
                    "real_name": "李明",
                    "staff_number": "API-1",
                    "school": "东湖实验小学",
                    "subjects": ["语文", "数学"],
                    "email": "liming@example.com",
                },
                {"real_name": "王芳", "staff_number": "API-2", "school": "SA2"},
            ]
        },
    )
    assert first.status_code == 200, first.content
    assert first.json()["created"] == 2
    listed = caller_a.get("/api/v1/teachers", {"limit": 100}).json()["items"]
    stamp = max(t["updated_at"] for t in listed)
    liming = caller_a.get("/api/v1/teachers/API-1").json()
    assert liming["subjects"] == ["语文", "数学"]
    # Again with one change: updated by staff number, never duplicated.
    again = caller_a.post(
        "/api/v1/teacher-batches",
        {
            "teachers": [
                {"real_name": "李明", "staff_number": "API-1", "school": "SA2"},
                {"real_name": "王芳", "staff_number": "API-2", "school": "SA2"},
            ]
        },
    )
    assert again.json() | {"import_id": 0} == {
        "import_id": 0,
        "created": 0,
        "updated": 1,
        "unchanged": 1,
    }
    assert TeacherProfile.objects.filter(staff_number="API-1").count() == 1
    changed = caller_a.get("/api/v1/teachers", {"updated_since": stamp}).json()["items"]
    assert "API-1" in {t["staff_number"] for t in changed}
    # A bad row rejects the whole batch with row errors in Chinese.
    bad = caller_a.post(
        "/api/v1/teacher-batches",
        {
            "teachers": [
                {"real_name": "赵六", "staff_number": "API-3", "school": "SA1"},
                {"real_name": "", "staff_number": "API-4", "school": "SA1"},
            ]
        },
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"row": 2, "message": "姓名不能为空"}]
    assert not TeacherProfile.objects.filter(staff_number="API-3").exists()


def _append(caller, teacher, **overrides):
    body = {
        "provider_record_id": "R-100",
        "teacher_staff_number": teacher.staff_number,
        "kind": "online_course",
        "category": "信息技术应用",
        "title": "人工智能赋能课堂",
        "hours": 6,
        "earned_on": str(datetime.date.today()),
    }
    return caller.post("/api/v1/credit-records", body | overrides)


def test_provider_appends_once_and_only_registered_kinds(
    caller_a, district_tree, rules
):
    teacher = district_tree["teachers"]["SA1"][0]
    first = _append(caller_a, teacher)
    assert first.status_code == 201, first.content
    record = first.json()["record"]
    assert record["hours"] == "6.0" and record["credits"] == "0.60"
    again = _append(caller_a, teacher)
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["record"]["record_id"] == record["record_id"]
    assert CreditRecord.objects.filter(teacher=teacher).count() == 1
    # The same id for a different record is a conflict.
    clash = _append(caller_a, teacher, hours=8)
    assert clash.status_code == 409
    # A kind the registration does not allow.
    refused = _append(caller_a, teacher, provider_record_id="R-101", kind="competition")
    assert refused.status_code == 403
    assert "未登记" in refused.json()["detail"]
    assert CreditRecord.objects.filter(teacher=teacher).count() == 1


def test_append_follows_the_rule_set_in_force(caller_a, district_tree, rules):
    from credits.models import CreditRuleSet
    from credits.rules import DEFAULT_CONFIG

    teacher = district_tree["teachers"]["SA1"][0]
    config = {**DEFAULT_CONFIG, "conversion": {**DEFAULT_CONFIG["conversion"]}}
    config["conversion"]["offline_training"] = 0
    CreditRuleSet.objects.create(
        region=district_tree["dist_a"],
        name="东湖区规则",
        effective_from=datetime.date(2021, 1, 1),
        config=config,
    )
    refused = _append(
        caller_a, teacher, provider_record_id="R-200", kind="offline_training"
    )
    assert refused.status_code == 422 and "不计学分" in refused.json()["detail"]
    too_early = _append(
        caller_a, teacher, provider_record_id="R-201", earned_on="2019-06-01"
    )
    assert too_early.status_code == 422


def test_provider_without_append_scope_or_district_client(
    caller_b, district_tree, rules
):
    # caller_b registered no kinds at all.
    teacher = district_tree["teachers"]["SB1"][0]
    assert _append(caller_b, teacher).status_code == 403


def test_ledger_sync_by_cursor_and_updated_since(caller_a, district_tree, rules):
    teacher = district_tree["teachers"]["SA1"][0]
    for n in range(7):
        _record(teacher, n)
    seen, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = caller_a.get("/api/v1/credit-records", params).json()
        seen += [r["seq"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == 7
    last = caller_a.get("/api/v1/credit-records", {"limit": 1000}).json()["items"][-1]
    new = _record(teacher, 99)
    since = caller_a.get(
        "/api/v1/credit-records", {"updated_since": last["recorded_at"]}
    ).json()["items"]
    assert [r["seq"] for r in since][-1] == new.seq
    assert (
        caller_a.get("/api/v1/credit-records", {"cursor": "bm90LWpzb24"}).status_code
        == 422
    )


def test_transcripts_and_revocation(caller_a, district_tree, ledger):
    teacher = district_tree["teachers"]["SA1"][0]
    path = f"/api/v1/teachers/{teacher.staff_number}/transcript"
    as_json = caller_a.get(path + ".json")
    assert as_json.status_code == 200 and as_json.json()["type"] == "CreditTranscript"
    pdf = caller_a.get(path + ".pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    clr = caller_a.get(path + ".clr").json()
    assert "ClrCredential" in clr["type"] and clr["proof"]
    cred = IssuedCredential.objects.get(record=ledger["SA1"][0])
    no_reason = caller_a.post(f"/api/v1/credentials/{cred.uid}/revoke", {"reason": " "})
    assert no_reason.status_code == 422
    done = caller_a.post(
        f"/api/v1/credentials/{cred.uid}/revoke", {"reason": "重复登记"}
    )
    assert done.status_code == 200 and done.json()["revoked_at"]
    assert CreditRecord.objects.filter(reverses=ledger["SA1"][0]).count() == 1


def test_assessment_levels_withhold_small_groups(caller_a, district_tree):
    from tests.factories import TeacherFactory
    from tests.factories.site import ensure_base_content
    from tests.factories.training import make_instrument
    from training import services as training_services

    ensure_base_content()  # a flushing test before may have removed the framework
    instrument = make_instrument()

    def finish(teacher, value):
        attempt = training_services.attempt_start(teacher=teacher)
        items = {i.pk: value for i in instrument.items.all()}
        training_services.answers_save(attempt=attempt, answers=items)
        training_services.attempt_submit(attempt=attempt)

    a1, a2, b1 = (district_tree[k] for k in ("school_a1", "school_a2", "school_b1"))
    for _ in range(6):
        finish(TeacherFactory(school=a1), 4)
    for _ in range(3):
        finish(TeacherFactory(school=a2), 5)
    for _ in range(7):
        finish(TeacherFactory(school=b1), 1)
    body = caller_a.get("/api/v1/assessment/levels").json()
    assert body["total"] == 9  # district B's seven are not counted
    schools = {s["name"]: s for s in body["schools"]}
    assert schools["东湖第一中学"]["hidden"] is True
    assert schools["东湖第一中学"]["table"] is None
    assert schools["东湖实验小学"]["hidden"] is False
    assert all(row["levels"][4] == 0 for row in schools["东湖实验小学"]["table"])
    # Narrowed to the small school: withheld as a whole.
    small = caller_a.get("/api/v1/assessment/levels", {"school_id": a2.pk}).json()
    assert small["hidden"] is True and small["table"] == []


def test_catalogue_and_enrolments(caller_a, district_tree, rules):
    from tests.factories.courses import make_course
    from tests.factories.site import ensure_base_content

    ensure_base_content()
    course = make_course(title="数字化教学设计")
    courses = caller_a.get("/api/v1/courses").json()["items"]
    assert course.pk in {c["id"] for c in courses}
    a_teacher = district_tree["teachers"]["SA1"][0]
    b_teacher = district_tree["teachers"]["SB1"][0]
    body = {"course_id": course.pk, "teacher_staff_number": a_teacher.staff_number}
    first = caller_a.post("/api/v1/enrolments", body)
    assert first.status_code == 200, first.content
    again = caller_a.post("/api/v1/enrolments", body)
    assert again.json()["id"] == first.json()["id"]  # never enrolled twice
    other = caller_a.post(
        "/api/v1/enrolments",
        {"course_id": course.pk, "teacher_staff_number": b_teacher.staff_number},
    )
    assert other.status_code == 404
    listed = caller_a.get("/api/v1/enrolments").json()["items"]
    assert [e["teacher_staff_number"] for e in listed] == [a_teacher.staff_number]
