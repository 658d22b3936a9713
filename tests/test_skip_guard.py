"""The skip guard (tests/skip_guard.py): under `make test` or CI a skipped key
test fails the run with its reason; elsewhere it stays a skip that says how
to get it running. Each case is a real pytest run of a small generated test
file, with the guard loaded as a plugin."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

TESTS = """
import pytest

@pytest.mark.e2e
def test_browser_journey():
    pytest.skip("Chromium not found at /nowhere")

@pytest.mark.worker
def test_worker():
    pytest.skip("needs DATABASE_URL (PostgreSQL) and REDIS_URL")

@pytest.mark.skipif(True, reason="the append-only trigger is PostgreSQL's")
def test_postgres_only():
    pass

def test_concurrency():
    pytest.skip("concurrency needs PostgreSQL")

@pytest.mark.faults
def test_some_other_skip():
    pytest.skip("not a key test")

@pytest.mark.xfail(reason="known")
def test_expected_failure():
    assert False

def test_passes():
    pass
"""


def run(tmp_path: Path, **env_overrides) -> subprocess.CompletedProcess:
    (tmp_path / "test_generated.py").write_text(TESTS, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nmarkers =\n    e2e\n    worker\n    faults\n", encoding="utf-8"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in ("CI", "TDL_REQUIRE_ALL", "DJANGO_SETTINGS_MODULE", "PYTEST_ADDOPTS")
    }
    env["PYTHONPATH"] = str(ROOT)
    env.update(env_overrides)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.skip_guard",
            "-p",
            "no:django",
            "-p",
            "no:cacheprovider",
            "-v",
            "-rA",
            "test_generated.py",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def outcome(output: str, name: str) -> str:
    """The outcome `pytest -v` printed for one test (the first line naming it)."""
    prefix = f"test_generated.py::{name} "
    line = next(line for line in output.splitlines() if line.startswith(prefix))
    return line.removeprefix(prefix).split()[0]


def summary_line(output: str, text: str) -> str:
    """The line of the short summary (-rA) that holds `text`."""
    return next(
        line
        for line in output.splitlines()
        if line.startswith("SKIPPED [") and text in line
    )


@pytest.mark.parametrize(
    "env", [{"CI": "true"}, {"TDL_REQUIRE_ALL": "1"}], ids=["CI", "make-test"]
)
def test_a_skipped_key_test_fails_the_run_in_ci_and_make_test(tmp_path, env):
    done = run(tmp_path, **env)
    out = done.stdout
    assert done.returncode == 1, out
    for name, reason in [
        ("test_browser_journey", "Chromium not found at /nowhere"),
        ("test_worker", "needs DATABASE_URL (PostgreSQL) and REDIS_URL"),
        ("test_postgres_only", "the append-only trigger is PostgreSQL's"),
        ("test_concurrency", "concurrency needs PostgreSQL"),
    ]:
        # A skip in the test body fails it; one at setup (skipif, a fixture
        # such as the browser's) is an error: either fails the run.
        assert outcome(out, name) in ("FAILED", "ERROR"), out
        assert reason in out
    assert "browser test skipped, which `make test` and CI do not allow" in out
    assert "To run it, install Debian's chromium" in out
    # Skips outside the key list and expected failures are untouched.
    assert outcome(out, "test_some_other_skip") == "SKIPPED"
    assert outcome(out, "test_expected_failure") == "XFAIL"
    assert "3 failed, 1 passed, 1 skipped, 1 xfailed, 1 error" in out


def test_outside_ci_a_key_skip_stays_a_skip_and_says_how_to_run_it(tmp_path):
    done = run(tmp_path, CI="false")
    out = done.stdout
    assert done.returncode == 0, out
    assert "1 passed, 5 skipped, 1 xfailed" in out
    assert outcome(out, "test_browser_journey") == "SKIPPED"
    browser = summary_line(out, "Chromium not found")
    assert "to run it, install Debian's chromium (`make test-deps`)" in browser
    worker = summary_line(out, "needs DATABASE_URL")
    assert "REDIS_URL, as `make test` does" in worker
    postgres = summary_line(out, "the append-only trigger")
    assert "set DATABASE_URL=postgres://" in postgres
    other = summary_line(out, "not a key test")
    assert "to run it" not in other


OIDC_TEST = """
import pytest

from tests.oidc.provider import start

@pytest.mark.oidc
def test_regional_login():
    start(["http://testserver"])
"""


def test_regional_login_without_node_fails_in_ci(tmp_path):
    # The OIDC tests start a real provider with Node.js; a machine without
    # node skips them, which CI must not accept.
    (tmp_path / "test_generated.py").write_text(OIDC_TEST, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    oidc\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TDL_REQUIRE_ALL", "DJANGO_SETTINGS_MODULE", "PYTEST_ADDOPTS")
    }
    env.update(PYTHONPATH=str(ROOT), PATH="/nonexistent", CI="true")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.skip_guard", "-p", "no:django"]
        + ["-p", "no:cacheprovider", "-v", "-rA", "test_generated.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 1, out
    assert outcome(out, "test_regional_login") == "FAILED", out
    assert "OIDC test skipped, which `make test` and CI do not allow" in out
    assert "Node.js is not installed" in out
    assert "run `npm ci` in tests/oidc" in out
