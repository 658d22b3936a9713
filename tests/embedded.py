"""Running one test again on the embedded SQLite database (`make run`'s
default), from a test run on PostgreSQL."""

import os
import subprocess
import sys

import pytest
from django.db import connection


def assert_passes_on_sqlite(tmp_path, node_id: str) -> None:
    """Run the test `node_id` in a fresh pytest on a new SQLite database and
    fail with its output unless it passes. Skipped when this run is on
    SQLite already (the test itself runs here then)."""
    if connection.vendor == "sqlite":
        pytest.skip("this run is on SQLite already")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        "TDL_REQUIRE_ALL": "",
    }
    run = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", node_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "1 passed" in run.stdout
