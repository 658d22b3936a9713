"""No page, export or object URL shows an HR user of school A anything of
school B: the role x endpoint matrix over every scoped view."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
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


@pytest.fixture
def world(district_tree, django_capture_on_commit_callbacks):
    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "全国通用", "config": DEFAULT_CONFIG},
    )
    make_instrument()
    strangers = district_tree["teachers"]["SB1"]
    # Give school B's teachers (7 of them, above the privacy threshold) data of
    # every kind.
    from tests.factories import TeacherFactory

    strangers = strangers + [
        TeacherFactory(school=district_tree["school_b1"]) for _ in range(5)
    ]
    for n, teacher in enumerate(strangers):
        teacher.real_name = f"乙校教师{n}"
        teacher.save()
        credit_record_append(
            teacher=teacher,
            kind="online_course",
            category="学科",
            source_type="t",
            source_title="乙校课程",
            hours=Decimal(5),
            earned_on=datetime.date.today(),
            idempotency_key=f"b:{n}",
        )
        attempt = training_services.attempt_start(teacher=teacher)
        items = {i: 3 for i in attempt.instrument.items.values_list("id", flat=True)}
        training_services.answers_save(attempt=attempt, answers=items)
        with django_capture_on_commit_callbacks(execute=True):
            training_services.attempt_submit(attempt=attempt)
        RecognitionRequest.objects.create(
            teacher=teacher,
            title="乙校认定",
            provider="x",
            category="学科",
            hours_claimed=2,
            earned_on=datetime.date.today(),
            evidence="recognition/x.pdf",
            evidence_name="x.pdf",
        )
    from badges.services import credentials_issue
    from credits.models import CreditRecord

    credentials_issue(
        list(
            CreditRecord.objects.filter(teacher__in=strangers).values_list(
                "pk", flat=True
            )
        )
    )
    from portfolios.compute import portraits_recompute

    portraits_recompute()
    from tests.factories.courses import make_course
    from training.courses.models import Campaign

    campaign = Campaign.objects.create(
        title="乙校寒假研修",
        organisation=district_tree["school_b1"],
        created_by=strangers[0].user,
    )
    campaign.courses.set([make_course(title="研修课程")])
    return {"strangers": strangers, "campaign": campaign, **district_tree}


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "params"), LISTS)
def test_lists_and_exports_never_show_another_school(
    client, world, hr_a1, name, params
):
    client.force_login(hr_a1)
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    text = text_of(response)
    assert "乙校" not in text
    assert world["school_b1"].name not in text


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
