"""Fault injection against a private platform (tests/faults/stack.py): workers
killed with SIGKILL in the middle of an export, a campaign, a teacher import
and credential issuing; Redis stopped while people use the site; PostgreSQL
restarted under it. Afterwards every job has finished, nothing was lost or
done twice, and the ledger verifies against its signed checkpoint.

The figures (records lost, records doubled, jobs stuck) go to
var/reliability.json and the end of the pytest report."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.factories import PASSWORD
from tests.faults import stack
from tests.faults.stack import wait_for

pytestmark = [
    pytest.mark.faults,
    # Ordered with the transactional tests (the seed is committed).
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
TEACHERS = 50
IMPORTED = 300
RECORDS = 120
FIGURES: dict = {}


def _skip_reason() -> str | None:
    if stack.PG_BIN is None:
        return "needs PostgreSQL server binaries (/usr/lib/postgresql/*/bin)"
    if shutil.which("redis-server") is None:
        return "needs redis-server"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "needs runuser to run initdb as postgres"
    return None


# --- the seed: made with the project's own factories in the test database,
# then copied into the private cluster with pg_dump (a backup restored).


def _seed() -> dict:
    import datetime
    from decimal import Decimal

    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from cms.accounts import services as account_services
    from cms.accounts.models import OrganisationKind
    from credits import services as credit_services
    from credits.models import CreditRecord, CreditRuleSet
    from credits.rules import DEFAULT_CONFIG
    from credits.signals import credit_recorded
    from tests.factories import OrganisationFactory, TeacherFactory, hr_user
    from tests.factories.courses import make_course
    from tests.factories.site import ensure_base_content

    ensure_base_content()
    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "默认", "config": DEFAULT_CONFIG},
    )
    city = OrganisationFactory(name="故障市", kind=OrganisationKind.CITY, code="FC")
    district = OrganisationFactory(
        parent=city, name="故障区", kind=OrganisationKind.DISTRICT, code="FD"
    )
    schools = [
        OrganisationFactory(parent=district, name=f"故障第{n}小学", code=f"FS{n}")
        for n in (1, 2)
    ]
    teachers = [TeacherFactory(school=schools[n % 2]) for n in range(TEACHERS)]
    hr = hr_user(district)
    course = make_course(title="寒假数字素养研修")
    rows = "".join(f"导入{n},I{n:05d},{schools[n % 2].name}\n" for n in range(IMPORTED))
    imp = account_services.teacher_import_create(
        user=hr, name="roster.csv", data=("姓名,工号,学校\n" + rows).encode()
    )
    # Ledger records whose credentials the fault run issues (the on-commit
    # queueing is left out here: the test queues them on the private broker).
    receivers = credit_recorded.receivers[:]
    credit_recorded.receivers.clear()
    try:
        for n in range(RECORDS):
            credit_services.credit_record_append(
                teacher=teachers[n % TEACHERS],
                kind="online_course",
                category="信息技术应用",
                source_type="faults",
                source_id=str(n),
                source_title="故障演练课程",
                hours=Decimal("2"),
                earned_on=datetime.date(2026, 3, 1),
                idempotency_key=f"faults:{n}",
            )
    finally:
        credit_recorded.receivers[:] = receivers
        credit_recorded.sender_receivers_cache.clear()

    def session_for(user) -> str:
        store = SessionStore()
        store["_auth_user_id"] = str(user.pk)
        store["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
        store["_auth_user_hash"] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    return {
        "district": district.pk,
        "school": schools[0].pk,
        "course": course.pk,
        "import": imp.pk,
        "record_ids": list(CreditRecord.objects.values_list("pk", flat=True)),
        "teacher_ids": [t.pk for t in teachers],
        "hr_session": session_for(hr),
        "hr_email": hr.email,
        "teacher_session": session_for(teachers[0].user),
    }


class Client:
    """A browser: session cookie, CSRF token, no retries."""

    def __init__(self, base_url: str, session_key: str | None):
        self.base = base_url
        self.http = requests.Session()
        self.token = secrets.token_hex(16)
        self.http.cookies.set("csrftoken", self.token)
        if session_key:
            self.http.cookies.set("sessionid", session_key)

    def get(self, path, **kwargs):
        return self.http.get(
            self.base + path, timeout=30, allow_redirects=False, **kwargs
        )

    def post(self, path, data=None):
        return self.http.post(
            self.base + path,
            data={**(data or {}), "csrfmiddlewaretoken": self.token},
            timeout=30,
            allow_redirects=False,
        )


@pytest.fixture(scope="module")
def platform(django_db_setup, django_db_blocker):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    base = stack.make_base()
    pg, redis = stack.PrivatePostgres(base), stack.PrivateRedis(base)
    pg.init()
    pg.start()
    redis.start()
    processes = []
    try:
        with django_db_blocker.unblock():
            seed = _seed()
            db = connection.settings_dict
            dump = base / "seed.dump"
            subprocess.run(
                [
                    stack.PG_BIN / "pg_dump",
                    "-Fc",
                    "-h",
                    db["HOST"] or "127.0.0.1",
                    "-p",
                    str(db["PORT"] or 5432),
                    "-U",
                    db["USER"] or "postgres",
                    "-f",
                    dump,
                    db["NAME"],
                ],
                check=True,
                env={**os.environ, "PGPASSWORD": db["PASSWORD"] or ""},
            )
            call_command("flush", interactive=False, verbosity=0)
        with pg.connect(db="postgres") as admin:
            admin.execute("CREATE DATABASE tdl_faults")
        subprocess.run(
            [
                stack.PG_BIN / "pg_restore",
                "--no-owner",
                "-h",
                "127.0.0.1",
                "-p",
                str(pg.port),
                "-U",
                "postgres",
                "-d",
                "tdl_faults",
                dump,
            ],
            check=True,
        )
        # The two roles, as production runs: the site and the workers are the
        # app role from here on.
        from cms.dbroles import roles_sql

        with pg.connect() as admin:
            for statement in roles_sql(
                database="tdl_faults", owner="tdl_owner", app="tdl_app"
            ):
                admin.execute(statement)
        env = stack.django_env(pg=pg, redis=redis, base=base)
        web_port = stack.free_port()
        web = stack.server(env, base, web_port)
        worker = stack.worker(env, base)
        processes = [web, worker]
        web.start()
        url = f"http://127.0.0.1:{web_port}"
        wait_for(
            lambda: (
                requests.get(url + "/accounts/login/", timeout=5).status_code == 200
            ),
            timeout=120,
            what="gunicorn",
        )
        yield {
            "pg": pg,
            "redis": redis,
            "web": web,
            "worker": worker,
            "url": url,
            "env": env,
            "base": base,
            **seed,
        }
    finally:
        for process in processes:
            process.stop()
        redis.stop()
        try:
            pg.stop()
        except subprocess.CalledProcessError:
            pass
        _figures_write()
        shutil.rmtree(base, ignore_errors=True)


def _figures_write():
    if not FIGURES:
        return
    out = ROOT / "var" / "reliability.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(FIGURES, ensure_ascii=False, indent=2), encoding="utf-8")


def one(conn, sql, params=()):
    return conn.execute(sql, params).fetchone()[0]


def blocked_on(conn, table) -> bool:
    """Whether a session of the app role waits for a lock to write `table`."""
    return bool(
        one(
            conn,
            "SELECT count(*) FROM pg_stat_activity WHERE usename = 'tdl_app' "
            "AND wait_event_type = 'Lock' AND query ILIKE %s",
            [f"%{table}%"],
        )
    )


def broker(platform):
    from celery import Celery
    from django.conf import settings

    # Not the current app: the site's own tasks must keep their own broker.
    app = Celery("faults", broker=platform["redis"].url, set_as_current=False)
    # The site's queues: a task sent here lands where the site's workers read.
    app.conf.task_routes = settings.CELERY_TASK_ROUTES
    app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    return app


class Locker:
    """Holds a lock that stops a job's next write to a table, so that the
    worker is certainly in the middle of the job when it is killed."""

    def __init__(self, pg):
        self.conn = pg.connect()

    def hold(self, table):
        self.conn.execute("BEGIN")
        self.conn.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")

    def release(self):
        self.conn.execute("ROLLBACK")


def kill_in_the_middle(platform, db, locker, table):
    wait_for(lambda: blocked_on(db, table), timeout=120, what=f"a write to {table}")
    platform["worker"].kill()
    locker.release()


def status_of(db, table, pk):
    return one(db, f"SELECT status FROM {table} WHERE id = %s", [pk])  # noqa: S608


def job_id_from(response) -> int:
    assert response.status_code == 302, response.text[:500]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def test_killed_workers_lose_and_double_nothing(platform):
    pg, worker = platform["pg"], platform["worker"]
    hr = Client(platform["url"], platform["hr_session"])
    db = pg.connect()
    locker = Locker(pg)
    ids = platform["record_ids"]
    kills = {}

    # 1. Credential issuing, ten records a message: killed while signing the first.
    locker.hold("badges_issuedcredential")
    app = broker(platform)
    for start in range(0, len(ids), 10):
        app.send_task("badges.issue_credentials", args=[ids[start : start + 10]])
    worker.start()
    kill_in_the_middle(platform, db, locker, "badges_issuedcredential")
    issued = one(db, "SELECT count(*) FROM badges_issuedcredential")
    kills["credentials"] = f"{issued}/{len(ids)} issued"

    # 2. An export, started on its page: killed after its tenth transcript.
    export_id = job_id_from(
        hr.post("/org/credits/exports/", {"scope": platform["district"]})
    )
    worker.start()
    wait_for(
        lambda: (
            one(db, "SELECT done FROM credits_exportjob WHERE id = %s", [export_id])
            >= 10
        ),
        timeout=150,
        what="the export to be under way",
    )
    locker.hold("credits_transcript")
    kill_in_the_middle(platform, db, locker, "credits_transcript")
    kills["export"] = status_of(db, "credits_exportjob", export_id)

    # 3. A campaign, created on its page: killed while it enrols.
    locker.hold("courses_enrolment")
    campaign_id = job_id_from(
        hr.post(
            "/org/campaigns/new/",
            {
                "title": "寒假研修",
                "organisation": platform["district"],
                "courses": [platform["course"]],
            },
        )
    )
    worker.start()
    kill_in_the_middle(platform, db, locker, "courses_enrolment")
    kills["campaign"] = status_of(db, "courses_campaign", campaign_id)

    # 4. A teacher import, confirmed on its page: killed while it applies.
    locker.hold("accounts_teacherprofile")
    response = hr.post(f"/org/teachers/import/{platform['import']}/confirm/")
    assert response.status_code == 302
    worker.start()
    kill_in_the_middle(platform, db, locker, "accounts_teacherprofile")
    kills["import"] = status_of(db, "accounts_teacherimport", platform["import"])

    # Every kill landed in the middle of its job.
    assert [kills["export"], kills["campaign"], kills["import"]] == ["running"] * 3, (
        kills
    )

    # A new worker: the sweeper and the redelivered messages finish everything.
    worker.start()

    def all_done():
        return (
            status_of(db, "credits_exportjob", export_id) == "done"
            and status_of(db, "courses_campaign", campaign_id) == "done"
            and status_of(db, "accounts_teacherimport", platform["import"]) == "done"
            and one(
                db,
                "SELECT count(*) FROM badges_issuedcredential WHERE record_id = ANY(%s)",
                [ids],
            )
            == len(ids)
        )

    try:
        wait_for(all_done, timeout=180, interval=0.5, what="every job to finish")
    except AssertionError:
        print(worker.log_text()[-8000:])
        raise

    figures = _ledger_and_jobs_figures(platform, db, export_id)
    FIGURES["worker_kills"] = {"killed_during": kills, **figures}
    assert figures["records_lost"] == 0, figures
    assert figures["records_doubled"] == 0, figures
    assert figures["jobs_stuck"] == 0, figures
    db.close()


def _ledger_and_jobs_figures(platform, db, export_id) -> dict:
    teacher_ids = platform["teacher_ids"]
    ids = platform["record_ids"]
    lost = doubled = 0
    # Export: one transcript per teacher, however many runs.
    transcripts = one(
        db,
        "SELECT count(*) FROM credits_transcript WHERE teacher_id = ANY(%s)",
        [teacher_ids],
    )
    with_transcript = one(
        db,
        "SELECT count(DISTINCT teacher_id) FROM credits_transcript WHERE teacher_id = ANY(%s)",
        [teacher_ids],
    )
    lost += len(teacher_ids) - with_transcript
    doubled += transcripts - with_transcript
    total, done = db.execute(
        "SELECT total, done FROM credits_exportjob WHERE id = %s", [export_id]
    ).fetchone()
    assert (total, done) == (len(teacher_ids), len(teacher_ids))
    # Campaign: every teacher of the district enrolled once.
    enrolled = one(
        db,
        "SELECT count(*) FROM courses_enrolment WHERE teacher_id = ANY(%s)",
        [teacher_ids],
    )
    enrolled_teachers = one(
        db,
        "SELECT count(DISTINCT teacher_id) FROM courses_enrolment WHERE teacher_id = ANY(%s)",
        [teacher_ids],
    )
    lost += len(teacher_ids) - enrolled_teachers
    doubled += enrolled - enrolled_teachers
    # Import: every row became one teacher.
    imported = one(
        db, "SELECT count(*) FROM accounts_teacherprofile WHERE staff_number LIKE 'I%%'"
    )
    imported_users = one(
        db, "SELECT count(*) FROM accounts_user WHERE username LIKE 'tI%%'"
    )
    lost += max(0, IMPORTED - imported)
    doubled += max(0, imported - IMPORTED) + max(0, imported_users - IMPORTED)
    # Credentials: one per record.
    credentials = one(
        db,
        "SELECT count(*) FROM badges_issuedcredential WHERE record_id = ANY(%s)",
        [ids],
    )
    credentialed = one(
        db,
        "SELECT count(DISTINCT record_id) FROM badges_issuedcredential WHERE record_id = ANY(%s)",
        [ids],
    )
    lost += len(ids) - credentialed
    doubled += credentials - credentialed
    # The ledger itself: as many records as were made.
    ledger = one(db, "SELECT count(*) FROM credits_creditrecord")
    lost += max(0, len(ids) - ledger)
    doubled += max(0, ledger - len(ids))
    stuck = sum(
        one(db, f"SELECT count(*) FROM {table} WHERE status IN ('queued', 'running')")  # noqa: S608
        for table in (
            "credits_exportjob",
            "courses_campaign",
            "accounts_teacherimport",
            "portfolios_portraitrun",
        )
    )
    return {"records_lost": lost, "records_doubled": doubled, "jobs_stuck": stuck}


PAGES_HR = ["/org/overview/", "/org/credits/", "/dashboard/"]
PAGES_TEACHER = ["/portrait/", "/courses/", "/dashboard/"]
PAGES_PUBLIC = ["/accounts/login/", "/courses/"]


def _pages(platform):
    hr = Client(platform["url"], platform["hr_session"])
    teacher = Client(platform["url"], platform["teacher_session"])
    anonymous = Client(platform["url"], None)
    return (
        [(hr, p) for p in PAGES_HR]
        + [(teacher, p) for p in PAGES_TEACHER]
        + [(anonymous, p) for p in PAGES_PUBLIC]
    )


def test_a_redis_outage_keeps_pages_up_and_leaves_no_orphan(platform):
    redis, pg = platform["redis"], platform["pg"]
    db = pg.connect()
    if platform["worker"].proc is None:
        platform["worker"].start()
    hr = Client(platform["url"], platform["hr_session"])
    failures = []

    redis.stop()
    for client, path in _pages(platform):
        status = client.get(path).status_code
        if status != 200:
            failures.append((path, status))
    # Logging in does not need Redis (sessions are in the database; the
    # rate limits fail open).
    anonymous = Client(platform["url"], None)
    anonymous.get("/accounts/login/")
    login = anonymous.post(
        "/accounts/login/",
        {"login": platform["hr_email"], "password": PASSWORD},
    )
    if login.status_code not in (200, 302):
        failures.append(("login", login.status_code))
    # Starting an export: a clear answer, and a failed (retryable) job
    # rather than one queued forever.
    response = hr.post("/org/credits/exports/", {"scope": platform["school"]})
    assert response.status_code == 302, response.text[:500]
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    page = hr.get(f"/org/credits/exports/{job_id}/")
    assert page.status_code == 200
    assert "后台任务暂不可用，请稍后再试" in page.text
    assert 'id="retry-export"' in page.text
    orphans = one(
        db,
        "SELECT count(*) FROM credits_exportjob WHERE status IN ('queued', 'running')",
    )
    assert (
        one(db, "SELECT status FROM credits_exportjob WHERE id = %s", [job_id])
        == "failed"
    )

    # Redis is back: pages use it again, and the retry button finishes the job.
    redis.start()
    for client, path in _pages(platform):
        status = client.get(path).status_code
        if status != 200:
            failures.append((path + " (after)", status))
    wait_for(
        lambda: (
            hr.post(f"/org/credits/exports/{job_id}/retry/").status_code == 302
            and one(db, "SELECT status FROM credits_exportjob WHERE id = %s", [job_id])
            != "failed"
        ),
        timeout=60,
        interval=2,
        what="the retry to be queued",
    )
    wait_for(
        lambda: (
            one(db, "SELECT status FROM credits_exportjob WHERE id = %s", [job_id])
            == "done"
        ),
        timeout=120,
        what="the retried export",
    )
    FIGURES["redis_outage"] = {
        "failed_requests": len(failures),
        "orphan_jobs": orphans,
        "recovered": True,
    }
    assert failures == [] and orphans == 0
    db.close()


def test_a_postgres_restart_answers_503_then_recovers(platform):
    pg = platform["pg"]
    pages = _pages(platform)
    pg.stop()
    during = [client.get(path) for client, path in pages[:4]]
    statuses = [r.status_code for r in during]
    assert set(statuses) == {503}, statuses
    assert all(r.headers.get("Retry-After") for r in during)
    assert "服务暂时不可用" in during[0].text
    pg.start()
    after = [client.get(path).status_code for _ in range(3) for client, path in pages]
    failed_after = [s for s in after if s != 200]
    # Work goes on: a new export finishes.
    hr = Client(platform["url"], platform["hr_session"])
    response = hr.post("/org/credits/exports/", {"scope": platform["school"]})
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    with pg.connect() as db:
        wait_for(
            lambda: (
                one(db, "SELECT status FROM credits_exportjob WHERE id = %s", [job_id])
                == "done"
            ),
            timeout=120,
            what="an export after the restart",
        )
    FIGURES["postgres_restart"] = {
        "answers_while_down": sorted(set(statuses)),
        "failed_requests_after": len(failed_after),
    }
    assert failed_after == []


def test_the_ledger_verifies_against_its_signed_checkpoint(platform):
    """As the app role: write a checkpoint, verify the chain against it."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.core.management import "
            "call_command; call_command('ledger_checkpoint'); call_command('ledger_verify')",
        ],
        cwd=ROOT,
        env=platform["env"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "ledger_verify: OK" in result.stdout and "1 signed checkpoints" in result.stdout
    )
    summary = FIGURES.setdefault("summary", {})
    kills = FIGURES.get("worker_kills", {})
    summary.update(
        {
            "records_lost": kills.get("records_lost"),
            "records_doubled": kills.get("records_doubled"),
            "jobs_stuck": kills.get("jobs_stuck"),
            "ledger_verify": "OK",
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
    )
