"""Several nodes on this machine: a private PostgreSQL primary and its
streaming replica (pg_basebackup -R), PgBouncer in transaction mode in front
of the primary, two gunicorn nodes on two ports, a Celery worker on the
`credentials` queue and one on the others (with the one beat), and a private
Redis. Built on tests/faults/stack.py.

The journey alternates between the nodes over HTTP with real sessions: the
teacher signs in and enrols on node A, completes on node B, and reads her
credit and her credential on node A, while the replica is held stale (WAL
replay paused), so any read of her own writes from the replica would show.
Then node A is killed (SIGKILL) right after she completes a second course
with the credential worker down: node B goes on serving her, and the queued
credential jobs are done once the worker is back."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest
import requests

from tests.factories import PASSWORD
from tests.faults import stack
from tests.faults.stack import wait_for

pytestmark = [pytest.mark.multinode, pytest.mark.django_db(transaction=True)]

DB = "tdl_multi"


def _skip_reason() -> str | None:
    if stack.PG_BIN is None:
        return "needs PostgreSQL server binaries (/usr/lib/postgresql/*/bin)"
    if shutil.which("redis-server") is None:
        return "needs redis-server"
    if not os.path.exists(stack.PGBOUNCER):
        return "needs Debian's pgbouncer (`make test-deps`)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "needs runuser to run PostgreSQL and PgBouncer as postgres"
    return None


def _seed() -> dict:
    import datetime
    from decimal import Decimal

    from cms.accounts.models import OrganisationKind
    from credits.models import CreditRuleSet
    from credits.rules import DEFAULT_CONFIG
    from tests.factories import OrganisationFactory, TeacherFactory, hr_user
    from tests.factories.courses import make_course
    from tests.factories.site import ensure_base_content

    ensure_base_content()
    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "默认", "config": DEFAULT_CONFIG},
    )
    city = OrganisationFactory(name="多节点市", kind=OrganisationKind.CITY, code="MC")
    district = OrganisationFactory(
        parent=city, name="多节点区", kind=OrganisationKind.DISTRICT, code="MD"
    )
    school = OrganisationFactory(parent=district, name="多节点小学", code="MS1")
    teacher = TeacherFactory(school=school)
    observer = TeacherFactory(school=school)
    hr = hr_user(district)
    courses = [
        make_course(title=title, lessons=1, hours=Decimal("4"))
        for title in ("多节点研修甲", "多节点研修乙")
    ]
    return {
        "teacher": {"id": teacher.pk, "email": teacher.user.email},
        "observer": {"id": observer.pk, "email": observer.user.email},
        "hr": {"email": hr.email},
        "courses": [
            {
                "pk": c.pk,
                "title": c.title,
                "url": c.url,
                "lesson": c.lessons.get().pk,
            }
            for c in courses
        ],
        "catalogue": courses[0].get_parent().url,
    }


class Browser:
    """One person's browser: one cookie jar (cookies do not depend on the
    port, so the session and the primary pin travel between the nodes)."""

    def __init__(self):
        self.http = requests.Session()

    @property
    def token(self) -> str:
        # The server's CSRF cookie (rotated at sign-in); its secret is
        # accepted as the form's token.
        return next(c.value for c in self.http.cookies if c.name == "csrftoken")

    def get(self, node: str, path: str):
        return self.http.get(node + path, timeout=60, allow_redirects=False)

    def post(self, node: str, path: str, data=None):
        return self.http.post(
            node + path,
            data={**(data or {}), "csrfmiddlewaretoken": self.token},
            timeout=60,
            allow_redirects=False,
        )

    def login(self, node: str, email: str):
        assert self.get(node, "/accounts/login/").status_code == 200
        response = self.post(
            node, "/accounts/login/", {"login": email, "password": PASSWORD}
        )
        assert response.status_code == 302, response.text[:300]
        assert "sessionid" in self.http.cookies

    def pinned(self) -> bool:
        return "tdl_primary" in self.http.cookies

    def unpin(self):
        """As if REPLICA_PIN_SECONDS had passed: the browser drops the pin."""
        for cookie in list(self.http.cookies):
            if cookie.name == "tdl_primary":
                self.http.cookies.clear(cookie.domain, cookie.path, cookie.name)


def _copy_test_database(pg, base) -> None:
    from django.db import connection

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
    with pg.connect(db="postgres") as admin:
        admin.execute(f"CREATE DATABASE {DB}")
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
            DB,
            dump,
        ],
        check=True,
    )
    from cms.dbroles import roles_sql

    with pg.connect(db=DB) as admin:
        for statement in roles_sql(database=DB, owner="tdl_owner", app="tdl_app"):
            admin.execute(statement)


@pytest.fixture(scope="module")
def nodes(django_db_setup, django_db_blocker):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    base = stack.make_base()
    primary = stack.PrivatePostgres(base)
    primary.full_page_writes = True
    replica = stack.PrivateReplica(base, primary)
    redis = stack.PrivateRedis(base)
    bouncer = stack.PgBouncer(base, primary, [DB])
    processes: list[stack.Process] = []
    started = []
    marks = [("start", time.monotonic())]

    def mark(name):
        marks.append((name, time.monotonic()))
        print(f"[multinode] {name}: {marks[-1][1] - marks[-2][1]:.1f} s", flush=True)

    try:
        primary.init()
        primary.start()
        started.append(primary)
        redis.start()
        mark("primary and redis")
        with django_db_blocker.unblock():
            seed = _seed()
            mark("seed")
            _copy_test_database(primary, base)
            mark("copied")
            call_command("flush", interactive=False, verbosity=0)
        mark("flushed")
        replica.init()
        replica.start()
        started.append(replica)
        wait_for(
            lambda: (
                replica.connect(db=DB)
                .execute("SELECT pg_is_in_recovery()")
                .fetchone()[0]
            ),
            timeout=30,
            what="the replica",
        )
        mark("replica")
        bouncer.start(base)
        processes.append(bouncer.process)
        env = stack.django_env(pg=primary, redis=redis, base=base)
        env.update(
            {
                # The app role through PgBouncer; the replica directly.
                "DATABASE_URL": bouncer.url(user="tdl_app", db=DB),
                "DATABASE_POOLER": "pgbouncer",
                "DATABASE_REPLICA_URL": replica.url(user="tdl_app", db=DB),
                "REPLICA_PIN_SECONDS": "120",
            }
        )
        ports = [stack.free_port(), stack.free_port()]
        web = [
            stack.server(env, base, port, name=f"node-{name}")
            for port, name in zip(ports, "ab", strict=True)
        ]
        credentials = stack.worker(
            env, base, name="worker-credentials", queues=["credentials"], beat=False
        )
        default = stack.worker(
            env,
            base,
            name="worker-default",
            queues=["default", "exports", "campaigns", "reminders"],
        )
        processes += [*web, credentials, default]
        for process in (*web, credentials, default):
            process.start()
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url in urls:
            wait_for(
                lambda url=url: (
                    requests.get(url + "/accounts/login/", timeout=5).status_code == 200
                ),
                timeout=120,
                what=f"gunicorn at {url}",
            )
        mark("nodes and workers")
        yield {
            "primary": primary,
            "replica": replica,
            "bouncer": bouncer,
            "redis": redis,
            "a": urls[0],
            "b": urls[1],
            "node_a": web[0],
            "node_b": web[1],
            "credentials_worker": credentials,
            "default_worker": default,
            **seed,
        }
    finally:
        # Throwaway: no graceful shutdowns to wait for.
        for process in reversed(processes):
            process.kill()
        redis.stop()
        for cluster in reversed(started):
            try:
                cluster.stop()
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(base, ignore_errors=True)


def one(conn, sql, params=()):
    return conn.execute(sql, params).fetchone()[0]


def credentials_of(db, teacher_id) -> list[str]:
    return [
        str(row[0])
        for row in db.execute(
            "SELECT uid FROM badges_issuedcredential WHERE teacher_id = %s",
            [teacher_id],
        ).fetchall()
    ]


def complete(browser, node_enrol, node_complete, course):
    """Enrol on one node, learn the one lesson (which completes) on the other."""
    enrol = browser.post(node_enrol, f"/learn/courses/{course['pk']}/enrol/")
    assert enrol.status_code == 302, enrol.text[:300]
    done = browser.post(
        node_complete, f"/learn/courses/{course['pk']}/lessons/{course['lesson']}/"
    )
    assert done.status_code == 302, done.text[:300]


def test_a_journey_across_two_nodes_reads_nothing_stale_and_loses_nothing(nodes):
    a, b = nodes["a"], nodes["b"]
    primary = nodes["primary"].connect(db=DB)
    replica = nodes["replica"].connect(db=DB)
    teacher_id = nodes["teacher"]["id"]
    first, second = nodes["courses"]
    started = time.monotonic()

    teacher, observer, hr = Browser(), Browser(), Browser()
    teacher.login(a, nodes["teacher"]["email"])
    observer.login(b, nodes["observer"]["email"])
    hr.login(a, nodes["hr"]["email"])
    # Signing in wrote (the session): pinned to the primary for a while.
    assert teacher.pinned() and observer.pinned()
    observer.unpin()
    hr.unpin()

    # The replica is held stale from here on: what it serves is the seed.
    nodes["replica"].replay_pause()

    # 1. Enrol on node A, complete on node B.
    complete(teacher, a, b, first)
    assert (
        one(
            primary,
            "SELECT status FROM courses_enrolment WHERE teacher_id = %s AND course_id = %s",
            [teacher_id, first["pk"]],
        )
        == "completed"
    )
    assert (
        one(
            replica,
            "SELECT count(*) FROM courses_enrolment WHERE teacher_id = %s",
            [teacher_id],
        )
        == 0
    ), "the replica was meant to be stale"

    # 2. Her credit, at once, on node A: the primary answers her.
    credits = teacher.get(a, "/credits/")
    assert credits.status_code == 200
    assert first["title"] in credits.text
    assert credits.headers["X-Read-From"] == "primary"
    # The catalogue reads the replica, but not for her while she is pinned.
    catalogue = teacher.get(a, nodes["catalogue"])
    assert catalogue.status_code == 200
    assert catalogue.headers["X-Read-From"] == "primary"
    course_page = teacher.get(b, first["url"])
    assert 'id="completed-badge"' in course_page.text

    # Others' heavy read pages are served by the (stale) replica, on both nodes.
    for browser, node, path in (
        (observer, b, nodes["catalogue"]),
        (observer, a, nodes["catalogue"]),
        (hr, a, "/org/overview/"),
        (hr, b, "/org/credits/"),
        (hr, b, "/org/teachers/"),
    ):
        response = browser.get(node, path)
        assert response.status_code == 200, (path, response.status_code)
        assert response.headers["X-Read-From"] == "replica", path
        assert first["title"] in response.text or path != nodes["catalogue"]

    # 3. Her credential, signed by the worker on the credentials queue, read
    # on node A.
    wait_for(
        lambda: credentials_of(primary, teacher_id),
        timeout=60,
        what="her first credential",
    )
    uid = credentials_of(primary, teacher_id)[0]
    page = teacher.get(a, "/credentials/")
    assert page.status_code == 200 and uid in page.text

    # The replica catches up once replay resumes.
    nodes["replica"].replay_resume()
    wait_for(
        lambda: (
            one(
                replica,
                "SELECT count(*) FROM courses_enrolment WHERE teacher_id = %s",
                [teacher_id],
            )
            == 1
        ),
        timeout=30,
        what="the replica to catch up",
    )

    # 4. Node A dies right after taking her second completion, while the
    # credential worker is down: the job waits in Redis, not in node A.
    nodes["credentials_worker"].kill()
    complete(teacher, a, a, second)
    nodes["node_a"].kill()
    with pytest.raises(requests.ConnectionError):
        teacher.get(a, "/credits/")
    # Node B goes on: her session, her second credit, others' work.
    credits = teacher.get(b, "/credits/")
    assert credits.status_code == 200
    assert first["title"] in credits.text and second["title"] in credits.text
    complete(observer, b, b, first)
    # The worker is back: every queued credential is signed.
    nodes["credentials_worker"].start()
    wait_for(
        lambda: (
            len(credentials_of(primary, teacher_id)) == 2
            and len(credentials_of(primary, nodes["observer"]["id"])) == 1
        ),
        timeout=90,
        what="the queued credentials",
    )
    page = teacher.get(b, "/credentials/")
    assert all(uid in page.text for uid in credentials_of(primary, teacher_id))
    # One record and one credential per completion, nothing doubled.
    records = one(
        primary,
        "SELECT count(*) FROM credits_creditrecord WHERE teacher_id = ANY(%s)",
        [[teacher_id, nodes["observer"]["id"]]],
    )
    issued = one(
        primary,
        "SELECT count(*) FROM badges_issuedcredential WHERE teacher_id = ANY(%s)",
        [[teacher_id, nodes["observer"]["id"]]],
    )
    assert (records, issued) == (3, 3)

    # The site reached the primary through PgBouncer, in transaction mode.
    pools = nodes["bouncer"].show("POOLS")
    assert any(line.startswith(f"{DB}|tdl_app|") for line in pools.splitlines()), pools
    assert "transaction" in nodes["bouncer"].show("CONFIG")
    # One beat holds the schedule lock.
    import redis as redis_client

    lock = redis_client.Redis(port=nodes["redis"].port).get("tdl:celery-beat:lock")
    assert lock is not None
    print(f"[multinode] journey: {time.monotonic() - started:.1f} s")
    primary.close()
    replica.close()
