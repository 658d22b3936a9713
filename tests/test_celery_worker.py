"""A real Celery worker process, against this machine's Redis and PostgreSQL,
picks up a task and its effect lands in the database.

Later issues add their own tasks to `run_in_worker`'s callers."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from cms.accounts import services
from cms.accounts.models import TeacherImport, TeacherProfile
from cms.celery import app

ROOT = Path(__file__).resolve().parent.parent


class Worker:
    def __init__(self, queue: str, log_path: Path):
        self.queue, self.log_path = queue, log_path

    def tasks_succeeded(self) -> int:
        return self.log_path.read_text(errors="replace").count("succeeded in")


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """Start `celery worker` on a private queue for this test."""
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        pytest.skip(
            "needs DATABASE_URL (PostgreSQL) and REDIS_URL, as `make test` sets"
        )
    db = settings.DATABASES["default"]
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "cms.settings.test",
    }
    log_path = tmp_path / "worker.log"
    log = open(log_path, "w")  # noqa: SIM115
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cms",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield Worker(queue, log_path)
    finally:
        app.conf.task_always_eager = previous
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


@pytest.mark.worker
def test_worker_applies_a_teacher_import(
    celery_worker_process, district_tree, hr_dist_a
):
    from cms.accounts.tasks import teacher_import_apply_task

    data = "姓名,工号,学校\n李明,W100,东湖实验小学\n王芳,W101,东湖第一中学\n".encode()
    imp = services.teacher_import_create(user=hr_dist_a, name="r.csv", data=data)
    TeacherImport.objects.filter(pk=imp.pk).update(status=TeacherImport.Status.QUEUED)

    worker = celery_worker_process
    teacher_import_apply_task.apply_async(args=[imp.pk], queue=worker.queue)

    def done():
        return TeacherImport.objects.get(pk=imp.pk).status == TeacherImport.Status.DONE

    assert wait_for(done), "the worker did not finish the import within 60 s"
    assert set(
        TeacherProfile.objects.filter(staff_number__startswith="W").values_list(
            "real_name", flat=True
        )
    ) == {"李明", "王芳"}
    # Delivered again (as after a worker crash), the task credits nobody twice.
    teacher_import_apply_task.apply_async(args=[imp.pk], queue=worker.queue)
    assert wait_for(lambda: worker.tasks_succeeded() == 2)
    assert TeacherProfile.objects.filter(staff_number__startswith="W").count() == 2


@pytest.mark.worker
def test_a_large_roster_is_read_by_the_worker_not_the_request(
    celery_worker_process, district_tree, hr_dist_a, settings
):
    """Over TABLE_BACKGROUND_ROWS the upload returns at once with the import
    "parsing"; the worker reads and checks it and the preview appears."""
    from cms.accounts.tasks import teacher_import_parse_task

    settings.TABLE_BACKGROUND_ROWS = 100
    lines = "".join(f"教师{i},P{i:05d},东湖实验小学\n" for i in range(3000))
    data = ("姓名,工号,学校\n" + lines).encode()
    imp = services.teacher_import_create(user=hr_dist_a, name="big.csv", data=data)
    # Nothing was read in the request (the default queue has no worker here).
    assert imp.status == TeacherImport.Status.PARSING
    assert imp.rows == [] and imp.total_rows == 0

    worker = celery_worker_process
    teacher_import_parse_task.apply_async(args=[imp.pk], queue=worker.queue)

    def checked():
        return (
            TeacherImport.objects.get(pk=imp.pk).status == TeacherImport.Status.PREVIEW
        )

    assert wait_for(checked), worker.log_path.read_text()[-2000:]
    imp.refresh_from_db()
    assert imp.total_rows == 3000 and imp.upload is None


@pytest.mark.worker
def test_worker_issues_credentials_once_under_redelivery(
    celery_worker_process, district_tree
):
    """The credential task runs in the real worker (its own process, keys from
    the shared secret file); delivered twice, it still makes one credential."""
    import datetime
    from decimal import Decimal

    from badges.models import IssuedCredential
    from badges.signals import issue_on_record
    from badges.tasks import credentials_issue_task
    from badges.verify import verify_credential
    from credits.models import CreditRecord, CreditRuleSet
    from credits.rules import DEFAULT_CONFIG
    from credits.services import credit_record_append
    from credits.signals import credit_recorded

    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "全国通用", "config": DEFAULT_CONFIG},
    )
    teacher = district_tree["teachers"]["SA1"][0]
    # Recorded without the automatic hand-off, so the test sends the task itself.
    credit_recorded.disconnect(
        issue_on_record, sender=CreditRecord, dispatch_uid="badges_issue_on_record"
    )
    try:
        records = [
            credit_record_append(
                teacher=teacher,
                kind="online_course",
                category="信息技术应用",
                source_type="courses.course",
                source_id=str(n),
                source_title=f"课程{n}",
                hours=Decimal(4),
                earned_on=datetime.date.today(),
                idempotency_key=f"worker:{n}",
            )
            for n in range(5)
        ]
    finally:
        credit_recorded.connect(
            issue_on_record, sender=CreditRecord, dispatch_uid="badges_issue_on_record"
        )
    ids = [r.pk for r in records]
    worker = celery_worker_process
    credentials_issue_task.apply_async(args=[ids], queue=worker.queue)
    credentials_issue_task.apply_async(args=[ids], queue=worker.queue)
    assert wait_for(lambda: worker.tasks_succeeded() == 2), worker.log_path.read_text()[
        -2000:
    ]
    issued = IssuedCredential.objects.filter(record_id__in=ids)
    assert issued.count() == 5
    assert all(verify_credential(c.document).ok for c in issued)


@pytest.mark.worker
def test_worker_runs_a_campaign_for_5000_teachers_once(
    celery_worker_process, district_tree, hr_dist_a, client
):
    """A campaign enrols 5,000 teachers in two courses in the real worker; the
    status the page polls moves while it runs; sent twice, and run again
    later, nobody is enrolled twice."""
    from django.urls import reverse

    from cms.accounts.models import User
    from tests.factories.courses import make_course
    from tests.factories.site import ensure_base_content
    from training.courses.models import Campaign, Enrolment
    from training.courses.tasks import campaign_run_task

    ensure_base_content()
    school = district_tree["school_a1"]
    users = User.objects.bulk_create(
        User(username=f"camp{n}", email=f"camp{n}@example.com", password="!")
        for n in range(4996)
    )
    TeacherProfile.objects.bulk_create(
        TeacherProfile(
            user=u, real_name=f"教师{n}", staff_number=f"CAMP{n:05d}", school=school
        )
        for n, u in enumerate(users)
    )
    total = TeacherProfile.objects.filter(
        school__path__startswith=district_tree["dist_a"].path
    ).count()
    assert total == 5000
    courses = [make_course(title="寒假研修甲"), make_course(title="寒假研修乙")]
    campaign = Campaign.objects.create(
        title="寒假研修", organisation=district_tree["dist_a"], created_by=hr_dist_a
    )
    campaign.courses.set(courses)

    worker = celery_worker_process
    campaign_run_task.apply_async(args=[campaign.pk], queue=worker.queue)
    campaign_run_task.apply_async(args=[campaign.pk], queue=worker.queue)
    client.force_login(hr_dist_a)
    status_url = reverse("campaign_status", args=[campaign.pk])
    seen = []

    def finished():
        status = client.get(status_url).json()
        seen.append(status["processed"])
        return status["status"] == "done"

    assert wait_for(finished, timeout=120), worker.log_path.read_text()[-2000:]
    assert wait_for(lambda: worker.tasks_succeeded() == 2)
    assert any(0 < n < total for n in seen), seen  # progress was visible
    assert Enrolment.objects.filter(campaign=campaign).count() == 10000
    campaign.refresh_from_db()
    assert (campaign.processed, campaign.total, campaign.enrolled) == (
        5000,
        5000,
        10000,
    )

    # Run again (as after a failure): the same 10,000 enrolments, none new.
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.FAILED)
    campaign_run_task.apply_async(args=[campaign.pk], queue=worker.queue)
    assert wait_for(lambda: worker.tasks_succeeded() == 3)
    assert Enrolment.objects.count() == 10000
    campaign.refresh_from_db()
    assert campaign.status == "done" and campaign.enrolled == 10000
