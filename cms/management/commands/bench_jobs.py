"""Time background work for `make bench`; prints one JSON line per job.

Uses the seed_scale data and removes what it adds, so runs are repeatable."""

import io
import json
import multiprocessing
import os
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import override_settings

from cms.accounts import services as account_services
from cms.accounts.models import Organisation, TeacherProfile, User
from training import services as training_services
from training.models import AssessmentAttempt
from training.selectors import current_instrument


def restore_latest_results(teacher_ids: list[int]) -> None:
    """After removing the bench's own results, mark each teacher's newest
    remaining result as her latest again."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE training_assessmentresult SET is_latest = true WHERE id IN ("
            " SELECT DISTINCT ON (teacher_id) id FROM training_assessmentresult"
            " WHERE teacher_id = ANY(%s) ORDER BY teacher_id, submitted_at DESC)",
            [teacher_ids],
        )
    # Raw SQL: no signal, no manager (what counts results is out of date).
    training_services.results_changed()


def cpu_seconds() -> float:
    """CPU seconds (user and system) of this process and of its children that
    have ended: a figure that holds on a busy machine where wall time does not
    (PostgreSQL's own CPU not included)."""
    import resource

    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def _submit_all(attempt_ids: list[int]) -> None:
    for attempt in AssessmentAttempt.objects.filter(pk__in=attempt_ids):
        training_services.attempt_submit(attempt=attempt)


class Command(BaseCommand):
    help = "Time the background jobs at district scale (bench only)."

    def add_arguments(self, parser):
        parser.add_argument("--import-rows", type=int, default=5000)
        parser.add_argument("--assessments", type=int, default=10000)

    def emit(self, job: str, seconds: float, **extra):
        self.stdout.write(
            json.dumps(
                {"job": job, "seconds": round(seconds, 3), **extra}, ensure_ascii=False
            )
        )

    def handle(self, *args, import_rows, assessments, **options):
        self.teacher_import(import_rows)
        self.scoring(assessments)
        self.ledger()
        self.portraits()

    def portraits(self):
        from credits.models import CreditRecord
        from portfolios.compute import portraits_recompute
        from training.models import AssessmentResult

        started = time.perf_counter()
        count = portraits_recompute()
        self.emit(
            f"portraits recomputed, {count} teachers",
            time.perf_counter() - started,
            note=(
                f"{CreditRecord.objects.count()} ledger records, "
                f"{AssessmentResult.objects.count()} assessments; target < 120 s"
            ),
        )

    def ledger(self):
        from django.core.management import call_command

        from credits.models import CreditRecord, ExportJob
        from credits.selectors import cycle_progress
        from credits.services import export_build, transcript_issue
        from credits.transcripts import transcript_pdf_render

        count = CreditRecord.objects.count()
        if not count:
            return
        started, cpu = time.perf_counter(), cpu_seconds()
        call_command("ledger_verify", stdout=io.StringIO())
        self.emit(
            f"ledger_verify over {count} records",
            time.perf_counter() - started,
            note=f"CPU {cpu_seconds() - cpu:.1f} s in Python; target < 30 s for 1,000,000",
        )

        teacher = TeacherProfile.objects.filter(staff_number__startswith="S").first()
        transcript, progress = transcript_issue(teacher=teacher)
        progress["records"] = list(CreditRecord.objects.order_by("seq")[:300])
        transcript_pdf_render(
            transcript=transcript, progress=progress
        )  # loads the font once
        started, cpu = time.perf_counter(), cpu_seconds()
        pdf = transcript_pdf_render(transcript=transcript, progress=progress)
        self.emit(
            "transcript PDF with 300 records",
            time.perf_counter() - started,
            note=f"{len(pdf) // 1024} KiB, CPU {cpu_seconds() - cpu:.2f} s; target < 0.3 s",
        )

        started = time.perf_counter()
        cycle_progress(teacher=teacher)
        self.emit("cycle progress for one teacher", time.perf_counter() - started)

        hr = User.objects.get(username="scale-hr-d01")
        scope = Organisation.objects.get(code="SCALE-D01")
        job = ExportJob.objects.create(created_by=hr, scope=scope)
        started, cpu = time.perf_counter(), cpu_seconds()
        export_build(job_id=job.pk)
        job.refresh_from_db()
        elapsed = time.perf_counter() - started
        self.emit(
            f"HR bulk ZIP export, {job.total} teachers",
            elapsed,
            note=f"{job.file.size // 1024} KiB, CPU {cpu_seconds() - cpu:.1f} s in "
            "Python; target < 60 s per 1,000 teachers",
            scaled=f"{1000 * elapsed / max(1, job.total):.1f} s per 1,000 teachers "
            f"(the {job.total} measured, divided)",
        )
        job.file.delete(save=False)

    def teacher_import(self, rows: int):
        hr = User.objects.get(username="scale-hr-city")
        schools = list(
            Organisation.objects.filter(code__startswith="SCALE-S").values_list(
                "name", flat=True
            )[:50]
        )
        out = io.StringIO()
        out.write("姓名,工号,学校,邮箱,任教学科,任教学段,职称\n")
        for n in range(rows):
            out.write(
                f"导入教师{n},BJ{n:06d},{schools[n % len(schools)]},"
                f"bj{n}@bench.example.com,数学,初中,一级教师\n"
            )
        data = out.getvalue().encode()
        try:
            for label in ("first import", "re-import (no changes)"):
                started = time.perf_counter()
                imp = account_services.teacher_import_create(
                    user=hr, name="bench.csv", data=data
                )
                if imp.status == imp.Status.PARSING:
                    # A file this large is read and checked by a worker: the
                    # same service, run here as the worker would run it.
                    imp = account_services.teacher_import_parse(import_id=imp.pk)
                checked = time.perf_counter() - started
                if imp.status != imp.Status.PREVIEW:
                    raise CommandError(
                        f"teacher import: the check ended {imp.status}, not in a "
                        f"preview: {imp.errors[:3]}"
                    )
                imp.status = imp.Status.QUEUED
                imp.save(update_fields=["status"])
                imp = account_services.teacher_import_apply(import_id=imp.pk)
                expected = (
                    imp.created_count
                    if label == "first import"
                    else imp.unchanged_count
                )
                if expected != rows:
                    raise CommandError(
                        f"teacher import, {label}: {imp.status}, created "
                        f"{imp.created_count}, unchanged {imp.unchanged_count} "
                        f"of {rows} rows"
                    )
                self.emit(
                    f"teacher import {rows} rows, {label}",
                    time.perf_counter() - started,
                    note=f"check {checked:.2f} s; created {imp.created_count}, "
                    f"unchanged {imp.unchanged_count}; target < 60 s",
                )
        finally:
            User.objects.filter(username__startswith="tBJ").delete()

    def scoring(self, count: int):
        """Teachers start and answer (serially), then submit. Submissions
        arrive from many teachers at once and are scored by as many web
        processes as the machine has cores, so the 10,000 are submitted from
        one process per CPU, each through the same service a request uses;
        a first sample is also timed alone, for the latency of one submit."""
        if current_instrument() is None:
            return
        teachers = list(
            TeacherProfile.objects.filter(staff_number__startswith="S").order_by("-id")[
                :count
            ]
        )
        item_ids = None
        attempt_ids = []
        started = time.perf_counter()
        for teacher in teachers:
            with override_settings(ASSESSMENT_RETAKE_DAYS=0):  # let her retake now
                attempt = training_services.attempt_start(teacher=teacher)
            if item_ids is None:
                item_ids = list(attempt.instrument.items.values_list("id", flat=True))
            training_services.answers_save(
                attempt=attempt, answers={i: 1 + (i % 5) for i in item_ids}
            )
            attempt_ids.append(attempt.pk)
        answering = time.perf_counter() - started
        # A third of a million answers just written: a live database's
        # autoanalyze would have noticed (this machine's PostgreSQL may run
        # without it). With the statistics of the near-empty table the bench
        # leaves behind, the planner reads her 33 answers with a scan of all
        # of them (a submit took 16-22 ms instead of about 2).
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "ANALYZE training_assessmentanswer, training_assessmentattempt"
                )
        sample = attempt_ids[: min(500, len(attempt_ids) // 10)]
        before = time.perf_counter()
        _submit_all(sample)
        one = (time.perf_counter() - before) / max(1, len(sample))
        rest = attempt_ids[len(sample) :]
        processes = os.cpu_count() or 1
        from django.db import connections

        connections.close_all()  # each process opens its own
        before, cpu = time.perf_counter(), cpu_seconds()
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            pool.map(_submit_all, [rest[i::processes] for i in range(processes)])
        submitting = time.perf_counter() - before
        pool.join()  # the workers' CPU is counted once they have ended
        submit_cpu = cpu_seconds() - cpu
        per_10000 = 10000 * submitting / max(1, len(rest))
        self.emit(
            f"score and store {len(rest)} submitted assessments",
            submitting,
            note=f"{len(rest) / submitting:.0f}/s from {processes} processes "
            f"(their CPU {submit_cpu:.1f} s in Python); "
            f"one submit alone {one * 1000:.1f} ms (mean of {len(sample)}, "
            "one process); target < 30 s for 10,000",
            scaled=f"10,000 would take {per_10000:.1f} s (scaled from the "
            f"{len(rest)} measured)",
        )
        self.emit(
            f"start and answer {len(attempt_ids)} assessments "
            f"({len(item_ids or [])} items each)",
            answering,
            note=f"{len(attempt_ids) / answering:.0f}/s, one process"
            + (f"; {count} asked for" if len(attempt_ids) != count else ""),
        )
        results = list(
            AssessmentAttempt.objects.filter(pk__in=attempt_ids).values_list(
                "result__pk", flat=True
            )
        )
        AssessmentAttempt.objects.filter(result__pk__in=results).delete()
        restore_latest_results([t.pk for t in teachers])
