"""Jobs whose worker died are picked up by the sweeper, fail with a reason
after too many tries and are retried once however often the button is
pressed; a dead Redis turns the cache into no cache instead of errors.

(The same under real crashes and outages: tests/faults.)"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cms.accounts.models import TeacherImport
from cms.shared import jobs
from credits.models import CreditRuleSet, ExportJob, Transcript
from credits.rules import DEFAULT_CONFIG
from tests.factories import PASSWORD

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture(autouse=True)
def rules(db):
    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "默认", "config": DEFAULT_CONFIG},
    )


def stale(**fields):
    return {
        "heartbeat_at": timezone.now() - datetime.timedelta(hours=1),
        **fields,
    }


@pytest.mark.django_db
class TestSweeper:
    def test_an_export_whose_worker_died_is_run_again_without_doubling(
        self, district_tree, hr_a1, django_capture_on_commit_callbacks
    ):
        commit = django_capture_on_commit_callbacks
        job = ExportJob.objects.create(
            created_by=hr_a1,
            scope=district_tree["school_a1"],
            status="running",
            done=1,
            total=2,
            attempts=1,
            **stale(),
        )
        # What the dead run had issued already.
        from credits.services import transcript_issue

        transcript_issue(teacher=district_tree["teachers"]["SA1"][0])
        with commit(execute=True):  # eager here: the re-queued job runs at once
            report = jobs.jobs_sweep()
        assert report["credits.ExportJob"] == {"requeued": 1, "failed": 0}
        job.refresh_from_db()
        assert (job.status, job.done, job.total, job.attempts) == ("done", 2, 2, 2)
        assert (
            Transcript.objects.filter(
                teacher__in=district_tree["teachers"]["SA1"]
            ).count()
            == 2
        )

    def test_a_live_job_is_left_alone(self, district_tree, hr_a1):
        job = ExportJob.objects.create(
            created_by=hr_a1,
            scope=district_tree["school_a1"],
            status="running",
            heartbeat_at=timezone.now(),
            attempts=1,
        )
        assert jobs.jobs_sweep()["credits.ExportJob"] == {"requeued": 0, "failed": 0}
        job.refresh_from_db()
        assert job.status == "running"

    def test_after_too_many_attempts_it_fails_with_the_reason_and_a_retry_button(
        self, client, district_tree, hr_a1, settings, django_capture_on_commit_callbacks
    ):
        commit = django_capture_on_commit_callbacks
        job = ExportJob.objects.create(
            created_by=hr_a1,
            scope=district_tree["school_a1"],
            status="running",
            attempts=settings.JOB_MAX_ATTEMPTS,
            **stale(),
        )
        assert jobs.jobs_sweep()["credits.ExportJob"] == {"requeued": 0, "failed": 1}
        client.force_login(hr_a1)
        page = client.get(reverse("export_detail", args=[job.pk])).content.decode()
        assert "已中断 3 次" in page and 'id="retry-export"' in page

        with commit(execute=True):
            first = client.post(reverse("export_retry", args=[job.pk]), follow=True)
        assert "已重新开始生成" in first.content.decode()
        job.refresh_from_db()
        assert (job.status, job.attempts) == ("done", 1)
        again = client.post(reverse("export_retry", args=[job.pk]), follow=True)
        assert "该导出没有失败" in again.content.decode()
        assert Transcript.objects.count() == 2  # the school's two teachers, once

    def test_someone_elses_export_cannot_be_retried(self, client, district_tree, hr_a1):
        from tests.factories import hr_user

        job = ExportJob.objects.create(
            created_by=hr_a1, scope=district_tree["school_a1"], status="failed"
        )
        client.force_login(hr_user(district_tree["school_a1"]))
        assert client.post(reverse("export_retry", args=[job.pk])).status_code == 404
        job.refresh_from_db()
        assert job.status == "failed"

    def test_an_import_whose_worker_died_is_applied_once(
        self, client, district_tree, hr_dist_a, django_capture_on_commit_callbacks
    ):
        commit = django_capture_on_commit_callbacks
        from cms.accounts import services

        data = (
            "姓名,工号,学校\n李明,W100,东湖实验小学\n王芳,W101,东湖第一中学\n".encode()
        )
        imp = services.teacher_import_create(user=hr_dist_a, name="r.csv", data=data)
        TeacherImport.objects.filter(pk=imp.pk).update(
            status="running", attempts=1, **stale()
        )
        with commit(execute=True):
            jobs.jobs_sweep()
        imp.refresh_from_db()
        assert (imp.status, imp.created_count) == ("done", 2)
        # A failed one shows why, and retrying it changes nothing twice.
        TeacherImport.objects.filter(pk=imp.pk).update(status="failed", error="断电")
        client.force_login(hr_dist_a)
        page = client.get(reverse("teacher_import_detail", args=[imp.pk]))
        assert (
            "断电" in page.content.decode()
            and 'id="retry-import"' in page.content.decode()
        )
        with commit(execute=True):
            client.post(reverse("teacher_import_retry", args=[imp.pk]))
        imp.refresh_from_db()
        assert (imp.status, imp.created_count, imp.updated_count) == ("done", 0, 0)
        assert imp.unchanged_count == 2


@pytest.mark.django_db
def test_a_dead_redis_is_an_empty_cache(settings, client, district_tree):
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "cms.shared.reliability.ResilientRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    cache = caches["default"]
    assert cache.get("k", "default") == "default"
    cache.set("k", 1)  # dropped, no error
    assert cache.get_many(["k"]) == {}
    with pytest.raises(ValueError):
        cache.incr("k")
    assert cache.add("lock", 1) is True  # cache-held locks and limits fail open
    # Logging in (with allauth's cache-held rate limits) still works.
    teacher = district_tree["teachers"]["SA1"][0]
    assert client.get(reverse("account_login")).status_code == 200
    response = client.post(
        reverse("account_login"), {"login": teacher.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_one_redis_client_shared_by_threads_keeps_their_answers_apart():
    """The cache's `redis.Redis` object is built once per pool and shared (it
    holds no connection of its own): threads using it at the same time each
    read back what they wrote."""
    import os
    import threading

    from cms.shared.reliability import ResilientRedisCache

    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs Redis (make test sets REDIS_URL)")
    cache = ResilientRedisCache(url, {"KEY_PREFIX": "client-share-test"})
    assert cache._cache.get_client() is cache._cache.get_client()
    wrong = []

    def worker(n):
        for i in range(200):
            cache.set(f"t{n}", (n, i))
            got = cache.get_many([f"t{n}"])
            if got.get(f"t{n}") != (n, i):
                wrong.append((n, i, got))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    cache.delete_many([f"t{n}" for n in range(8)])


@pytest.mark.django_db
def test_a_version_bump_lost_to_an_outage_is_not_served_stale_after_it(
    monkeypatch, caplog
):
    """Redis unreachable while data changes: the bump is dropped. Once Redis
    answers again, no page kept under the old version is served: the first
    successful call forgets every version."""
    import os

    from cms.shared import pagecache

    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis (make test sets REDIS_URL)")
    assert pagecache.cached("outage-test", "outage-dep", lambda: "before") == "before"
    assert pagecache.cached("outage-test", "outage-dep", lambda: "unused") == "before"

    with monkeypatch.context() as m:
        # The outage: every write dropped, as ResilientRedisCache drops them.
        m.setattr(pagecache.cache, "set_many", lambda data, *a, **k: list(data))
        pagecache.bump("outage-dep")  # the data changed; the bump is lost
    # Redis is back: the next call forgets the versions first.
    assert pagecache.cached("outage-test", "outage-dep", lambda: "after") == "after"
    assert "versions forgotten" in caplog.text
    assert pagecache.cached("outage-test", "outage-dep", lambda: "unused") == "after"


def test_a_window_counter_counts_in_one_call_and_expires():
    """ResilientRedisCache.count_in_window (the public rate limits): counts
    from 1, gives the key its time to live once, and fails open (None) while
    Redis is unreachable."""
    import os

    from cms.shared.reliability import ResilientRedisCache

    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs Redis (make test sets REDIS_URL)")
    cache = ResilientRedisCache(url, {"KEY_PREFIX": "window-test"})
    cache.delete("w")
    assert [cache.count_in_window("w", 30) for _ in range(3)] == [1, 2, 3]
    client = cache._cache.get_client(write=True)
    ttl = client.ttl(cache.make_key("w"))
    assert 0 < ttl <= 30
    dead = ResilientRedisCache(DEAD_REDIS, {"OPTIONS": {"socket_connect_timeout": 0.5}})
    assert dead.count_in_window("w", 30) is None
    cache.delete("w")
