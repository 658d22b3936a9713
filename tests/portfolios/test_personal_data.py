"""Personal data is owned by each app (cms.shared.personal_data hooks): every link to a
person is declared by some hook, erasure is complete, and the download holds
the files she uploaded."""

import datetime
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cms.accounts.models import Notification, TeacherProfile
from cms.shared import personal_data
from credits.ledger import record_digest
from credits.models import CreditRecord, RecognitionRequest
from portfolios.models import Evidence
from portfolios.services import teacher_data_erase

pytestmark = pytest.mark.django_db


def test_every_link_to_a_person_is_declared_by_one_hook():
    """A new model with a foreign key to the user or the teacher profile fails
    here until its app's privacy hook erases it or says why it is kept."""
    declared: dict[str, str] = {}
    for hook in personal_data.hooks():
        for link in (*hook.erased, *hook.kept):
            assert link not in declared, f"{link} in {declared[link]} and {hook.app}"
            declared[link] = hook.app
        for link, reason in hook.kept.items():
            assert len(reason) > 10, f"{link}: say why it is kept"
    links = set(personal_data.person_links())
    missing = links - set(declared)
    assert not missing, f"links to a person no privacy hook covers: {missing}"
    stale = set(declared) - links
    assert not stale, f"declared links that do not exist: {stale}"


@pytest.fixture
def her_everything(lin, world, trainer):
    """Lin with data in every app, including uploaded files."""
    from cms.accounts.services import notify
    from cms.studios import services as studio_services
    from cms.studios.models import Activity, Membership
    from credits.services import recognition_submit
    from tests.factories.courses import make_course, make_rubric
    from tests.factories.site import ensure_base_content
    from training.courses import services as course_services

    ensure_base_content()
    evidence = Evidence.objects.create(
        teacher=lin,
        title="课堂实录",
        kind="lesson_video",
        file=SimpleUploadedFile("lesson.pdf", b"%PDF-evidence"),
    )
    course = make_course(
        title="人工智能课", lessons=0, rubric=make_rubric(), sessions=1
    )
    enrolment = course_services.course_enrol(course=course, teacher=lin)
    submission = course_services.assignment_submit(
        enrolment=enrolment,
        text="林晓的作业",
        upload=SimpleUploadedFile("homework.pdf", b"%PDF-homework"),
    )
    course_services.session_register(session=course.sessions.get(), teacher=lin)
    studio = studio_services.studio_create(
        title="王老师工作室",
        kind="名师",
        leader=trainer,
        region=world["dist_a"],
        subject="数学",
    )
    Membership.objects.create(studio=studio, teacher=lin, message="林晓的申请")
    now = timezone.now()
    activity = Activity.objects.create(
        studio=studio,
        title="集体备课",
        kind="集体备课",
        starts_at=now,
        ends_at=now + datetime.timedelta(hours=1),
        hours=2,
    )
    registration = studio_services.check_in(
        activity=activity, teacher=lin, code=activity.code
    )
    studio_services.reflection_submit(registration=registration, text="林晓的反思")
    request = recognition_submit(
        teacher=lin,
        title="校外培训",
        provider="省教育厅",
        category="通识",
        hours=Decimal(8),
        earned_on=datetime.date.today(),
        evidence=SimpleUploadedFile("certificate.pdf", b"%PDF-certificate"),
    )
    notify(user=lin.user, title="测试消息")
    return {
        "evidence": evidence,
        "submission": submission,
        "request": request,
        "registration": registration,
    }


def test_the_download_holds_the_files_she_uploaded(client, lin, her_everything):
    client.force_login(lin.user)
    response = client.get(reverse("portrait_export"))
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    files = {
        name.rsplit("-", 1)[-1]: archive.read(name)
        for name in archive.namelist()
        if name.startswith("files/")
    }
    assert files == {
        "lesson.pdf": b"%PDF-evidence",
        "homework.pdf": b"%PDF-homework",
        "certificate.pdf": b"%PDF-certificate",
    }
    assert "files/" in archive.read("README.txt").decode()
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["courses.submission"] == 1
    assert manifest["studios.registration"] == 1
    assert manifest["studios.membership"] == 1


def test_erasure_is_complete(lin, her_everything, django_capture_on_commit_callbacks):
    stored = [
        her_everything["evidence"].file,
        her_everything["submission"].file,
        her_everything["request"].evidence,
    ]
    names = [(f.storage, f.name) for f in stored]
    assert all(storage.exists(name) for storage, name in names)
    records_before = list(CreditRecord.objects.filter(teacher=lin))
    assert records_before

    with django_capture_on_commit_callbacks(execute=True):
        teacher_data_erase(lin)

    # Every link a hook says it erases points at her no more.
    user_model = apps.get_model("accounts", "User")
    for hook in personal_data.hooks():
        for link in hook.erased:
            app_label, model_name, field_name = link.split(".")
            model = apps.get_model(app_label, model_name)
            target = model._meta.get_field(field_name).related_model
            pk = lin.user_id if target is user_model else lin.pk
            left = model._default_manager.filter(**{field_name: pk}).count()
            assert left == 0, f"{link} still holds {left} rows about her"
    # What the old erasure missed: her course work and studio attendance.
    from cms.studios.models import Membership, Registration
    from training.courses.models import Enrolment, Submission

    assert not Submission.objects.filter(enrolment__teacher=lin).exists()
    assert not Enrolment.objects.filter(teacher=lin).exists()
    assert not Registration.objects.filter(teacher=lin).exists()
    assert not Membership.objects.filter(teacher=lin).exists()
    assert not Notification.objects.filter(user=lin.user).exists()
    # Her files are gone from storage.
    assert not any(storage.exists(name) for storage, name in names)
    # Identity replaced; the ledger intact.
    profile = TeacherProfile.objects.select_related("user").get(pk=lin.pk)
    assert profile.real_name == "已注销" and "林晓" not in str(profile)
    assert not profile.user.is_active and not profile.user.has_usable_password()
    assert profile.user.email.endswith("@invalid")
    records = list(CreditRecord.objects.filter(teacher=lin))
    assert [r.pk for r in records] == [r.pk for r in records_before]
    assert all(record_digest(r) == r.hash for r in records)
    request = RecognitionRequest.objects.filter(pk=her_everything["request"].pk)
    assert not request.exists()  # pending, so deleted
