"""Production settings refuse to start without their secrets, and pass
`check --deploy` when given them."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "teachers.example.cn",
    "IDENTITY_HASH_KEY": "pepper",
    "LEDGER_HASH_KEY": "ledger-key",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/tdl",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
}


def run_manage(*args, **env_overrides):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in GOOD and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update({k: v for k, v in env_overrides.items() if v is not None})
    env["DJANGO_SETTINGS_MODULE"] = "cms.settings.production"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "IDENTITY_HASH_KEY",
        "LEDGER_HASH_KEY",
        "DATABASE_URL",
    ],
)
def test_production_refuses_to_start_without(missing):
    result = run_manage("check", **{**GOOD, missing: None})
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


def test_production_refuses_a_short_secret_key():
    result = run_manage("check", **{**GOOD, "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


# Any database of this machine's PostgreSQL will do for the role checks.
MAINTENANCE_DB = "postgres://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def app_role():
    """A login role that is neither a superuser nor the owner of anything, as
    `manage.py db_roles` makes the site's role (cluster-wide; dropped after)."""
    import uuid

    import psycopg

    name = f"tdl_check_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(MAINTENANCE_DB, autocommit=True)
    except psycopg.OperationalError:
        pytest.skip("needs this machine's PostgreSQL")
    with admin:
        admin.execute(f'CREATE ROLE "{name}" LOGIN')
        try:
            yield name
        finally:
            admin.execute(f'DROP ROLE "{name}"')


def test_production_passes_the_deploy_checklist(tmp_path, app_role):
    # The signing keys' secret file, as `credential_key_generate` leaves it
    # (the check asks only that one is configured and present).
    keys = tmp_path / "credential-keys.json"
    keys.write_text("{}", encoding="utf-8")
    # Files on storage every node shares (here: directories outside the
    # checkout, as a shared mount would be).
    shared = {
        name: str(tmp_path / name.lower())
        for name in ("MEDIA_ROOT", "PRIVATE_MEDIA_ROOT", "LEDGER_CHECKPOINT_DIR")
    }
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        CREDENTIAL_KEYS_FILE=str(keys),
        **shared,
        **{**GOOD, "DATABASE_URL": f"postgres://{app_role}@127.0.0.1:5432/postgres"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deploy_checklist_warns_when_the_site_connects_as_a_superuser(tmp_path):
    keys = tmp_path / "credential-keys.json"
    keys.write_text("{}", encoding="utf-8")
    result = run_manage(
        "check",
        "--deploy",
        CREDENTIAL_KEYS_FILE=str(keys),
        **{**GOOD, "DATABASE_URL": MAINTENANCE_DB},
    )
    assert "credits.W001" in result.stdout + result.stderr
    assert "superuser 'postgres'" in result.stdout + result.stderr
    # No database at hand (a build step): the check stays quiet.
    unreachable = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        CREDENTIAL_KEYS_FILE=str(keys),
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME="tdl-files",
        **{**GOOD, "DATABASE_URL": "postgres://postgres@127.0.0.1:1/tdl"},
    )
    assert unreachable.returncode == 0, unreachable.stdout + unreachable.stderr


SHOW_DATABASES = (
    "shell",
    "-c",
    "import json; from django.conf import settings as s; print(json.dumps("
    "{'dbs': {a: [d['CONN_MAX_AGE'], d.get('DISABLE_SERVER_SIDE_CURSORS', False), "
    "d['PORT']] for a, d in s.DATABASES.items()}, 'routers': s.DATABASE_ROUTERS, "
    "'mw': 'cms.shared.dbrouting.ReplicaRoutingMiddleware' in s.MIDDLEWARE}))",
)


def test_several_nodes_settings_come_from_the_environment():
    import json

    alone = run_manage(*SHOW_DATABASES, **GOOD)
    assert alone.returncode == 0, alone.stderr
    assert json.loads(alone.stdout.strip().splitlines()[-1]) == {
        "dbs": {"default": [60, False, 5432]},
        "routers": [],
        "mw": False,
    }
    pooled = run_manage(
        *SHOW_DATABASES,
        **{
            **GOOD,
            "DATABASE_URL": "postgres://tdl_app@127.0.0.1:6432/tdl",
            "DATABASE_REPLICA_URL": "postgres://tdl_app@10.0.0.2:6432/tdl",
            "DATABASE_POOLER": "pgbouncer",
        },
    )
    assert pooled.returncode == 0, pooled.stderr
    assert json.loads(pooled.stdout.strip().splitlines()[-1]) == {
        "dbs": {"default": [0, True, 6432], "replica": [0, True, 6432]},
        "routers": ["cms.shared.dbrouting.ReplicaRouter"],
        "mw": True,
    }
    wrong = run_manage("check", **{**GOOD, "DATABASE_POOLER": "pgpool"})
    assert wrong.returncode != 0
    assert "DATABASE_POOLER must be empty or 'pgbouncer'" in wrong.stderr
