"""The tests we stake the platform on must not skip silently.

Browser journeys, the reference JavaScript verifier (interop), the real
OpenID Connect provider of the regional sign-in (tests/oidc), the real Celery
worker, the several-nodes proof (multinode) and the PostgreSQL-only tests skip
when their part of the machine is missing. Under `make test` (which sets
TDL_REQUIRE_ALL=1) or in CI (CI=true) a
skip of any of them fails the run, with its reason; elsewhere the skip message
says how to get them running.

KEY_TESTS is the one list of what counts as key: by marker, by the file the
test or the skip lives in, or (for PostgreSQL-only tests written before the
`postgresql` marker) by the skip reason naming PostgreSQL. Other skips (new
markers other helpers add, e.g. `faults`) are left alone unless listed here.

tests/conftest.py imports the hook below; tests/test_skip_guard.py loads this
module as a plugin into a pytest run of its own to show the guard works."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class KeyTests:
    name: str
    how: str
    markers: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()  # test files or folders, from the repository root
    reason_words: tuple[str, ...] = ()


KEY_TESTS = (
    KeyTests(
        "browser",
        how="install Debian's chromium (`make test-deps`) or set CHROMIUM_PATH",
        markers=("e2e",),
        paths=("tests/e2e/",),
    ),
    KeyTests(
        "interop",
        how="install Node.js and run `npm ci` in tests/interop (`make test-deps`)",
        markers=("interop",),
        paths=("tests/interop/", "tests/badges/js.py", "tests/badges/test_interop.py"),
    ),
    KeyTests(
        "OIDC",
        how="install Node.js and run `npm ci` in tests/oidc (`make test-deps`)",
        markers=("oidc",),
        paths=("tests/oidc/", "tests/e2e/test_oidc_journey.py"),
    ),
    KeyTests(
        "worker",
        how="set DATABASE_URL to PostgreSQL and REDIS_URL, as `make test` does",
        markers=("worker",),
        paths=("tests/test_celery_worker.py",),
    ),
    KeyTests(
        "multinode",
        how="install PostgreSQL's server binaries, redis-server and Debian's "
        "pgbouncer (`make test-deps`)",
        markers=("multinode",),
        paths=("tests/multinode/",),
    ),
    KeyTests(
        "PostgreSQL",
        how="set DATABASE_URL=postgres://postgres@127.0.0.1:5432/tdl, as `make test` does",
        markers=("postgresql",),
        reason_words=("PostgreSQL",),
    ),
)

HINT = " [key test: to run it, {how}; under `make test` or CI=true this skip fails the run]"


def required() -> bool:
    """True under `make test` or in CI."""
    ci = os.environ.get("CI", "").strip().lower()
    return os.environ.get("TDL_REQUIRE_ALL", "") not in ("", "0") or ci in (
        "1",
        "true",
        "yes",
    )


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()


def category(item, skip_location: str | None, reason: str) -> KeyTests | None:
    root = Path(str(item.config.rootpath)).resolve()
    places = {_relative(str(item.path), root)}
    if skip_location:
        places.add(_relative(skip_location, root))
    names = {mark.name for mark in item.iter_markers()}
    for key in KEY_TESTS:
        if names & set(key.markers):
            return key
        if any(p == k or p.startswith(k) for p in places for k in key.paths):
            return key
        if any(word in reason for word in key.reason_words):
            return key
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or not isinstance(report.longrepr, tuple):
        return
    if hasattr(report, "wasxfail"):
        return
    location, lineno, reason = report.longrepr
    key = category(item, location, reason)
    if key is None:
        return
    if required():
        where = _relative(location, Path(str(item.config.rootpath)).resolve())
        report.outcome = "failed"
        report.longrepr = (
            f"{key.name} test skipped, which `make test` and CI do not allow: "
            f"{reason.removeprefix('Skipped: ')} ({where}:{lineno}). "
            f"To run it, {key.how}."
        )
    else:
        report.longrepr = (location, lineno, reason + HINT.format(how=key.how))
