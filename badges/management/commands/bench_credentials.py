"""Credential figures for `make bench`; prints one JSON line per measurement.

1. Signing and verifying on one core, ours against the reference JavaScript
   implementation (tests/interop), on the same credentials in the same run.
2. Issuing 10,000 credentials through Celery, end to end: tasks queued to real
   worker processes until every credential is stored.

Runs on the bench database only: it removes the credentials it issues."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

ROOT = Path(settings.BASE_DIR)
INTEROP = ROOT / "tests" / "interop"


def pin_to_one_core():
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    except (AttributeError, OSError):
        pass


class Command(BaseCommand):
    help = "Benchmark credential signing, verification and bulk issuing (bench only)."

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=2000)
        parser.add_argument("--bulk", type=int, default=10000)
        parser.add_argument("--skip-bulk", action="store_true")

    def emit(self, job: str, seconds: float, **extra):
        self.stdout.write(
            json.dumps(
                {"job": job, "seconds": round(seconds, 3), **extra}, ensure_ascii=False
            )
        )
        self.stdout.flush()

    def handle(self, *args, rounds, bulk, skip_bulk, **options):
        from badges import keys

        issuer = keys.platform_issuer()
        try:
            key = keys.active_key(issuer)
            keys.private_key(key)
        except keys.SigningKeyMissing:
            key, _secret, _path = keys.key_generate(issuer)
        self.speed(rounds, issuer, key)
        if not skip_bulk:
            self.bulk(bulk)

    # -- 1. one core, ours vs the JS reference --------------------------------

    def speed(self, rounds, issuer, key):
        from django.db import transaction

        from badges import compose, keys, proofs, statuslist
        from badges.verify import verify_credential
        from credits.models import CreditRecord

        records = list(
            CreditRecord.objects.filter(reverses__isnull=True, hours__gt=0)
            .select_related("teacher__user")
            .order_by("seq")[:200]
        )
        if not records:
            return
        did = keys.issuer_did(issuer)
        # Real slots in the issuer's status list, as issuing allocates them,
        # so the revocation check reads an existing list.
        with transaction.atomic():
            slots = statuslist.allocate(issuer, len(records))
        unsigned = []
        for n, (record, (status_list, index)) in enumerate(
            zip(records, slots, strict=True)
        ):
            document, _slug = compose.badge_credential(
                uid=f"00000000-0000-4000-8000-{n:012d}",
                record=record,
                issuer_id=did,
                issuer_name=issuer.name,
                status=statuslist.status_entry(status_list, index),
            )
            unsigned.append(document)
        secret = keys.private_key(key)
        vm = keys.verification_method_id(key)
        created = "2026-11-24T00:00:00Z"

        pin_to_one_core()
        started = time.perf_counter()
        signed = [
            proofs.sign(unsigned[i % len(unsigned)], secret, vm, created)
            for i in range(rounds)
        ]
        sign_rate = rounds / (time.perf_counter() - started)
        started = time.perf_counter()
        ok = sum(verify_credential(signed[i]).ok for i in range(rounds))
        verify_rate = rounds / (time.perf_counter() - started)
        if ok != rounds:
            raise RuntimeError(f"only {ok} of {rounds} of our credentials verified")

        js = self.js_speed(
            rounds, unsigned, signed[: len(unsigned)], key, vm, did, created
        )
        note = f"Python, one core: sign {sign_rate:.0f}/s, verify {verify_rate:.0f}/s (all six checks)"
        extra = {
            "sign_per_second": round(sign_rate, 1),
            "verify_per_second": round(verify_rate, 1),
        }
        if js:
            extra.update(
                js_sign_per_second=round(js["sign_per_second"], 1),
                js_verify_per_second=round(js["verify_per_second"], 1),
                sign_ratio=round(sign_rate / js["sign_per_second"], 2),
                verify_ratio=round(verify_rate / js["verify_per_second"], 2),
            )
            note += (
                f"; JS reference: sign {js['sign_per_second']:.0f}/s, verify "
                f"{js['verify_per_second']:.0f}/s; ratio sign {extra['sign_ratio']}x, "
                f"verify {extra['verify_ratio']}x (target >= 2x)"
            )
        self.emit(
            f"credentials signed and verified, {rounds} each", 0, note=note, **extra
        )

    def js_speed(self, rounds, unsigned, signed, key, vm, did, created):
        from badges import jsonld, keys
        from badges.multikey import private_key_to_multibase

        node = shutil.which("node")
        if node is None or not (INTEROP / "node_modules").exists():
            self.stderr.write("JS reference not installed (make test-deps); skipped")
            return None
        documents = {url: jsonld.context_document(url) for url in jsonld.PINNED}
        documents[did] = keys.did_document(key.issuer)
        bundle = {
            "documents": documents,
            "bench": {
                "rounds": rounds,
                "verificationMethod": vm,
                "controller": did,
                "publicKeyMultibase": key.public_key_multibase,
                "secretKeyMultibase": private_key_to_multibase(keys.private_key(key)),
                "unsigned": unsigned,
                "signed": signed,
                "created": created,
            },
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(bundle, fh, ensure_ascii=False)
            path = fh.name
        try:
            cmd = [node, str(INTEROP / "verify.mjs"), path]
            if shutil.which("taskset"):
                cmd = ["taskset", "-c", "0", *cmd]
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=1800, check=True
            )
        finally:
            os.unlink(path)
        result = json.loads(done.stdout)["bench"]
        if result["verified"] != rounds:
            raise RuntimeError(
                f"the JS verifier accepted only {result['verified']} of ours"
            )
        # Both sides produce the same signature for the same document and time.
        from badges import proofs

        ours = proofs.sign(unsigned[0], keys.private_key(key), vm, created)
        if (
            proofs.proof_of(result["first_signed"])["proofValue"]
            != proofs.proof_of(ours)["proofValue"]
        ):
            raise RuntimeError("the JS reference signed differently from us")
        return result

    # -- 2. 10,000 through Celery ---------------------------------------------

    def bulk(self, count):
        from django.db import connection

        from badges.models import IssuedCredential, StatusList
        from badges.tasks import credentials_issue_task
        from cms.celery import app
        from credits.models import CreditRecord

        ids = list(
            CreditRecord.objects.filter(
                credential__isnull=True, reverses__isnull=True, hours__gt=0
            )
            .order_by("-seq")
            .values_list("pk", flat=True)[:count]
        )
        if len(ids) < count:
            return
        queue = f"bench-{os.getpid()}"
        log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cms",
                "worker",
                "-Q",
                queue,
                "--concurrency",
                str(os.cpu_count() or 2),
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            time.sleep(6)  # let the worker processes start before the clock does
            app.conf.task_always_eager = False
            started = time.perf_counter()
            batch = 100
            for start in range(0, len(ids), batch):
                credentials_issue_task.apply_async(
                    args=[ids[start : start + batch]], queue=queue
                )
            done = 0
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                done = IssuedCredential.objects.filter(record_id__in=ids).count()
                if done >= len(ids):
                    break
                time.sleep(0.2)
            seconds = time.perf_counter() - started
            self.emit(
                f"{len(ids)} credentials issued through Celery",
                seconds,
                note=(
                    f"{done} stored, {done / seconds:.0f}/s with {os.cpu_count()} worker "
                    "processes; target < 60 s"
                ),
            )
        finally:
            os.killpg(worker.pid, 15)
            worker.wait(timeout=30)
            log.close()
            os.unlink(log.name)
            # Leave the bench database as it was.
            IssuedCredential.objects.filter(record_id__in=ids).delete()
            if not IssuedCredential.objects.exists():
                StatusList.objects.all().delete()
            connection.close()
