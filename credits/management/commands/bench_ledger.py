"""How many ledger appends per second the one ledger head lets through.

Every append locks the head row (credits/services.py) from its first read to
its commit, so appends are serialised however many web nodes and workers make
them: the head is the ceiling of the whole platform's credit writes. This
command measures it: P processes (each its own database connection, as P
workers would be) append through `credit_record_append`, for distinct teachers,
as fast as they can; the rate stops growing once the head is the bottleneck.
Printed per P: appends, seconds, appends/s, the mean latency of one append,
how long each held the head (median, p95), the Python CPU it spent meanwhile,
the statements it sent meanwhile,
and the ceiling that hold time sets (1 / mean hold).

It really appends (the ledger is append-only; records stay, chained and
valid), so it runs only on a database whose name contains "bench". The
credential hand-off after each append is switched off for the run (it happens
after commit, outside the lock, on its own Celery queue)."""

from __future__ import annotations

import datetime
import json
import multiprocessing
import os
import time
import uuid
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections


def _append_many(args) -> tuple:
    """In a child process: append `count` records for these teachers; (done,
    first start and last end on the monotonic clock, seconds the head was held
    by each append, statements sent while holding it)."""
    teacher_ids, count, run, worker = args
    import django

    django.setup()
    from cms.accounts.models import TeacherProfile
    from credits.models import CreditRecord
    from credits.services import credit_record_append
    from credits.signals import credit_recorded

    # The credential and webhook hand-offs (after commit, outside the lock).
    credit_recorded.disconnect(
        sender=CreditRecord, dispatch_uid="badges_issue_on_record"
    )
    credit_recorded.disconnect(dispatch_uid="api_webhook_credit")
    # Instrumentation for this run only: how long each append holds the head
    # (from the locking SELECT to the commit) and how many statements it sends
    # meanwhile.
    from django.db import connection as db
    from django.db import transaction

    from credits import services

    holds: list[float] = []
    cpu_held: list[float] = []  # this process's CPU while holding it
    statements = {"n": 0, "counting": False}
    locked_head = services._locked_head

    def timed_locked_head():
        head = locked_head()
        started, cpu = time.monotonic(), time.process_time()
        statements["counting"] = True
        statements["n"] += 1  # the SELECT ... FOR UPDATE itself

        def released():
            holds.append(time.monotonic() - started)
            cpu_held.append(time.process_time() - cpu)
            statements["counting"] = False

        transaction.on_commit(released)
        return head

    def counted(execute, sql, params, many, context):
        if statements["counting"]:
            statements["n"] += 1
        return execute(sql, params, many, context)

    services._locked_head = timed_locked_head
    db.execute_wrappers.append(counted)
    teachers = list(
        TeacherProfile.objects.filter(pk__in=teacher_ids).select_related("school")
    )
    today = datetime.date.today()
    started = time.monotonic()
    for n in range(count):
        teacher = teachers[n % len(teachers)]
        credit_record_append(
            teacher=teacher,
            kind="online_course",
            category="信息技术应用",
            source_type="bench.ledger",
            source_id=str(n),
            source_title="账本追加基准",
            hours=Decimal("1"),
            earned_on=today,
            idempotency_key=f"bench-ledger:{run}:{worker}:{n}",
        )
    ended = time.monotonic()
    connection.close()
    # +1 each: the COMMIT, which Django sends outside execute wrappers.
    return count, started, ended, holds, statements["n"] + len(holds), cpu_held


class Command(BaseCommand):
    help = "Measure ledger appends per second with 1..N concurrent writers."

    def add_arguments(self, parser):
        parser.add_argument("--processes", default="1,2,4,8")
        parser.add_argument("--appends", type=int, default=300, help="per process")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, processes, appends, as_json=False, **options):
        name = connection.settings_dict["NAME"] or ""
        if connection.vendor != "postgresql" or "bench" not in name:
            raise CommandError(
                "bench_ledger appends real records: run it on a PostgreSQL "
                f"database whose name contains 'bench' (this is {name!r})."
            )
        from cms.accounts.models import TeacherProfile

        teacher_ids = list(
            TeacherProfile.objects.order_by("id").values_list("id", flat=True)[:800]
        )
        if len(teacher_ids) < 8:
            raise CommandError("seed some teachers first (manage.py seed_scale)")
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            sync = cursor.fetchone()[0]
            cursor.execute("SHOW fsync")
            fsync = cursor.fetchone()[0]
        connections.close_all()
        run = uuid.uuid4().hex[:8]
        results = []
        context = multiprocessing.get_context("spawn")
        for p in [int(x) for x in processes.split(",") if x.strip()]:
            share = [teacher_ids[i::p] for i in range(p)]
            with context.Pool(p) as pool:
                done = pool.map(
                    _append_many,
                    [(share[i], appends, f"{run}-{p}", i) for i in range(p)],
                )
            total = sum(d[0] for d in done)
            # From the first writer's first append to the last one's last.
            span = max(d[2] for d in done) - min(d[1] for d in done)
            rate = total / span
            holds = sorted(h for d in done for h in d[3])
            held_statements = sum(d[4] for d in done) / total
            cpu_held = sorted(c for d in done for c in d[5])
            results.append(
                {
                    "processes": p,
                    "appends": total,
                    "seconds": round(span, 2),
                    "appends_per_second": round(rate, 1),
                    "mean_latency_ms": round(1000 * span * p / total, 2),
                    "head_held_ms_median": round(1000 * holds[len(holds) // 2], 2),
                    "head_held_ms_p95": round(1000 * holds[int(len(holds) * 0.95)], 2),
                    "statements_under_lock": round(held_statements, 1),
                    "app_cpu_held_ms_median": round(
                        1000 * cpu_held[len(cpu_held) // 2], 2
                    ),
                    # If appends did nothing but wait for the head: its ceiling.
                    "head_ceiling_per_second": round(1 / (sum(holds) / len(holds)), 1),
                }
            )
        summary = {
            "cpus": os.cpu_count(),
            "synchronous_commit": sync,
            "fsync": fsync,
            "results": results,
        }
        if as_json:
            self.stdout.write(json.dumps(summary, indent=2))
            return
        self.stdout.write(
            f"ledger appends ({os.cpu_count()} CPUs, synchronous_commit={sync}, "
            f"fsync={fsync})"
        )
        self.stdout.write(
            f"{'writers':>8} {'appends':>8} {'s':>7} {'per s':>8} {'ms each':>8} "
            f"{'held ms':>8} {'held p95':>8} {'cpu ms':>7} {'stmts':>6} "
            f"{'ceiling/s':>10}"
        )
        for r in results:
            self.stdout.write(
                f"{r['processes']:>8} {r['appends']:>8} {r['seconds']:>7} "
                f"{r['appends_per_second']:>8} {r['mean_latency_ms']:>8} "
                f"{r['head_held_ms_median']:>8} {r['head_held_ms_p95']:>8} "
                f"{r['app_cpu_held_ms_median']:>7} {r['statements_under_lock']:>6} "
                f"{r['head_ceiling_per_second']:>10}"
            )
