"""Stateless app nodes: nothing a request needs lives in one process or on one
node's disk. Production keeps sessions in the database and caches, rate-limit
counters and lockouts in Redis; files go through Django's storage API to a
shared directory or an S3-compatible object store, where a node or worker that
did not write a file reads it; `check --deploy` warns about anything node-local.

The object store here is moto's S3-compatible server in a process of its own,
reached over HTTP by boto3 through django-storages exactly as a real one is."""

import datetime
import io
import json
import os
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from celery.signals import task_prerun
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from cms.checks import files_are_shared, state_is_shared
from credits.models import CreditRuleSet, ExportJob, RecognitionRequest
from credits.rules import DEFAULT_CONFIG
from tests.cms.test_settings import GOOD

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.core.cache import cache, caches
import allauth.core.internal.ratelimit as allauth_limits
from cms.shared import attendance, ratelimit
from cms.checks import shared_state_problems, node_local_directories
print(json.dumps({
    "caches": {a: c["BACKEND"] for a, c in settings.CACHES.items()},
    "default_cache": type(caches["default"]).__name__,
    "session_engine": settings.SESSION_ENGINE,
    "message_storage": settings.MESSAGE_STORAGE,
    "counters_in_default_cache": all(
        m.cache is cache for m in (ratelimit, attendance, allauth_limits)
    ),
    "celery_eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
    "storages": {a: c["BACKEND"] for a, c in settings.STORAGES.items()},
    "problems": shared_state_problems(),
    "node_local": node_local_directories(),
}))
"""


def production_probe(**env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in GOOD}
    env.update(GOOD)
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "cms.settings.production"
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_keeps_sessions_caches_and_counters_off_the_process():
    found = production_probe()
    assert found["problems"] == []
    assert found["caches"] == {"default": "cms.shared.reliability.ResilientRedisCache"}
    assert found["default_cache"] == "ResilientRedisCache"
    # Database sessions (Django's store, read with one plain statement).
    assert found["session_engine"] == "cms.accounts.sessions"
    # Messages ride in a cookie, then the session: nothing kept by a node.
    assert found["message_storage"].endswith("FallbackStorage")
    # Public rate limits, check-in lockouts and allauth's sign-in throttling
    # all count in that one Redis cache.
    assert found["counters_in_default_cache"] is True
    assert found["celery_eager"] is False
    assert found["broker"].startswith("redis://")
    # Left at their defaults the file roots are in the checkout: the deploy
    # check names each of them.
    assert len(found["node_local"]) == 3


def test_production_with_object_storage_keeps_no_file_on_a_node():
    found = production_probe(
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME="tdl-files",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:9",
    )
    assert found["storages"]["default"] == "storages.backends.s3.S3Storage"
    assert found["storages"]["private"] == "storages.backends.s3.S3Storage"
    assert found["storages"]["checkpoints"] == "storages.backends.s3.S3Storage"
    assert found["node_local"] == []


def test_production_refuses_object_storage_without_a_bucket():
    env = {k: v for k, v in os.environ.items() if k not in GOOD}
    env.update(
        GOOD, STORAGE_BACKEND="s3", DJANGO_SETTINGS_MODULE="cms.settings.production"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "AWS_STORAGE_BUCKET_NAME must be set" in result.stderr


REDIS_CACHE = {
    "default": {
        "BACKEND": "cms.shared.reliability.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:6379/15",
    }
}


def test_the_deploy_check_warns_about_process_memory_and_file_sessions(settings):
    settings.CACHES = REDIS_CACHE
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    assert state_is_shared(None) == []

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    (warning,) = state_is_shared(None)
    assert warning.id == "cms.W101"
    assert "process memory" in warning.msg and "rate-limit counters" in warning.msg

    settings.CACHES = REDIS_CACHE
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.file"
    (warning,) = state_is_shared(None)
    assert "sessions are kept on one node's disk" in warning.msg

    settings.CACHES = {
        **REDIS_CACHE,
        "sessions": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    settings.SESSION_CACHE_ALIAS = "sessions"
    messages = [w.msg for w in state_is_shared(None)]
    assert any("sessions are kept in cache 'sessions'" in m for m in messages)


def test_the_deploy_check_warns_about_files_inside_the_checkout(settings, tmp_path):
    settings.MEDIA_ROOT = str(ROOT / "media")
    settings.LEDGER_CHECKPOINT_DIR = str(ROOT / "var" / "ledger-checkpoints")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(ROOT / "private_media")},
        },
    }
    warnings = files_are_shared(None)
    assert {w.id for w in warnings} == {"cms.W102"}
    assert len(warnings) == 3
    # Shared directories (mounted on every node) are outside the checkout.
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.LEDGER_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }
    assert files_are_shared(None) == []


# --- files through an S3-compatible object store -----------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def object_store():
    """An S3-compatible server in its own process: what the nodes share."""
    # moto[server] is in the dev extra: a missing one fails here, never skips.
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("the S3-compatible server did not start")
    yield endpoint
    proc.terminate()
    proc.wait(timeout=10)


def another_node(endpoint):
    """A client of the object store with nothing in common with the site's
    process but the endpoint and the keys: as a node elsewhere."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="node-key",
        aws_secret_access_key="node-secret",  # noqa: S106
    )


@pytest.fixture
def s3_storages(object_store, settings, monkeypatch):
    import uuid

    bucket = f"tdl-{uuid.uuid4().hex[:12]}"
    another_node(object_store).create_bucket(Bucket=bucket)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "node-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "node-secret")
    common = {
        "bucket_name": bucket,
        "endpoint_url": object_store,
        "region_name": "us-east-1",
        "addressing_style": "path",
        "file_overwrite": False,
    }
    s3 = "storages.backends.s3.S3Storage"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": s3, "OPTIONS": {**common, "location": "media"}},
        "private": {
            "BACKEND": s3,
            "OPTIONS": {**common, "location": "private", "default_acl": "private"},
        },
        "checkpoints": {
            "BACKEND": s3,
            "OPTIONS": {**common, "location": "ledger-checkpoints"},
        },
    }
    return bucket


def objects(endpoint, bucket, prefix):
    listing = another_node(endpoint).list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for o in listing.get("Contents", [])]


def read_object(endpoint, bucket, key) -> bytes:
    return another_node(endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()


def local_files(root) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()]


@pytest.fixture
def rules(db):
    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "全国通用", "config": DEFAULT_CONFIG},
    )


@pytest.mark.django_db
def test_evidence_uploaded_on_one_node_is_read_from_the_object_store(
    client, district_tree, hr_a1, rules, s3_storages, object_store, settings
):
    before = local_files(settings.PRIVATE_MEDIA_ROOT)
    teacher = district_tree["teachers"]["SA1"][0]
    client.force_login(teacher.user)
    response = client.post(
        reverse("recognition_mine"),
        {
            "title": "国家智慧教育平台暑期研修",
            "provider": "国家中小学智慧教育平台",
            "category": "信息技术应用",
            "hours": "10",
            "earned_on": "2026-08-20",
            "evidence": SimpleUploadedFile("证书.pdf", PDF, "application/pdf"),
        },
        follow=True,
    )
    assert "申请已提交" in response.content.decode()
    req = RecognitionRequest.objects.get()
    # In the bucket, under the private prefix; nothing on this node's disk.
    key = f"private/{req.evidence.name}"
    assert objects(object_store, s3_storages, "private/") == [key]
    assert read_object(object_store, s3_storages, key) == PDF
    assert local_files(settings.PRIVATE_MEDIA_ROOT) == before
    # Her HR, on any node, opens it through the view that checks scope.
    client.force_login(hr_a1)
    evidence = client.get(reverse("recognition_evidence", args=[req.pk]))
    assert b"".join(evidence.streaming_content) == PDF


@pytest.fixture
def task_arguments():
    """Every task run during the test, with its arguments."""
    seen = []

    def record(sender=None, args=None, kwargs=None, **extra):
        seen.append((sender.name, list(args or ()), dict(kwargs or {})))

    task_prerun.connect(record, weak=False)
    yield seen
    task_prerun.disconnect(record)


def looks_like_a_local_path(value) -> bool:
    if isinstance(value, (list, tuple)):
        return any(looks_like_a_local_path(v) for v in value)
    if isinstance(value, dict):
        return any(looks_like_a_local_path(v) for v in value.values())
    return isinstance(value, str) and (
        value.startswith(("/", "~", "file:")) or os.sep in value or Path(value).exists()
    )


@pytest.mark.django_db(transaction=True)
def test_an_export_built_by_a_worker_is_downloaded_on_any_node(
    client, district_tree, hr_a1, rules, s3_storages, object_store, task_arguments
):
    from tests.credits.test_hr import hours

    for teacher in district_tree["teachers"]["SA1"]:
        hours(teacher, 12)
    client.force_login(hr_a1)
    client.post(reverse("export_start"), {"scope": district_tree["school_a1"].pk})
    job = ExportJob.objects.get()
    assert job.status == "done"
    # The worker was handed the job's id, never a path on its own disk ...
    exports = [t for t in task_arguments if "export" in t[0]]
    assert exports and not any(
        looks_like_a_local_path(a) or looks_like_a_local_path(k)
        for _name, a, k in exports
    )
    # ... and left the ZIP in the object store, where another node finds it.
    (key,) = objects(object_store, s3_storages, "private/exports/")
    archive = zipfile.ZipFile(io.BytesIO(read_object(object_store, s3_storages, key)))
    assert len([n for n in archive.namelist() if n.endswith(".pdf")]) == 2
    body = b"".join(
        client.get(reverse("export_download", args=[job.pk])).streaming_content
    )
    assert body == read_object(object_store, s3_storages, key)


@pytest.mark.django_db(transaction=True)
def test_a_roster_checked_by_a_worker_is_handed_over_by_id(
    client, district_tree, hr_dist_a, settings, task_arguments
):
    """A roster too large to check in the request waits in the database (the
    one thing every node shares) and the worker is given its id."""
    from cms.accounts.models import TeacherImport

    settings.TABLE_BACKGROUND_ROWS = 5
    lines = "".join(f"教师{i},SN{i:04d},东湖实验小学\n" for i in range(12))
    client.force_login(hr_dist_a)
    client.post(
        reverse("teacher_import_upload"),
        {"file": SimpleUploadedFile("big.csv", ("姓名,工号,学校\n" + lines).encode())},
    )
    imp = TeacherImport.objects.get()
    assert imp.status == TeacherImport.Status.PREVIEW and imp.total_rows == 12
    parses = [t for t in task_arguments if "import" in t[0]]
    assert parses and all(a == [imp.pk] for _name, a, _k in parses)


@pytest.mark.django_db(transaction=True)
def test_ledger_checkpoints_go_to_the_object_store(
    district_tree, rules, s3_storages, object_store, capsys
):
    from credits.checkpoints import checkpoint_write
    from tests.credits.test_hr import hours

    teacher = district_tree["teachers"]["SA1"][0]
    for n in (1, 2, 3):
        hours(teacher, n)
    call_command("ledger_checkpoint")
    assert checkpoint_write() is None  # the head has not moved: nothing new
    (key,) = objects(object_store, s3_storages, "ledger-checkpoints/")
    assert key.startswith("ledger-checkpoints/ledger-checkpoint-")
    body = json.loads(read_object(object_store, s3_storages, key))
    assert body["seq"] >= 3 and body["signature"]
    call_command("ledger_verify")
    out = capsys.readouterr().out
    assert "1 signed checkpoints in s3://" in out


@pytest.mark.django_db
def test_a_wagtail_document_in_the_object_store_is_streamed_through_the_site(
    client, s3_storages, object_store
):
    """Public media lives in the bucket too; a document is served through
    Wagtail's view (which checks collection privacy on every download), not by
    a redirect to the object's lasting URL."""
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document
    from wagtail.models import Collection

    if Collection.get_first_root_node() is None:  # after a flushing test
        Collection.add_root(name="Root")
    document = Document(title="研修通知")
    document.file.save("notice.pdf", ContentFile(PDF), save=False)
    document.save()
    (key,) = objects(object_store, s3_storages, "media/documents/")
    assert read_object(object_store, s3_storages, key) == PDF
    response = client.get(document.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
