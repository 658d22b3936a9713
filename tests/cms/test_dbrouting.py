"""The database router's rules (cms/shared/dbrouting.py): which reads may go
to the replica and which must stay on the primary. The replica itself is
exercised end to end by tests/multinode; here the router's decisions."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve

from cms.shared import dbrouting

CreditRecord = apps.get_model("credits", "CreditRecord")
LedgerHead = apps.get_model("credits", "LedgerHead")
CreditYearTotal = apps.get_model("credits", "CreditYearTotal")
Session = apps.get_model("sessions", "Session")
TeacherProfile = apps.get_model("accounts", "TeacherProfile")
Enrolment = apps.get_model("courses", "Enrolment")

router = dbrouting.ReplicaRouter()


@pytest.fixture
def with_replica(monkeypatch):
    monkeypatch.setattr(dbrouting, "replica_configured", lambda: True)


def visit(method, path, *, cookies=None, during=None):
    """Run a request through the middleware; `during(request)` runs as the
    view. Returns (where each model was read during the view, response)."""
    request = getattr(RequestFactory(), method.lower())(path)
    request.COOKIES.update(cookies or {})
    request.resolver_match = resolve(path)
    reads = {}
    middleware = dbrouting.ReplicaRoutingMiddleware(lambda r: view(r))

    def view(r):
        middleware.process_view(r, None, (), {})
        if during:
            during(r)
        for model in (TeacherProfile, CreditYearTotal, CreditRecord, LedgerHead):
            reads[model._meta.label] = router.db_for_read(model)
        reads["sessions.Session"] = router.db_for_read(Session)
        return HttpResponse("ok")

    response = middleware(request)
    return reads, response


def test_outside_a_request_everything_is_on_the_primary(with_replica):
    """Celery tasks and management commands never read the replica."""
    assert router.db_for_read(TeacherProfile) == "default"
    assert router.db_for_read(CreditYearTotal) == "default"
    assert router.db_for_write(TeacherProfile) == "default"


def test_heavy_read_pages_read_the_replica_but_never_the_ledger(with_replica):
    for path in ("/org/overview/", "/org/credits/", "/org/teachers/"):
        reads, response = visit("GET", path)
        assert reads["accounts.TeacherProfile"] == "replica", path
        assert reads["credits.CreditYearTotal"] == "replica", path
        # The ledger and sessions: the primary only, even from a replica page.
        assert reads["credits.CreditRecord"] == "default", path
        assert reads["credits.LedgerHead"] == "default", path
        assert reads["sessions.Session"] == "default", path
        assert response["X-Read-From"] == "replica"
        assert "tdl_primary" not in response.cookies


def test_her_own_pages_read_the_primary(with_replica):
    for path in ("/credits/", "/credentials/", "/learn/", "/dashboard/"):
        reads, response = visit("GET", path)
        assert set(reads.values()) == {"default"}, path
        assert response["X-Read-From"] == "primary"


def test_a_post_pins_the_browser_to_the_primary(with_replica, settings):
    reads, response = visit("POST", "/org/overview/")
    assert set(reads.values()) == {"default"}
    pin = response.cookies["tdl_primary"]
    assert pin["max-age"] == settings.REPLICA_PIN_SECONDS
    # Her next reads, on any node (the cookie travels with her): the primary.
    reads, response = visit("GET", "/org/overview/", cookies={"tdl_primary": "1"})
    assert set(reads.values()) == {"default"}
    assert response["X-Read-From"] == "primary"
    # Once the pin has expired (the browser drops the cookie): the replica.
    reads, _ = visit("GET", "/org/overview/")
    assert reads["accounts.TeacherProfile"] == "replica"


def test_a_request_that_writes_reads_its_own_writes(with_replica):
    def write(request):
        router.db_for_write(Enrolment)

    reads, response = visit("GET", "/org/overview/", during=write)
    assert set(reads.values()) == {"default"}
    assert response["X-Read-From"] == "primary"
    assert "tdl_primary" in response.cookies


def test_without_a_replica_nothing_changes():
    reads, response = visit("GET", "/org/overview/")
    assert set(reads.values()) == {"default"}
    assert "X-Read-From" not in response
    assert "tdl_primary" not in response.cookies


def test_the_catalogue_page_type_reads_the_replica():
    CatalogueIndexPage = apps.get_model("courses", "CatalogueIndexPage")
    CoursePage = apps.get_model("courses", "CoursePage")
    # Instances without touching the database: only their type matters.
    assert dbrouting.page_reads_replica(CatalogueIndexPage.__new__(CatalogueIndexPage))
    assert not dbrouting.page_reads_replica(CoursePage.__new__(CoursePage))


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate("default", "credits")
    assert not router.allow_migrate("replica", "credits")


def test_an_anonymous_page_from_the_replica_is_cached_briefly(
    with_replica, monkeypatch, settings
):
    """The page cache keeps what a (possibly lagging) replica rendered for
    REPLICA_PAGE_CACHE_SECONDS, not the hour a primary's page is kept."""
    from cms.shared import pagecache

    stored = {}
    monkeypatch.setattr(
        pagecache.cache, "set", lambda key, value, timeout: stored.update(t=timeout)
    )
    monkeypatch.setattr(pagecache, "_versions", lambda deps: dict.fromkeys(deps, 1))
    request = RequestFactory().get("/courses/")
    request._page_cache_deps = {pagecache.CONTENT}
    request._page_cache_before = {pagecache.CONTENT: 1}
    response = HttpResponse("<html></html>", content_type="text/html")
    token = dbrouting.request_begin(request)
    try:
        pagecache.AnonymousPageCacheMiddleware(None)._store(request, "k", response)
        assert stored["t"] == pagecache.TIMEOUT
        dbrouting.replica_reads_allow(request)
        pagecache.AnonymousPageCacheMiddleware(None)._store(request, "k", response)
        assert stored["t"] == settings.REPLICA_PAGE_CACHE_SECONDS
    finally:
        dbrouting.request_end(token)
