"""No page, export or object URL shows an HR user of school A anything of
school B: the role x endpoint matrix over every scoped view."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from credits.models import CreditRuleSet, RecognitionRequest
from credits.rules import DEFAULT_CONFIG
from credits.services import credit_record_append, transcript_issue
from tests.factories.training import make_instrument
from training import services as training_services

LISTS = [
    ("teacher_list", {}),
    ("teacher_export_csv", {}),
    ("teacher_export_xlsx", {}),
    ("org_assessment", {}),
    ("org_assessment_csv", {}),
    ("org_assessment_xlsx", {}),
    ("org_credits", {}),
    ("org_credits_csv", {}),
    ("org_credits_xlsx", {}),
    ("recognition_queue", {}),
    ("recognition_queue", {"status": "approved"}),
    ("org_credentials", {}),
    ("org_credentials", {"revoked": "1"}),
    ("org_overview", {}),
    ("org_overview_csv", {}),
    ("org_overview_xlsx", {}),
    ("campaign_list", {}),
    ("dashboard", {}),
]


def text_of(response) -> str:
    body = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    if body[:2] == b"PK":
        try:
            book = load_workbook(io.BytesIO(body))
        except Exception:
            archive = zipfile.ZipFile(io.BytesIO(body))
            return " ".join(archive.namelist())
        return " ".join(
            str(cell)
            for sheet in book
            for row in sheet.iter_rows(values_only=True)
            for cell in row
        )
    return body.decode("utf-8-sig", errors="replace")


def give_data(teachers, school_word: str, org, django_capture_on_commit_callbacks):
    """Data of every kind for `teachers`, named after their school (甲校 or
    乙校): names, ledger records, assessments, recognition requests,
    credentials and a campaign of the school."""
    from badges.services import credentials_issue
    from credits.models import CreditRecord
    from tests.factories.courses import make_course
    from training.courses.models import Campaign

    for n, teacher in enumerate(teachers):
        teacher.real_name = f"{school_word}教师{n}"
        teacher.save()
        credit_record_append(
            teacher=teacher,
            kind="online_course",
            category="学科",
            source_type="t",
            source_title=f"{school_word}课程",
            hours=Decimal(5),
            earned_on=datetime.date.today(),
            idempotency_key=f"{school_word}:{n}",
        )
        attempt = training_services.attempt_start(teacher=teacher)
        items = {i: 3 for i in attempt.instrument.items.values_list("id", flat=True)}
        training_services.answers_save(attempt=attempt, answers=items)
        with django_capture_on_commit_callbacks(execute=True):
            training_services.attempt_submit(attempt=attempt)
        RecognitionRequest.objects.create(
            teacher=teacher,
            title=f"{school_word}认定",
            provider="x",
            category="学科",
            hours_claimed=2,
            earned_on=datetime.date.today(),
            evidence="recognition/x.pdf",
            evidence_name="x.pdf",
        )
    credentials_issue(
        list(
            CreditRecord.objects.filter(teacher__in=teachers).values_list(
                "pk", flat=True
            )
        )
    )
    campaign = Campaign.objects.create(
        title=f"{school_word}寒假研修",
        organisation=org,
        created_by=teachers[0].user,
    )
    campaign.courses.set([make_course(title=f"{school_word}研修课程")])
    return campaign


@pytest.fixture
def world(district_tree, django_capture_on_commit_callbacks):
    """Schools A1 (the caller's, 甲校) and B1 (the other district's, 乙校),
    seven teachers each (above the privacy threshold) with data of every
    kind."""
    from portfolios.compute import portraits_recompute
    from tests.factories import TeacherFactory

    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "全国通用", "config": DEFAULT_CONFIG},
    )
    make_instrument()
    own = district_tree["teachers"]["SA1"] + [
        TeacherFactory(school=district_tree["school_a1"]) for _ in range(5)
    ]
    strangers = district_tree["teachers"]["SB1"] + [
        TeacherFactory(school=district_tree["school_b1"]) for _ in range(5)
    ]
    own_campaign = give_data(
        own, "甲校", district_tree["school_a1"], django_capture_on_commit_callbacks
    )
    campaign = give_data(
        strangers,
        "乙校",
        district_tree["school_b1"],
        django_capture_on_commit_callbacks,
    )
    portraits_recompute()
    return {
        "own": own,
        "own_campaign": own_campaign,
        "strangers": strangers,
        "campaign": campaign,
        **district_tree,
    }


# What of the caller's own school (甲校, seven teachers) each page or export
# must show: a marker in its text, or a check of the response.
OWN = {
    "teacher_list": "甲校教师0",
    "teacher_export_csv": "甲校教师0",
    "teacher_export_xlsx": "甲校教师0",
    "org_assessment": lambda r, text: r.context["distribution"]["total"] == 7,
    "org_assessment_csv": "合计,7,",
    "org_assessment_xlsx": "合计 7 ",
    "org_credits": "甲校教师0",
    "org_credits_csv": "甲校教师0",
    "org_credits_xlsx": "甲校教师0",
    "recognition_queue": "甲校认定",
    "org_credentials": "甲校课程",
    "org_overview": lambda r, text: r.context["total"] == 7,
    "org_overview_csv": "东湖实验小学,7,7,",
    "org_overview_xlsx": "东湖实验小学 7 7 ",
    "campaign_list": "甲校寒假研修",
    # The HR dashboard is links and her organisation's name.
    "dashboard": "东湖实验小学",
}


def shows_own(name: str, response, text: str) -> bool:
    own = OWN[name]
    return own(response, text) if callable(own) else own in text


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "params"), LISTS)
def test_lists_and_exports_show_her_school_and_never_another(
    client, world, hr_a1, name, params
):
    # One of her school's requests decided and one credential revoked, so the
    # filtered lists have something of hers to show.
    from badges.services import credential_revoke
    from credits.services import recognition_decide

    own = world["own"]
    recognition_decide(
        request_id=RecognitionRequest.objects.filter(teacher=own[0]).get().pk,
        reviewer=hr_a1,
        approve=True,
    )
    credential_revoke(
        credential=own[1].credentials.first(), by=hr_a1, reason="录入有误"
    )
    client.force_login(hr_a1)
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    text = text_of(response)
    assert "乙校" not in text
    assert world["school_b1"].name not in text
    assert shows_own(name, response, text), f"{name} {params}: her own data is missing"


@pytest.mark.django_db
def test_object_urls_of_another_school_are_refused(client, world, hr_a1):
    stranger = world["strangers"][0]
    transcript, _ = transcript_issue(teacher=stranger)
    request = RecognitionRequest.objects.filter(teacher=stranger).first()
    client.force_login(hr_a1)
    refused = [
        reverse("teacher_detail", args=[stranger.pk]),
        reverse("recognition_review", args=[request.pk]),
        reverse("recognition_evidence", args=[request.pk]),
    ]
    credential = stranger.credentials.first()
    refused.append(reverse("org_credential_revoke", args=[credential.uid]))
    refused.append(reverse("org_portrait", args=[stranger.pk]))
    refused.append(reverse("campaign_detail", args=[world["campaign"].pk]))
    refused.append(reverse("campaign_status", args=[world["campaign"].pk]))
    for url in refused:
        assert client.get(url).status_code in (403, 404), url
    assert (
        client.post(
            reverse("org_credential_revoke", args=[credential.uid]), {"reason": "x"}
        ).status_code
        == 404
    )
    credential.refresh_from_db()
    assert credential.revoked_at is None
    restart = reverse("campaign_restart", args=[world["campaign"].pk])
    assert client.post(restart).status_code == 404
    assert (
        client.post(
            reverse("recognition_review", args=[request.pk]), {"decision": "approve"}
        ).status_code
        == 404
    )
    result = stranger.assessment_results.first()
    assert client.get(reverse("assessment_result", args=[result.pk])).status_code == 404
    # The public verify page shows only a masked name, by design.
    html = client.get(
        reverse("transcript_verify", args=[transcript.code])
    ).content.decode()
    assert stranger.real_name not in html


@pytest.mark.django_db
def test_a_teacher_reaches_none_of_the_hr_views(client, world):
    teacher = world["teachers"]["SA1"][0]
    client.force_login(teacher.user)
    for name, params in LISTS:
        if name == "dashboard":
            continue
        assert client.get(reverse(name), params).status_code == 403, name


# Imports and POST actions: naming another school's object is refused and
# changes nothing (issue 13: the matrix covers imports and every POST action,
# not only GETs).


def snapshot(*objects) -> list:
    """The stored state of each object, to show a refused action left it."""
    state = []
    for obj in objects:
        fresh = type(obj).objects.filter(pk=obj.pk).values().first()
        state.append(fresh)
    return state


def roster_upload(client, text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("teacher_import_upload"),
        {"file": SimpleUploadedFile("名单.csv", text.encode("utf-8"))},
    )


@pytest.mark.django_db
def test_hr_imports_and_posts_naming_another_school_change_nothing(
    client, world, hr_a1, django_capture_on_commit_callbacks
):
    from cms.accounts import services as account_services
    from cms.accounts.models import TeacherImport, TeacherProfile, User
    from credits.models import ExportJob
    from tests.factories import hr_user
    from training.courses.models import Campaign

    stranger = world["strangers"][0]
    own = world["own"][0]
    other_hr = hr_user(world["school_b1"])
    theirs_import = account_services.teacher_import_create(
        user=other_hr,
        name="乙校名单.csv",
        data=f"姓名,工号,学校\n乙校新人,B900,{world['school_b1'].name}\n".encode(),
    )
    theirs_export = ExportJob.objects.create(
        created_by=other_hr, scope=world["school_b1"]
    )
    before = snapshot(stranger, stranger.user, theirs_import, theirs_export)
    teachers_in_b = TeacherProfile.objects.filter(school=world["school_b1"]).count()
    users = User.objects.count()
    client.force_login(hr_a1)

    # Her own roster import works (the page is not simply broken)...
    response = roster_upload(
        client, f"姓名,工号,学校\n甲校新人,A900,{world['school_a1'].name}\n"
    )
    assert response.status_code == 302
    mine = TeacherImport.objects.filter(created_by=hr_a1).latest("pk")
    assert mine.total_rows == 1 and not mine.errors
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("teacher_import_confirm", args=[mine.pk]))
    assert TeacherProfile.objects.get(staff_number="A900").school == world["school_a1"]
    users += 1

    # ...but a roster naming the other school, or taking over another
    # district's staff number into her school, is refused or leaves a row
    # error, and confirming it changes nobody there.
    for text in (
        f"姓名,工号,学校\n冒名教师,{stranger.staff_number},{world['school_a1'].name}\n",
        f"姓名,工号,学校\n乙校新人,A901,{world['school_b1'].name}\n",
    ):
        response = roster_upload(client, text)
        assert response.status_code in (200, 302, 400)
        attempt = TeacherImport.objects.filter(created_by=hr_a1).latest("pk")
        if attempt.pk != mine.pk and attempt.status == TeacherImport.Status.PREVIEW:
            assert attempt.errors, text
            with django_capture_on_commit_callbacks(execute=True):
                client.post(reverse("teacher_import_confirm", args=[attempt.pk]))
    assert snapshot(stranger, stranger.user) == before[:2]
    assert (
        TeacherProfile.objects.filter(school=world["school_b1"]).count()
        == teachers_in_b
    )
    assert not TeacherProfile.objects.filter(staff_number="A901").exists()

    # Another HR user's import: not hers to see or confirm.
    for name in ("teacher_import_detail", "teacher_import_status"):
        assert client.get(reverse(name, args=[theirs_import.pk])).status_code == 404
    confirm = reverse("teacher_import_confirm", args=[theirs_import.pk])
    assert client.post(confirm).status_code == 404

    # The bulk transcript export of the other school, or another's job.
    jobs = ExportJob.objects.count()
    client.post(reverse("export_start"), {"scope": world["school_b1"].pk})
    assert ExportJob.objects.count() == jobs
    for name in ("export_detail", "export_download"):
        assert client.get(reverse(name, args=[theirs_export.pk])).status_code == 404
    # Her own export starts.
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            client.post(
                reverse("export_start"), {"scope": world["school_a1"].pk}
            ).status_code
            == 302
        )
    assert ExportJob.objects.filter(created_by=hr_a1, scope=world["school_a1"]).exists()

    # A campaign enrolling the other school.
    course = world["campaign"].courses.get()
    campaigns = Campaign.objects.count()
    response = client.post(
        reverse("campaign_new"),
        {
            "title": "越权研修",
            "organisation": world["school_b1"].pk,
            "courses": [course.pk],
        },
    )
    assert response.status_code == 400
    assert Campaign.objects.count() == campaigns
    assert snapshot(theirs_import, theirs_export) == before[2:]
    assert User.objects.count() == users  # her own 甲校新人 (A900) only
    own.refresh_from_db()
    assert own.school == world["school_a1"]


@pytest.mark.django_db
def test_trainer_and_leader_posts_on_others_work_change_nothing(client, world):
    from openpyxl import Workbook

    from cms.accounts.models import Role
    from cms.studios import services as studio_services
    from cms.studios.models import Activity, Membership
    from credits.models import CreditRecord
    from tests.factories import TeacherFactory, UserFactory, grant
    from tests.factories.courses import make_course, make_rubric
    from tests.factories.site import ensure_base_content
    from training.courses import services as course_services
    from training.courses.models import Submission

    ensure_base_content()
    # Two trainers, each with a course and a teacher who handed work in.
    rubric = make_rubric(criteria=((10, "3.1.1"),))
    (criterion,) = rubric.criteria.all()
    trainer_a = grant(UserFactory(), Role.TRAINER)
    trainer_b = grant(UserFactory(), Role.TRAINER)
    course_a = make_course(lessons=0, rubric=rubric, trainers=[trainer_a])
    course_b = make_course(lessons=0, rubric=rubric, trainers=[trainer_b])
    pupil_a, pupil_b = world["own"][2], world["strangers"][2]
    mine = course_services.assignment_submit(
        enrolment=course_services.course_enrol(course=course_a, teacher=pupil_a),
        text="甲校作业",
    )
    theirs = course_services.assignment_submit(
        enrolment=course_services.course_enrol(course=course_b, teacher=pupil_b),
        text="乙校作业",
    )
    before = snapshot(theirs, theirs.enrolment)
    records_b = CreditRecord.objects.filter(teacher=pupil_b).count()

    client.force_login(trainer_a)
    grade = {f"c{criterion.pk}": "9", "action": "grade", "feedback": "好"}
    giveback = {"action": "return", "feedback": "改"}
    for data in (grade, giveback):
        response = client.post(reverse("grade_submission", args=[theirs.pk]), data)
        assert response.status_code == 404
    # A score sheet naming the other trainer's course and teacher: a row
    # error, nothing stored.
    book = Workbook()
    book.active.append(["工号", "课程编号", "成绩", "是否合格", "评语"])
    book.active.append([pupil_b.staff_number, course_b.pk, 95, "合格", ""])
    out = io.BytesIO()
    book.save(out)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("scores_import"),
        {"file": SimpleUploadedFile("成绩.xlsx", out.getvalue())},
    )
    assert response.status_code == 400 and "第 2 行" in response.content.decode()
    assert snapshot(theirs, theirs.enrolment) == before
    assert CreditRecord.objects.filter(teacher=pupil_b).count() == records_b
    # Her own grading goes through (the view is not simply refusing all).
    response = client.post(reverse("grade_submission", args=[mine.pk]), grade)
    assert response.status_code == 302
    assert Submission.objects.get(pk=mine.pk).status != "submitted"

    # Two studio leaders: A's leader posts to B's studio, or names B's
    # membership from her own studio.
    leader_a = TeacherFactory(school=world["school_a1"])
    leader_b = TeacherFactory(school=world["school_b1"])
    studio_a = studio_services.studio_create(
        title="甲校工作室", kind="名师", leader=leader_a.user, region=world["dist_a"]
    )
    studio_b = studio_services.studio_create(
        title="乙校工作室", kind="名师", leader=leader_b.user, region=world["dist_b"]
    )
    applicant_a = studio_services.membership_apply(
        studio=studio_a, teacher=world["own"][3]
    )
    applicant_b = studio_services.membership_apply(
        studio=studio_b, teacher=world["strangers"][3]
    )
    before = snapshot(applicant_b)
    activities = Activity.objects.filter(studio=studio_b).count()
    client.force_login(leader_a.user)
    decide = {"membership": applicant_b.pk, "action": "approve", "role": "backbone"}
    assert client.post(
        reverse("studio_members", args=[studio_b.pk]), decide
    ).status_code in (403, 404)
    assert client.post(
        reverse("studio_members", args=[studio_a.pk]), decide
    ).status_code in (403, 404)
    when = timezone.now() + datetime.timedelta(days=3)
    activity = {
        "title": "越权活动",
        "kind": "听评课",
        "starts_at": when.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (when + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "place": "教室",
    }
    assert client.post(
        reverse("studio_activity_new", args=[studio_b.pk]), activity
    ).status_code in (403, 404)
    for what in ("article", "resource"):
        assert client.post(
            reverse("studio_write", args=[studio_b.pk, what]),
            {"title": "越权文章", "body": "正文"},
        ).status_code in (403, 404)
    assert snapshot(applicant_b) == before
    assert Activity.objects.filter(studio=studio_b).count() == activities
    assert not studio_b.get_children().filter(title="越权文章").exists()
    # Her own applicant is approved through the same form.
    own_decide = {**decide, "membership": applicant_a.pk}
    client.post(reverse("studio_members", args=[studio_a.pk]), own_decide)
    assert Membership.objects.get(pk=applicant_a.pk).status == "active"
