"""`make bench`: district-scale benchmarks against PostgreSQL and gunicorn.

Builds (once) a database with `seed_scale`, serves it with gunicorn under the
production settings, sends a bounded load from 20 concurrent clients on
127.0.0.1 to each scenario, and prints median and p95 latency, throughput and
SQL queries per request; the same table goes to bench/results/latest.json.
Background jobs (teacher import, assessment scoring) are timed after the pages."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.scenarios import SCENARIOS  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python")
RESULTS = ROOT / "bench" / "results" / "latest.json"
CONCURRENCY = 20


def bench_env(database_url: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
        "SECRET_KEY": "bench-" + secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "IDENTITY_HASH_KEY": "bench-only",
        "LEDGER_HASH_KEY": "bench-only",
        "SECURE_SSL_REDIRECT": "0",
        "QUERY_COUNT_HEADER": "1",
        "LOG_LEVEL": "WARNING",
        # The bench's own signing key (made on first run), never a real one.
        "CREDENTIAL_KEYS_FILE": str(ROOT / "var" / "bench-credential-keys.json"),
    }


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PY, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=capture,
        text=True,
    )
    return result.stdout if capture else ""


def ensure_database(database_url: str) -> None:
    import psycopg

    url = urlparse(database_url)
    name = url.path.lstrip("/")
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def analyze(database_url: str) -> None:
    """Refresh the planner's statistics after the bulk seeding, as autovacuum
    would do on a live database in its own time."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("ANALYZE")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shell_json(env: dict, code: str) -> dict:
    """Run Python in `manage.py shell` that leaves its answer in `out`; the
    answer comes back as one JSON line."""
    code = "import json\nout = {}\n" + code + "print('OUT=' + json.dumps(out))\n"
    output = manage(env, "shell", "-c", code, capture=True)
    line = next(line for line in output.splitlines() if line.startswith("OUT="))
    return json.loads(line.removeprefix("OUT="))


def session_cookies(env: dict, usernames: set[str]) -> dict[str, str]:
    """Log the bench users in by creating sessions directly."""
    if not usernames:
        return {}
    code = (
        "from django.contrib.auth import get_user_model, BACKEND_SESSION_KEY, "
        "HASH_SESSION_KEY, SESSION_KEY\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        f"for name in {sorted(usernames)!r}:\n"
        "    user = get_user_model().objects.get(username=name)\n"
        "    s = SessionStore()\n"
        "    s[SESSION_KEY] = str(user.pk)\n"
        "    s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'\n"
        "    s[HASH_SESSION_KEY] = user.get_session_auth_hash()\n"
        "    s.create()\n"
        "    out[name] = s.session_key\n"
    )
    return shell_json(env, code)


def resolve_paths(env: dict, scenarios: list) -> list:
    """Fill `{latest_result}` in a scenario's path with the id of its user's
    latest self-assessment result (ids differ from one seeded database to
    another)."""
    from dataclasses import replace

    users = sorted({s.user for s in scenarios if "{latest_result}" in s.path})
    if not users:
        return scenarios
    code = (
        "from training.models import AssessmentResult\n"
        f"for name in {users!r}:\n"
        "    r = AssessmentResult.objects.filter(teacher__user__username=name)"
        ".order_by('-submitted_at').first()\n"
        "    out[name] = r.pk if r else 0\n"
    )
    latest = shell_json(env, code)
    return [
        replace(s, path=s.path.format(latest_result=latest[s.user]))
        if "{latest_result}" in s.path
        else s
        for s in scenarios
    ]


def wait_until_up(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/favicon.ico", headers={"X-Forwarded-Proto": "https"})
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def run_scenario(port: int, scenario, cookie: str | None, seconds_cap: float) -> dict:
    latencies: list[float] = []
    queries: list[int] = []
    errors = 0
    lock = threading.Lock()
    remaining = [scenario.requests]
    stop_at = time.monotonic() + seconds_cap
    headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"

    def client():
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if remaining[0] <= 0 or time.monotonic() > stop_at:
                    break
                remaining[0] -= 1
            started = time.perf_counter()
            try:
                conn.request("GET", scenario.path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                count = response.getheader("X-Query-Count")
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status, count = 599, None
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if status >= 400:
                    errors += 1
                latencies.append(elapsed)
                if count is not None:
                    queries.append(int(count))
        conn.close()

    # Warm up each worker's connection and caches.
    for _ in range(5):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", scenario.path, headers=headers)
        conn.getresponse().read()
        conn.close()
    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "scenario": scenario.name,
        "path": scenario.path,
        "requests": len(latencies),
        "errors": errors,
        "median_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1)
        if latencies
        else None,
        "throughput_rps": round(len(latencies) / wall, 1) if wall else None,
        "queries_median": statistics.median(queries) if queries else None,
        "queries_max": max(queries) if queries else None,
        "p95_target_ms": scenario.budget_ms,
    }


def print_table(rows: list[dict]) -> None:
    header = f"{'scenario':44} {'n':>5} {'err':>4} {'median':>8} {'p95':>8} {'req/s':>7} {'SQL':>5} {'SQLmax':>6}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['scenario'][:44]:44} {r['requests']:>5} {r['errors']:>4} "
            f"{r['median_ms']:>8} {r['p95_ms']:>8} {r['throughput_rps']:>7} "
            f"{r['queries_median']!s:>5} {r['queries_max']!s:>6}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teachers", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60, help="cap per scenario")
    parser.add_argument("--only", help="run scenarios whose name contains this")
    args = parser.parse_args()

    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tdl_bench"
    )
    env = bench_env(database_url)
    ensure_database(database_url)
    print("== preparing the database (migrate, seed_scale)", flush=True)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_scale", "--teachers", str(args.teachers))
    for extra in (
        "seed_scale_assessments",
        "seed_scale_ledger",
        "seed_scale_studios",
        "seed_scale_courses",
    ):
        try:
            manage(env, extra)
        except subprocess.CalledProcessError:
            print(f"   ({extra} not available; skipped)")
    # The 驾驶舱 reads the portraits the nightly task computes.
    manage(env, "portraits_recompute")
    analyze(database_url)
    manage(env, "collectstatic", "--noinput", "-v0")

    scenarios = [s for s in SCENARIOS if not args.only or args.only in s.name]
    scenarios = resolve_paths(env, scenarios)
    cookies = session_cookies(env, {s.user for s in scenarios if s.user})
    port = free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "cms.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    rows = []
    try:
        wait_until_up(port, time.monotonic() + 60)
        print(
            f"== {len(scenarios)} scenarios, {CONCURRENCY} concurrent clients, "
            f"gunicorn with {args.workers} workers on 127.0.0.1:{port}",
            flush=True,
        )
        for scenario in scenarios:
            rows.append(
                run_scenario(port, scenario, cookies.get(scenario.user), args.seconds)
            )
            print(f"   {scenario.name}: p95 {rows[-1]['p95_ms']} ms", flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)

    print()
    print_table(rows)
    baseline = next((r for r in rows if r["scenario"].startswith("baseline")), None)
    if baseline and baseline["throughput_rps"]:
        print("\nthroughput relative to the trivial view:")
        for r in rows:
            if r is not baseline and r["throughput_rps"]:
                print(
                    f"   {r['scenario'][:44]:44} {r['throughput_rps'] / baseline['throughput_rps']:.2f}x"
                )

    jobs = run_jobs(env)
    if jobs:
        print("\nbackground work:")
        for job in jobs:
            print(
                f"   {job['job']:44} {job['seconds']:>8.2f} s   {job.get('note', '')}"
            )

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                },
                "teachers": args.teachers,
                "concurrency": CONCURRENCY,
                "pages": rows,
                "jobs": jobs,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return 0


def run_jobs(env: dict) -> list[dict]:
    """Time background work through the bench_jobs command (each job prints a
    JSON line). A failing job is reported, not fatal: the page figures stand."""
    jobs = []
    for command in ("bench_jobs", "bench_credentials"):
        result = subprocess.run(
            [PY, "manage.py", command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        jobs += [
            json.loads(line)
            for line in result.stdout.splitlines()
            if line.startswith("{")
        ]
        if result.returncode:
            print(f"{command} failed:\n" + result.stderr[-3000:])
            jobs.append(
                {
                    "job": command,
                    "seconds": 0,
                    "note": "failed",
                    "error": result.stderr[-500:],
                }
            )
    return jobs


if __name__ == "__main__":
    sys.exit(main())
