import pytest
from django.core.cache import cache
from django.db.backends.postgresql.operations import DatabaseOperations

from cms.accounts.models import OrganisationKind
from tests.factories import OrganisationFactory, TeacherFactory, hr_user
from tests.skip_guard import pytest_runtest_makereport  # noqa: F401  (the skip guard)

# The ledger's triggers refuse TRUNCATE (credits migration 0008), and Django
# empties the database between transactional tests with one. Only the test
# run's own flush lifts them, for that statement, in its transaction: as the
# test database's owner it may, and production never runs this.
LEDGER_GUARDED = ("credits_creditrecord", "credits_ledgerhead")
_sql_flush = DatabaseOperations.sql_flush


def _sql_flush_past_ledger_guard(self, style, tables, **kwargs):
    statements = _sql_flush(self, style, tables, **kwargs)
    guarded = [t for t in LEDGER_GUARDED if t in tables]
    if not statements or not guarded:
        return statements
    return (
        [f"ALTER TABLE {t} DISABLE TRIGGER USER;" for t in guarded]
        + statements
        + [f"ALTER TABLE {t} ENABLE TRIGGER USER;" for t in guarded]
    )


DatabaseOperations.sql_flush = _sql_flush_past_ledger_guard


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate limits and progress live in the cache (Redis under `make test`):
    start every test without what earlier tests or runs left there."""
    cache.clear()
    yield


@pytest.fixture
def district_tree(db):
    """A city with two districts; district A has schools A1 and A2, district B
    has school B1. Each school has two teachers."""
    city = OrganisationFactory(name="临江市", kind=OrganisationKind.CITY, code="C1")
    dist_a = OrganisationFactory(
        parent=city, name="东湖区", kind=OrganisationKind.DISTRICT, code="DA"
    )
    dist_b = OrganisationFactory(
        parent=city, name="西山区", kind=OrganisationKind.DISTRICT, code="DB"
    )
    school_a1 = OrganisationFactory(parent=dist_a, name="东湖实验小学", code="SA1")
    school_a2 = OrganisationFactory(parent=dist_a, name="东湖第一中学", code="SA2")
    school_b1 = OrganisationFactory(parent=dist_b, name="西山中心小学", code="SB1")
    teachers = {
        school.code: [TeacherFactory(school=school), TeacherFactory(school=school)]
        for school in (school_a1, school_a2, school_b1)
    }
    return {
        "city": city,
        "dist_a": dist_a,
        "dist_b": dist_b,
        "school_a1": school_a1,
        "school_a2": school_a2,
        "school_b1": school_b1,
        "teachers": teachers,
    }


@pytest.fixture
def hr_a1(district_tree):
    return hr_user(district_tree["school_a1"])


@pytest.fixture
def hr_dist_a(district_tree):
    return hr_user(district_tree["dist_a"])


@pytest.fixture
def cache_unreachable(monkeypatch):
    """The page cache as it behaves while Redis is down (the resilient cache
    answers every read empty and drops every write): pages render afresh."""
    from cms.shared import pagecache

    monkeypatch.setattr(pagecache.cache, "get_many", lambda keys, **k: {})
    monkeypatch.setattr(pagecache.cache, "get", lambda key, default=None, **k: default)
    monkeypatch.setattr(pagecache.cache, "add", lambda *a, **k: False)
    monkeypatch.setattr(pagecache.cache, "set", lambda *a, **k: None)
    monkeypatch.setattr(pagecache.cache, "set_many", lambda *a, **k: [])
