"""The capacity model of docs/scaling.md, as arithmetic anyone can rerun.

    python bench/capacity.py            # the tables in docs/scaling.md
    python bench/capacity.py --json     # the same figures as JSON

MEASURED holds what the bench measured (each with where it comes from);
ASSUMED holds what is assumed (each with why). Everything printed is computed
from those two dicts and nothing else; change a figure (say, after a new
`make bench` run) and the tables follow."""

from __future__ import annotations

import argparse
import json

# --- measured -----------------------------------------------------------------
MEASURED = {
    # issue 16 (make bench at district scale, 2 cores, 4 gunicorn workers, 20
    # clients): CPU ms per request of one Django process, one request at a time.
    "cpu_ms": {
        "login page": 14,
        "teacher page (catalogue, course, my learning, my credits)": 50,
        "HR list / 驾驶舱": 76,  # 68-85
        "portrait": 146,
    },
    # Same run: req/s of the whole 2-core machine (gunicorn + PostgreSQL + the
    # load client on the same cores), mid-point of the two runs' range.
    "machine_rps": {
        "trivial view": 405,  # 234-576
        "login page": 122,  # 110-134
        "teacher page (catalogue, course, my learning, my credits)": 20,  # 15-26
        "HR list / 驾驶舱": 12,  # 6-20
        "portrait": 8,  # 7-9
    },
    "machine_cores": 2,
    # bench_jobs (issue 16): seconds for a count, on the same machine.
    "jobs": {
        "import rows per s": 5000 / 3.8,
        "portraits per s": 20000 / 21,
        "ledger_verify records per s": 1_000_000 / 67,
        "zip teachers per s": 1000 / 161,
        # 10,000 credentials through Celery in 95 s, worker on both cores.
        "credentials per core-s": 10000 / 95 / 2,
        "assessments scored per core-s": 10000 / 42 / 2,
    },
    # manage.py bench_ledger on this machine (2 cores, load average 10-13 from
    # other work): appends/s through the one head with 1-8 writers, the head
    # held 57-75 ms (median) per append, of which 9.3-10.6 ms Python CPU, 9
    # statements. docs/scaling.md, "The ledger head".
    "ledger_appends_per_s_busy_machine": 12.5,  # worst of 12.5-16.4
    "ledger_python_cpu_under_lock_ms": 9.5,
    "ledger_statements_under_lock": 9,
    # pg_total_relation_size / rows on a seeded database (bench --scale small:
    # 12,000 ledger records, 2,000 enrolments, 9,080 lesson progress rows, 300
    # credentials issued through credentials_issue_task, 600 teachers).
    "bytes_per_row": {
        "ledger record": 9_633_792 / 12_000,  # 315 heap + 485 in 11 indexes
        "credential": 876_544 / 300,  # signed JSON-LD document, ~1.6 kB jsonb
        "enrolment": 598_016 / 2_000,
        "lesson progress": 1_572_864 / 9_080,
        "teacher": (385_024 + 270_336) / 600,  # profile + user
    },
    # bench/measure_progress.py: CPU ms of one video-progress POST, one process.
    "progress_post_cpu_ms": 24.5,
}

# --- assumed ------------------------------------------------------------------
ASSUMED = {
    "campaign_days": 14,
    # A campaign's load is not even: half of all activity falls in the last
    # three days (the deadline), and the busiest hour of a day carries 15% of
    # that day (evenings). Peak / two-week average = (0.5/3)/(1/14) * 0.15*24.
    "share_in_last_days": 0.5,
    "last_days": 3,
    "busiest_hour_share": 0.15,
    # Per teacher in a campaign: 4 courses of 2.5 学时 (10 学时, the usual
    # winter requirement); each completion is one ledger record and one
    # credential; enrolments are made by HR campaigns (4 per teacher).
    "courses_per_teacher": 4,
    "hours_per_course": 2.5,
    # Half of a 学时 (45 min) is video; the player reports every 10 s of it.
    "video_share": 0.5,
    "progress_every_s": 10,
    # Page views per teacher over the campaign (besides progress reports):
    # sign-ins, dashboard and my learning, course and lesson pages, quizzes.
    "pages_per_teacher": 60,
    "logins_per_teacher": 6,
    "portrait_views_per_teacher": 2,
    "hr_views_per_1000_teachers_per_day": 50,
    # Video lessons per course (a progress row each, per enrolment).
    "video_lessons_per_course": 5,
    # HR campaigns make the enrolments over the first two working days (8 h).
    "enrolment_seconds": 2 * 8 * 3600,
    # Database CPU of one progress report (2 reads, a row lock, an update,
    # the commit): not measured apart; assumed.
    "progress_post_db_ms": 3.0,
    # The head's hold time on dedicated servers: the measured Python CPU under
    # the lock plus, per statement, a round trip through PgBouncer and the
    # statement's execution, plus the commit's WAL flush.
    "statement_round_trip_ms": 0.5,
    "commit_flush_ms": 1.0,
    # Indexes, dead rows from updates, WAL and free space: size x 1.5.
    "db_overhead_factor": 1.5,
    # Servers are sized to run at 60% CPU at the peak hour.
    "target_utilisation": 0.6,
    # A gunicorn worker per core (sync workers; requests are CPU-bound).
    "gunicorn_workers_per_core": 1,
    # Share of database work the heavy read pages put on replicas (catalogue,
    # 驾驶舱, overviews, exports); the rest (writes, a teacher's own pages right
    # after she acts) stays on the primary.
    "replica_read_share": 0.5,
}

SCALES = {
    "district": 20_000,
    "province": 1_000_000,
    "national campaign": 13_700_000,
}


def peak_factor(a=ASSUMED) -> float:
    per_day_peak = (a["share_in_last_days"] / a["last_days"]) / (1 / a["campaign_days"])
    per_hour_peak = a["busiest_hour_share"] * 24
    return per_day_peak * per_hour_peak


def all_in_core_ms(page: str, m=MEASURED) -> float:
    """Core-ms per request of the whole machine under load: app, database and
    the load client together (an upper bound for app + database)."""
    return 1000 * m["machine_cores"] / m["machine_rps"][page]


# TARGETS.md: CPU per request "in all (application and database)".
TARGET_ALL_IN_MS = {
    "login page": 3,
    "teacher page (catalogue, course, my learning, my credits)": 10,
    "HR list / 驾驶舱": 25,
    "portrait": 10,
}


def head_hold_ms(m=MEASURED, a=ASSUMED) -> float:
    return (
        m["ledger_python_cpu_under_lock_ms"]
        + m["ledger_statements_under_lock"] * a["statement_round_trip_ms"]
        + a["commit_flush_ms"]
    )


def model(teachers: int, m=MEASURED, a=ASSUMED, at_targets: bool = False) -> dict:
    seconds = a["campaign_days"] * 86400
    peak = peak_factor(a)
    completions = teachers * a["courses_per_teacher"]
    video_s = completions * a["hours_per_course"] * 45 * 60 * a["video_share"]
    progress = video_s / a["progress_every_s"]
    pages = {
        "teacher page (catalogue, course, my learning, my credits)": teachers
        * a["pages_per_teacher"],
        "login page": teachers * a["logins_per_teacher"],
        "portrait": teachers * a["portrait_views_per_teacher"],
        "HR list / 驾驶舱": teachers
        / 1000
        * a["hr_views_per_1000_teachers_per_day"]
        * a["campaign_days"],
    }
    rate = {k: v / seconds * peak for k, v in pages.items()}  # at the peak hour
    progress_rate = progress / seconds * peak
    per_s = completions / seconds * peak
    out = {
        "teachers": teachers,
        "peak_factor": round(peak, 2),
        "enrolments_per_s": completions / a["enrolment_seconds"],
        "completions_per_s": per_s,
        "credits_per_s": per_s,
        "credentials_per_s": per_s,
        "page_rps": sum(rate.values()),
        "progress_rps": progress_rate,
    }
    if at_targets:  # the whole budget counted as app CPU, and again as DB CPU
        app_ms = sum(rate[p] * TARGET_ALL_IN_MS[p] for p in rate)
        db_ms = app_ms
    else:
        app_ms = sum(rate[p] * m["cpu_ms"][p] for p in rate)
        db_ms = sum(
            rate[p] * max(all_in_core_ms(p, m) - m["cpu_ms"][p], 0) for p in rate
        )
    app_ms += progress_rate * m["progress_post_cpu_ms"]
    db_ms += progress_rate * a["progress_post_db_ms"]
    u = a["target_utilisation"]
    out["app_cores"] = app_ms / 1000 / u
    out["app_cores_pages_only"] = (
        (app_ms - progress_rate * m["progress_post_cpu_ms"]) / 1000 / u
    )
    out["db_cores"] = db_ms / 1000 / u
    # Progress reports are writes: all on the primary. Of the pages' database
    # work, the replica share moves to replicas.
    progress_db = progress_rate * a["progress_post_db_ms"]
    pages_db = db_ms - progress_db
    out["db_primary_cores"] = (
        (progress_db + pages_db * (1 - a["replica_read_share"])) / 1000 / u
    )
    out["db_replica_cores"] = pages_db * a["replica_read_share"] / 1000 / u
    # Statements running at once in PostgreSQL (Little's law: requests/s x
    # seconds each spends there): what PgBouncer's pool must hold.
    out["db_busy_connections"] = db_ms / 1000
    j = m["jobs"]
    out["credential_worker_cores"] = per_s / j["credentials per core-s"] / u
    out["import_seconds_all_teachers"] = teachers / j["import rows per s"]
    out["portraits_seconds_nightly"] = teachers / j["portraits per s"]
    out["zip_core_hours_all_teachers"] = teachers / j["zip teachers per s"] / 3600
    out["ledger_records"] = completions
    out["ledger_verify_seconds"] = completions / j["ledger_verify records per s"]
    out["head_use_busy_machine"] = per_s / m["ledger_appends_per_s_busy_machine"]
    out["head_use_dedicated"] = per_s / (1000 / head_hold_ms(m, a))
    sizes = m["bytes_per_row"]
    gb = 1e9
    db_gb = {
        "ledger": completions * sizes["ledger record"] / gb,
        "credentials": completions * sizes["credential"] / gb,
        "enrolments": completions * sizes["enrolment"] / gb,
        "lesson progress": completions
        * a["video_lessons_per_course"]
        * sizes["lesson progress"]
        / gb,
        "teachers": teachers * sizes["teacher"] / gb,
    }
    db_gb["total with overhead"] = sum(db_gb.values()) * a["db_overhead_factor"]
    out["db_gb"] = db_gb
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {name: model(n) for name, n in SCALES.items()}
    results.update(
        {
            f"{name}, pages at TARGETS.md": model(n, at_targets=True)
            for name, n in SCALES.items()
        }
    )
    # The lever of the progress reports (not measured: a target): every 60 s
    # of video instead of 10, at 5 ms of CPU each.
    lever = {**ASSUMED, "progress_every_s": 60}
    lever_m = {**MEASURED, "progress_post_cpu_ms": 5.0}
    results.update(
        {
            f"{name}, pages at TARGETS.md, progress every 60 s at 5 ms": model(
                n, m=lever_m, a=lever, at_targets=True
            )
            for name, n in SCALES.items()
        }
    )
    if args.json:
        print(
            json.dumps(
                {"measured": MEASURED, "assumed": ASSUMED, "results": results},
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    print(
        f"head hold on dedicated servers (derived): {head_hold_ms():.1f} ms -> "
        f"{1000 / head_hold_ms():.0f} appends/s"
    )
    for name, r in results.items():
        print(f"== {name}: {r['teachers']:,} teachers (peak factor {r['peak_factor']})")
        for key, value in r.items():
            if key in {"teachers", "peak_factor"}:
                continue
            if isinstance(value, dict):
                value = {k: round(v, 2) for k, v in value.items()}
            elif isinstance(value, float):
                value = round(value, 2)
            print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
