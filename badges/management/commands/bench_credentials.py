"""Credential figures for `make bench`; prints one JSON line per measurement.

1. Signing and verifying on one core, ours against the reference JavaScript
   implementation (tests/interop/bench.mjs, pinned to the same core), on the
   same credentials (each with its own `created` time) in the same run; the
   verify ratio both for the signature alone and for all checks.
2. Issuing 10,000 credentials through Celery, end to end: tasks queued to real
   worker processes (one per CPU, not pinned) until every credential is stored.

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


# The CPUs this command may use when it starts, before it pins itself: the
# Celery worker of the bulk run gets all of them back.
try:
    ALL_CPUS = os.sched_getaffinity(0)
except AttributeError:  # not Linux
    ALL_CPUS = None


def pin_to_one_core() -> int | None:
    """Pin this process to its lowest CPU; return that CPU."""
    try:
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return core
    except (AttributeError, OSError):
        return None


class Clock:
    """Wall time and this process's CPU time since it was made."""

    def __init__(self):
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def rates(self, count: int) -> tuple[float, float]:
        """`count` per wall second and per CPU second."""
        wall = time.perf_counter() - self.wall
        cpu = time.process_time() - self.cpu
        return count / wall, count / cpu


def unpin():
    if ALL_CPUS:
        os.sched_setaffinity(0, ALL_CPUS)


class Command(BaseCommand):
    help = "Benchmark credential signing, verification and bulk issuing (bench only)."

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=2000)
        parser.add_argument("--bulk", type=int, default=10000)
        parser.add_argument("--skip-bulk", action="store_true")

    def emit(self, job: str, seconds: float | None, **extra):
        """One JSON line; `seconds` None for a row of rates (in its note)."""
        seconds = None if seconds is None else round(seconds, 3)
        self.stdout.write(
            json.dumps({"job": job, "seconds": seconds, **extra}, ensure_ascii=False)
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
        """Both sides on the same core, one after the other in this run, on
        the same credentials: `rounds` of them, each with its own `created`
        time as real credentials have. Signing is the same work on both sides.
        Verifying is measured twice: the signature alone (same work on both
        sides) and all the checks each side has (ours: format, JSON schema,
        issuer key, signature, revocation status read from the database,
        dates; the JS stack: structure and dates, signature, revocation bit
        from the bundled list; it has no JSON-schema validator)."""
        import datetime

        from django.db import transaction

        from badges import compose, keys, proofs, statuslist
        from badges.verify import verify_credential
        from credits.selectors import ledger_records

        records = list(
            ledger_records()
            .filter(reverses__isnull=True, hours__gt=0)
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
        public = secret.public_key()
        vm = keys.verification_method_id(key)
        base = datetime.datetime(2026, 11, 24, tzinfo=datetime.UTC)
        created = [
            (base + datetime.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            for i in range(rounds)
        ]

        core = pin_to_one_core()
        # Warm up (schema compiled, contexts loaded, key resolved) off the clock,
        # as bench.mjs does on the JS side.
        for document in unsigned[:3]:
            warm = proofs.sign(document, secret, vm, created[0])
            verify_credential(warm)
        # Each loop is timed twice: by the clock (rate per wall second) and
        # by this process's CPU time (rate per CPU second, what the loop cost
        # whatever else the shared core was running meanwhile).
        clock = Clock()
        signed = [
            proofs.sign(unsigned[i % len(unsigned)], secret, vm, created[i])
            for i in range(rounds)
        ]
        sign_rate, sign_cpu_rate = clock.rates(rounds)
        clock = Clock()
        ok_signature = sum(
            proofs.verify(proofs.split_proof(signed[i]), public) for i in range(rounds)
        )
        signature_rate, signature_cpu_rate = clock.rates(rounds)
        clock = Clock()
        ok_all = sum(verify_credential(signed[i]).ok for i in range(rounds))
        all_rate, all_cpu_rate = clock.rates(rounds)
        if ok_signature != rounds or ok_all != rounds:
            raise RuntimeError(
                f"of {rounds} of our credentials, {ok_signature} passed the "
                f"signature check and {ok_all} all checks"
            )

        python = (
            f"Python on CPU {core}, per wall second (per CPU second): sign "
            f"{sign_rate:.0f}/s ({sign_cpu_rate:.0f}); verify, signature only "
            f"{signature_rate:.0f}/s ({signature_cpu_rate:.0f}); verify, all six "
            f"checks {all_rate:.0f}/s ({all_cpu_rate:.0f})"
        )
        extra = {
            "rounds": rounds,
            "cpu": core,
            "distinct_created_times": True,
            "sign_per_second": round(sign_rate, 1),
            "verify_signature_per_second": round(signature_rate, 1),
            "verify_all_per_second": round(all_rate, 1),
            "sign_per_cpu_second": round(sign_cpu_rate, 1),
            "verify_signature_per_cpu_second": round(signature_cpu_rate, 1),
            "verify_all_per_cpu_second": round(all_cpu_rate, 1),
        }
        js = self.js_speed(rounds, unsigned, signed, key, vm, did, created, core)
        if not js:
            self.emit(
                f"credentials signed and verified, {rounds} each (Python only)",
                None,
                note=python + "; JS reference not installed, no ratio",
                **extra,
            )
            return
        for what in ("sign", "verify_signature", "verify_all"):
            for per in ("per_second", "per_cpu_second"):
                ours, theirs = extra[f"{what}_{per}"], js[f"{what}_{per}"]
                extra[f"js_{what}_{per}"] = round(theirs, 1)
                extra[f"{what}_ratio" + ("_cpu" if "cpu" in per else "")] = round(
                    ours / theirs, 2
                )
        self.emit(
            f"credentials signed and verified, {rounds} each, Python and JS",
            None,
            note=(
                python + f"; JS reference on CPU {core}: sign "
                f"{js['sign_per_second']:.0f}/s ({js['sign_per_cpu_second']:.0f}); "
                "verify, signature only "
                f"{js['verify_signature_per_second']:.0f}/s "
                f"({js['verify_signature_per_cpu_second']:.0f}); verify, all its "
                f"checks (no JSON schema) {js['verify_all_per_second']:.0f}/s "
                f"({js['verify_all_per_cpu_second']:.0f})"
            ),
            **extra,
        )
        self.emit(
            "credential ratio Python/JS, same work",
            None,
            note=(
                f"by CPU time: sign {extra['sign_ratio_cpu']}x, verify signature "
                f"only {extra['verify_signature_ratio_cpu']}x; by wall clock: sign "
                f"{extra['sign_ratio']}x, verify signature only "
                f"{extra['verify_signature_ratio']}x (target >= 2x; same core, "
                "same run, distinct created times)"
            ),
        )
        self.emit(
            "credential ratio Python/JS, all checks",
            None,
            note=(
                f"verify by CPU time {extra['verify_all_ratio_cpu']}x, by wall clock "
                f"{extra['verify_all_ratio']}x: ours with its six checks (JSON "
                "schema and the status read from the database included; "
                "PostgreSQL's own CPU not counted) against the JS stack's checks "
                "(no JSON schema)"
            ),
        )

    def js_speed(self, rounds, unsigned, signed, key, vm, did, created, core):
        from badges import jsonld, keys, statuslist
        from badges.models import StatusList
        from badges.multikey import private_key_to_multibase

        node = shutil.which("node")
        if node is None or not (INTEROP / "node_modules").exists():
            self.stderr.write("JS reference not installed (make test-deps); skipped")
            return None
        documents = {url: jsonld.context_document(url) for url in jsonld.PINNED}
        documents[did] = keys.did_document(key.issuer)
        status_lists = {
            statuslist.list_url(s): statuslist.encode_list(bytes(s.revoked))
            for s in StatusList.objects.filter(issuer=key.issuer).select_related(
                "issuer"
            )
        }
        bundle = {
            "documents": documents,
            "statusLists": status_lists,
            "rounds": rounds,
            "verificationMethod": vm,
            "controller": did,
            "publicKeyMultibase": key.public_key_multibase,
            "secretKeyMultibase": private_key_to_multibase(keys.private_key(key)),
            "unsigned": unsigned,
            "signed": signed,
            "created": created,
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(bundle, fh, ensure_ascii=False)
            path = fh.name
        try:
            cmd = [node, str(INTEROP / "bench.mjs"), path]
            if shutil.which("taskset"):
                cmd = ["taskset", "-c", str(core), *cmd]
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=1800, check=True
            )
        finally:
            os.unlink(path)
        result = json.loads(done.stdout)
        if result["verified_signature"] != rounds or result["verified_all"] != rounds:
            raise RuntimeError(
                f"the JS verifier accepted {result['verified_signature']} (signature)"
                f" and {result['verified_all']} (all checks) of our {rounds}"
            )
        from badges import proofs

        # Both sides produce the same signature for the same document and time.
        ours = [proofs.proof_of(document)["proofValue"] for document in signed]
        if result["proof_values"] != ours:
            raise RuntimeError("the JS reference signed differently from us")
        return result

    # -- 2. 10,000 through Celery ---------------------------------------------

    def bulk(self, count):
        from django.db import connection

        from badges.models import IssuedCredential, StatusList
        from badges.tasks import credentials_issue_task
        from cms.celery import app
        from credits.selectors import ledger_records

        ids = list(
            ledger_records()
            .filter(credential__isnull=True, reverses__isnull=True, hours__gt=0)
            .order_by("-seq")
            .values_list("pk", flat=True)[:count]
        )
        if len(ids) < count:
            self.emit(
                f"{count} credentials through Celery: not run",
                0,
                note=f"only {len(ids)} ledger records without a credential",
                failed=True,
            )
            return
        queue = f"bench-{os.getpid()}"
        processes = os.cpu_count() or 2
        log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
        # This process pinned itself to one core for part 1; the worker gets
        # every CPU back (preexec_fn runs in the child before celery starts).
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
                str(processes),
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
            preexec_fn=unpin,
        )
        try:
            time.sleep(6)  # let the worker processes start before the clock does
            try:
                cpus = sorted(os.sched_getaffinity(worker.pid))
            except (AttributeError, OSError):
                cpus = None
            app.conf.task_always_eager = False
            started = time.perf_counter()
            batch = 100
            for start in range(0, len(ids), batch):
                credentials_issue_task.apply_async(
                    args=[ids[start : start + batch]], queue=queue
                )
            done = 0
            limit = 600
            deadline = time.monotonic() + limit
            # One array parameter, not 10,000 in an IN list: that query cost
            # the polling process ~0.1 s of CPU each time, a core of the two
            # the worker was being timed on.
            table = IssuedCredential._meta.db_table
            with connection.cursor() as cursor:
                while time.monotonic() < deadline:
                    cursor.execute(
                        f"SELECT count(*) FROM {table} WHERE record_id = ANY(%s)",  # noqa: S608
                        [ids],
                    )
                    done = cursor.fetchone()[0]
                    if done >= len(ids):
                        break
                    time.sleep(0.2)
            seconds = time.perf_counter() - started
            where = (
                f"{processes} worker processes, unpinned (CPUs {cpus})"
                if cpus
                else f"{processes} worker processes"
            )
            if done >= len(ids):
                self.emit(
                    f"{done} credentials issued through Celery",
                    seconds,
                    note=f"{done} stored, {done / seconds:.0f}/s; {where}; target < 60 s",
                    stored=done,
                    worker_cpus=cpus,
                )
            else:
                self.emit(
                    f"credentials through Celery: {done} of {len(ids)} stored "
                    f"when the {limit} s limit ran out",
                    seconds,
                    note=f"{where}; target < 60 s for all of them",
                    stored=done,
                    worker_cpus=cpus,
                    failed=True,
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
