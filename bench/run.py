"""`make bench`: district-scale benchmarks against PostgreSQL and gunicorn.

Builds (once) a database with `seed_scale`, serves it with gunicorn under the
production settings, sends a bounded load from 20 concurrent clients on
127.0.0.1 to each scenario, and prints median and p95 latency, throughput and
SQL queries per request; the same table goes to bench/results/latest.json.
Each scenario's CPU milliseconds per request are measured apart, in one
process answering one request at a time (`manage.py bench_cpu`).
Background jobs (teacher import, assessment scoring) are timed after the pages.

`--scale small` builds a small database (a few hundred teachers) and sends a
few requests per scenario: to check that every scenario and job works, not to
quote figures. Use its own BENCH_DATABASE_URL (the seed commands do not
shrink an existing district-scale database)."""

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

# The checkout's virtualenv (make install), else the Python running this.
PY = str(
    ROOT / ".venv" / "bin" / "python"
    if (ROOT / ".venv" / "bin" / "python").exists()
    else Path(sys.executable)
)
RESULTS = ROOT / "bench" / "results" / "latest.json"
CONCURRENCY = 20
# Credentials the bench issues to this teacher for the share link and the
# verify API scenarios (kept in the bench database between runs).
CREDENTIAL_OWNER = "scale-0000001"
CREDENTIALS = 20

# What each --scale builds and how hard it pushes. "district" is TARGETS.md's.
SCALES = {
    "district": {
        "seed": [
            ["seed_scale", "--teachers", "20000"],
            ["seed_scale_assessments"],
            ["seed_scale_ledger"],
            ["seed_scale_studios"],
            ["seed_scale_courses"],
        ],
        "requests": None,  # each scenario's own count
        "cpu_requests": 30,
        "jobs": {"bench_jobs": [], "bench_credentials": []},
    },
    "small": {
        "seed": [
            ["seed_scale", "--teachers", "600", "--districts", "2"],
            ["seed_scale_assessments", "--teachers", "600"],
            ["seed_scale_ledger", "--per-teacher", "20"],
            ["seed_scale_studios", "--studios", "3", "--children", "20"],
            ["seed_scale_courses", "--courses", "40", "--enrolments", "2000"],
        ],
        "requests": 30,
        "cpu_requests": 5,
        "jobs": {
            "bench_jobs": ["--import-rows", "200", "--assessments", "200"],
            "bench_credentials": ["--rounds", "40", "--bulk", "300"],
        },
    },
}


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
        # The verify API scenario posts real credentials faster than the
        # public per-client limit allows.
        "RATE_LIMIT_VERIFY_PER_MINUTE": "1000000",
        # Checkpoints of this database only (a shared directory would hold
        # another database's, which ledger_verify rightly calls a rollback).
        "LEDGER_CHECKPOINT_DIR": str(ROOT / "var" / "bench-ledger-checkpoints"),
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
    """Clear what earlier runs' jobs left behind (each run's scoring writes and
    then removes a third of a million answers) and refresh the planner's
    statistics after the bulk seeding: what autovacuum would do on a live
    database in its own time. PostgreSQL here may run without autovacuum;
    left uncleared, an index scan of her 33 answers wades through hundreds of
    thousands of dead ones (a submit took 22 ms instead of 2.4)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def flush_cache(redis_url: str) -> None:
    """Empty the bench's own Redis database before serving: what another
    database's run left there (cached pages, versions, HR orders) would
    otherwise be served as this one's. Bench databases only."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()


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
    """Log the bench users in by creating sessions directly. Production asks
    HR and platform admins for an authenticator app before any page, so the
    bench's HR users get one (once), as real ones have."""
    if not usernames:
        return {}
    code = (
        "from django.contrib.auth import get_user_model, BACKEND_SESSION_KEY, "
        "HASH_SESSION_KEY, SESSION_KEY\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        "from allauth.mfa.models import Authenticator\n"
        "from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret\n"
        "from cms.accounts.models import Role\n"
        "from cms.accounts.scoping import user_roles\n"
        f"for name in {sorted(usernames)!r}:\n"
        "    user = get_user_model().objects.get(username=name)\n"
        "    if user_roles(user) & {Role.PLATFORM_ADMIN, Role.HR} and not "
        "Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP)"
        ".exists():\n"
        "        TOTP.activate(user, generate_totp_secret())\n"
        "    s = SessionStore()\n"
        "    s[SESSION_KEY] = str(user.pk)\n"
        "    s[BACKEND_SESSION_KEY] = 'cms.accounts.backends.ModelBackend'\n"
        "    s[HASH_SESSION_KEY] = user.get_session_auth_hash()\n"
        "    s.create()\n"
        "    out[name] = s.session_key\n"
    )
    return shell_json(env, code)


def bench_credentials(env: dict, count: int) -> list[dict]:
    """Real credentials for the share link and verify API scenarios: issue
    `count` to CREDENTIAL_OWNER (once; they stay) and return their uids and
    documents."""
    code = (
        "from badges import keys\n"
        "from badges.models import IssuedCredential\n"
        "from badges.services import credentials_issue\n"
        "from credits.models import CreditRecord\n"
        "issuer = keys.platform_issuer()\n"
        "try:\n"
        "    keys.private_key(keys.active_key(issuer))\n"
        "except keys.SigningKeyMissing:\n"
        "    keys.key_generate(issuer)\n"
        f"mine = IssuedCredential.objects.filter(teacher__user__username={CREDENTIAL_OWNER!r}, revoked_at__isnull=True)\n"
        f"missing = {count} - mine.count()\n"
        "if missing > 0:\n"
        f"    ids = list(CreditRecord.objects.filter(teacher__user__username={CREDENTIAL_OWNER!r}, credential__isnull=True, reverses__isnull=True, hours__gt=0).order_by('seq').values_list('pk', flat=True)[:missing])\n"
        "    credentials_issue(ids)\n"
        f"out['credentials'] = [{{'uid': str(c.uid), 'document': c.document}} for c in mine.order_by('pk')[:{count}]]\n"
    )
    return shell_json(env, code)["credentials"]


def resolve_paths(env: dict, scenarios: list) -> tuple[list, dict[str, str], list]:
    """Fill `{latest_result}` with the id of the user's latest self-assessment
    result and `{credential}` / `{credential_json}` with real credentials.
    Returns the scenarios and, by name, why one could not be prepared (it is
    then reported as failed, never timed against a made-up id)."""
    from dataclasses import replace

    problems: dict[str, str] = {}
    users = sorted({s.user for s in scenarios if "{latest_result}" in s.path})
    latest = {}
    if users:
        code = (
            "from training.models import AssessmentResult\n"
            f"for name in {users!r}:\n"
            "    r = AssessmentResult.objects.filter(teacher__user__username=name)"
            ".order_by('-submitted_at').first()\n"
            "    out[name] = r.pk if r else None\n"
        )
        latest = shell_json(env, code)
    credentials = []
    if any(
        "{credential}" in s.path or (s.body or "") == "{credential_json}"
        for s in scenarios
    ):
        credentials = bench_credentials(env, CREDENTIALS)
    out = []
    for s in scenarios:
        if "{latest_result}" in s.path:
            if not latest.get(s.user):
                problems[s.name] = f"{s.user} has no self-assessment result"
            s = replace(
                s, path=s.path.replace("{latest_result}", str(latest.get(s.user)))
            )
        if "{credential}" in s.path or s.body == "{credential_json}":
            if not credentials:
                problems[s.name] = (
                    f"no credential could be issued to {CREDENTIAL_OWNER}"
                )
            elif "{credential}" in s.path:
                s = replace(
                    s, path=s.path.replace("{credential}", credentials[0]["uid"])
                )
        out.append(s)
    return out, problems, credentials


def bodies_for(scenario, credentials: list[dict]) -> list[bytes]:
    if scenario.body == "{credential_json}":
        return [
            json.dumps(c["document"], ensure_ascii=False).encode() for c in credentials
        ]
    return [scenario.body.encode()] if scenario.body else [b""]


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


def check_response(scenario, status: int, body: bytes, location: str | None) -> str:
    """Why a response is not the one the scenario expects ("" when it is)."""
    if status != scenario.expect:
        where = f" to {location}" if location else ""
        return f"status {status}{where}, expected {scenario.expect}"
    if scenario.marker:
        text = body.decode("utf-8", errors="replace") + (location or "")
        if scenario.marker not in text:
            return f"marker {scenario.marker!r} not in the response"
    return ""


def request_once(conn, scenario, headers: dict, body: bytes):
    conn.request(scenario.method, scenario.path, body=body or None, headers=headers)
    response = conn.getresponse()
    content = response.read()
    return (
        response.status,
        content,
        response.getheader("Location"),
        response.getheader("X-Query-Count"),
    )


def run_scenario(
    port: int,
    scenario,
    cookie: str | None,
    seconds_cap: float,
    requests: int | None = None,
    bodies: list[bytes] | None = None,
) -> dict:
    latencies: list[float] = []
    queries: list[int] = []
    errors = 0
    problems: dict[str, int] = {}
    lock = threading.Lock()
    remaining = [requests or scenario.requests]
    sent = [0]
    stop_at = time.monotonic() + seconds_cap
    # Several nodes: the clients take turns over the ports (one client, one
    # node, as a load balancer keeps a connection on one backend).
    ports = port if isinstance(port, list) else [port]
    headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"
    if scenario.content_type:
        headers["Content-Type"] = scenario.content_type
    bodies = bodies or [b""]

    def client(port):
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if remaining[0] <= 0 or time.monotonic() > stop_at:
                    break
                remaining[0] -= 1
                body = bodies[sent[0] % len(bodies)]
                sent[0] += 1
            started = time.perf_counter()
            try:
                status, content, location, count = request_once(
                    conn, scenario, headers, body
                )
                problem = check_response(scenario, status, content, location)
            except OSError as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                count, problem = None, f"connection error: {exc}"
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if problem:
                    errors += 1
                    problems[problem] = problems.get(problem, 0) + 1
                latencies.append(elapsed)
                if count is not None:
                    queries.append(int(count))
        conn.close()

    # Warm up each worker's connection and caches; a wrong answer here fails
    # the scenario at once (no load is timed against an error page).
    for n in range(5 * len(ports)):
        conn = http.client.HTTPConnection(
            "127.0.0.1", ports[n % len(ports)], timeout=30
        )
        status, content, location, _count = request_once(
            conn, scenario, headers, bodies[n % len(bodies)]
        )
        conn.close()
        problem = check_response(scenario, status, content, location)
        if problem:
            return failed_row(scenario, f"warm-up: {problem}")
    # Then a short burst from every client, untimed, so that each gunicorn
    # worker (not only the one that took the checks above) has compiled the
    # page's templates and opened its connections before the load is timed.
    warm = [2 * CONCURRENCY]

    def warm_client(port):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if warm[0] <= 0:
                    break
                warm[0] -= 1
            try:
                request_once(conn, scenario, headers, bodies[0])
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    warmers = [
        threading.Thread(target=warm_client, args=(ports[n % len(ports)],))
        for n in range(CONCURRENCY)
    ]
    for thread in warmers:
        thread.start()
    for thread in warmers:
        thread.join()
    threads = [
        threading.Thread(target=client, args=(ports[n % len(ports)],))
        for n in range(CONCURRENCY)
    ]
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
        "method": scenario.method,
        "ok": errors == 0 and bool(latencies),
        "problem": "; ".join(f"{n} x {p}" for p, n in problems.items()) or None,
        "requests": len(latencies),
        "errors": errors,
        "median_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(latencies[max(0, int(len(latencies) * 0.95) - 1)], 1)
        if latencies
        else None,
        "throughput_rps": round(len(latencies) / wall, 1) if wall else None,
        "queries_median": statistics.median(queries) if queries else None,
        "queries_max": max(queries) if queries else None,
        "p95_target_ms": scenario.budget_ms,
    }


def failed_row(scenario, problem: str) -> dict:
    return {
        "scenario": scenario.name,
        "path": scenario.path,
        "method": scenario.method,
        "ok": False,
        "problem": problem,
        "requests": 0,
        "errors": 0,
        "median_ms": None,
        "p95_ms": None,
        "throughput_rps": None,
        "queries_median": None,
        "queries_max": None,
        "p95_target_ms": scenario.budget_ms,
    }


def measure_cpu(
    env: dict,
    scenarios: list,
    cookies: dict,
    credentials: list[dict],
    requests: int,
    profile_dir: str | None,
) -> dict:
    """CPU milliseconds per request of each scenario, in one Django process
    answering one request at a time (manage.py bench_cpu), the trivial view
    measured before, between and after the others."""
    import tempfile

    spec = {
        "requests": requests,
        "profile_dir": profile_dir,
        "scenarios": [
            {
                "name": s.name,
                "path": s.path,
                "method": s.method,
                "cookie": cookies.get(s.user),
                "content_type": s.content_type,
                "bodies": [b.decode() for b in bodies_for(s, credentials)],
                "expect": s.expect,
                "marker": s.marker,
            }
            for s in scenarios
        ],
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(spec, fh, ensure_ascii=False)
        path = fh.name
    try:
        output = manage(env, "bench_cpu", path, capture=True)
    finally:
        os.unlink(path)
    line = next(line for line in output.splitlines() if line.startswith("CPU="))
    return json.loads(line.removeprefix("CPU="))


def print_table(rows: list[dict]) -> None:
    print(
        "latency, throughput and SQL: 20 concurrent clients on gunicorn; "
        "CPU ms: one process, one request at a time (median of its requests)"
    )
    header = (
        f"{'scenario':44} {'ok':>4} {'n':>5} {'err':>4} {'median':>8} {'p95':>8} "
        f"{'req/s':>7} {'SQL':>5} {'SQLmax':>6} {'CPU ms':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['scenario'][:44]:44} {'ok' if r['ok'] else 'FAIL':>4} "
            f"{r['requests']:>5} {r['errors']:>4} "
            f"{r['median_ms']!s:>8} {r['p95_ms']!s:>8} {r['throughput_rps']!s:>7} "
            f"{r['queries_median']!s:>5} {r['queries_max']!s:>6} "
            f"{r.get('cpu_ms_median')!s:>7}"
        )
    for r in rows:
        if not r["ok"]:
            print(f"   FAILED {r['scenario']}: {r['problem']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--scale",
        choices=sorted(SCALES),
        default="district",
        help="district: TARGETS.md's data and load; small: a check that it all works",
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60, help="cap per scenario")
    parser.add_argument("--only", help="run scenarios whose name contains this")
    parser.add_argument(
        "--requests", type=int, help="requests per scenario (default: the scale's)"
    )
    parser.add_argument(
        "--cpu-requests",
        type=int,
        help="requests per scenario for the CPU ms column (default: the scale's)",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="write a profile of each scenario's CPU requests to DIR "
        "(pyinstrument HTML, or cProfile .prof when pyinstrument is missing)",
    )
    parser.add_argument("--no-cpu", action="store_true", help="skip the CPU column")
    parser.add_argument(
        "--cpu-only",
        action="store_true",
        help="only the CPU ms and SQL columns (no load, no jobs): quick to "
        "compare one change with the next",
    )
    parser.add_argument("--no-jobs", action="store_true", help="pages only")
    parser.add_argument(
        "--nodes",
        type=int,
        choices=(1, 2),
        default=1,
        help="2: instead of the table, the read-heavy pages on one node and on "
        "two nodes (a streaming replica, PgBouncer; bench/nodes.py), side by side",
    )
    args = parser.parse_args()
    scale = SCALES[args.scale]

    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tdl_bench"
    )
    env = bench_env(database_url)
    ensure_database(database_url)
    print(f"== preparing the database (migrate, seed, scale {args.scale})", flush=True)
    manage(env, "migrate", "--noinput", "-v0")
    for command in scale["seed"]:
        try:
            manage(env, *command)
        except subprocess.CalledProcessError:
            if command[0] == "seed_scale":
                raise
            print(f"   ({command[0]} failed; its scenarios will fail)")
    # The 驾驶舱 reads the portraits the nightly task computes.
    manage(env, "portraits_recompute")
    analyze(database_url)
    flush_cache(env["REDIS_URL"])
    manage(env, "collectstatic", "--noinput", "-v0")

    # The trivial view always runs: the others' ratios are taken against it.
    scenarios = [
        s
        for s in SCENARIOS
        if not args.only or args.only in s.name or s.name.startswith("baseline")
    ]
    if args.nodes == 2 and not args.only:
        from bench.nodes import NODE_SCENARIOS

        scenarios = [s for s in scenarios if s.name in NODE_SCENARIOS]
    scenarios, problems, credentials = resolve_paths(env, scenarios)
    cookies = session_cookies(env, {s.user for s in scenarios if s.user})
    requests = args.requests or scale["requests"]
    if args.nodes == 2:
        from bench.nodes import nodes_compare

        return nodes_compare(
            env,
            database_url,
            scenarios,
            problems,
            cookies,
            credentials,
            workers=args.workers,
            seconds=args.seconds,
            requests=requests,
            run_scenario=run_scenario,
            wait_until_up=wait_until_up,
        )
    if args.cpu_only:
        return cpu_only(env, scenarios, problems, cookies, credentials, args, scale)
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
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
    extra_jobs: list[dict] = []
    baseline_rps: list[float] = []
    try:
        wait_until_up(port, time.monotonic() + 60)
        print(
            f"== {len(scenarios)} scenarios, {CONCURRENCY} concurrent clients, "
            f"gunicorn with {args.workers} workers on 127.0.0.1:{port}",
            flush=True,
        )
        baseline_scenario = next(
            (s for s in scenarios if s.name.startswith("baseline")), None
        )
        middle = len(scenarios) // 2
        for n, scenario in enumerate(scenarios):
            if baseline_scenario is not None and n == middle:
                baseline_rps.append(
                    run_scenario(port, baseline_scenario, None, args.seconds, requests)[
                        "throughput_rps"
                    ]
                )
            if scenario.name in problems:
                rows.append(failed_row(scenario, problems[scenario.name]))
            else:
                rows.append(
                    run_scenario(
                        port,
                        scenario,
                        cookies.get(scenario.user),
                        args.seconds,
                        requests,
                        bodies_for(scenario, credentials),
                    )
                )
            r = rows[-1]
            print(
                f"   {scenario.name}: "
                + (f"p95 {r['p95_ms']} ms" if r["ok"] else f"FAILED ({r['problem']})"),
                flush=True,
            )
        if baseline_scenario is not None:
            baseline_rps.append(
                run_scenario(port, baseline_scenario, None, args.seconds, requests)[
                    "throughput_rps"
                ]
            )
        # While this gunicorn still serves the bench data: the verifier under
        # the attack payloads of issue 13, and the open API.
        if not args.only and not args.no_jobs:
            extra_jobs += served_jobs(env, port)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)

    cpu = {}
    if not args.no_cpu:
        runnable = [s for s in scenarios if s.name not in problems]
        print("== CPU per request, one process, one request at a time", flush=True)
        cpu = measure_cpu(
            env,
            runnable,
            cookies,
            credentials,
            args.cpu_requests or scale["cpu_requests"],
            args.profile,
        )
        for r in rows:
            got = cpu["scenarios"].get(r["scenario"])
            if got:
                r["cpu_ms_median"] = got["cpu_ms_median"]
                r["cpu_ms_all"] = got["cpu_ms_all"]
                if got.get("problem") and r["ok"]:
                    r["ok"], r["problem"] = False, "CPU run: " + got["problem"]

    print()
    if args.scale != "district":
        print(
            f"scale {args.scale}: a check that every scenario and job works; "
            "these figures are not the district-scale ones"
        )
    print_table(rows)
    if cpu.get("baseline_ms"):
        print(
            "\ntrivial view, CPU ms per request, measured "
            f"{len(cpu['baseline_ms'])} times in this run (before, between and "
            "after the scenarios): " + ", ".join(f"{v}" for v in cpu["baseline_ms"])
        )
    baseline = next((r for r in rows if r["scenario"].startswith("baseline")), None)
    trivial_rps = []
    if baseline and baseline["throughput_rps"]:
        # The trivial view under load at the start, the middle and the end
        # of the run: its throughput varies most, so the ratios are taken
        # against the median of the three.
        trivial_rps = [baseline["throughput_rps"], *baseline_rps]
        reference = statistics.median(trivial_rps)
        baseline["throughput_rps_runs"] = trivial_rps
        print(
            "\ntrivial view under load, req/s at the start, middle and end of the "
            "run: " + ", ".join(f"{v}" for v in trivial_rps)
        )
        print(
            f"throughput relative to the trivial view's median ({reference:.1f} "
            "req/s; derived, not measured), and each page's p95 against its budget:"
        )
        for r in rows:
            if r is not baseline and r["throughput_rps"]:
                ratio = r["throughput_rps"] / reference
                r["throughput_ratio"] = round(ratio, 2)
                goal = 0.5 if r["scenario"].startswith("catalogue (") else 0.2
                budget = r.get("p95_target_ms")
                within = (
                    "within" if budget and r["p95_ms"] <= budget else "OVER"
                ) + f" p95 budget {budget} ms"
                print(
                    f"   {r['scenario'][:44]:44} {ratio:5.2f}x "
                    f"({'meets' if ratio >= goal else 'BELOW'} {goal}x), {within}"
                )

    jobs = [] if args.no_jobs else run_jobs(env, scale["jobs"]) + extra_jobs
    if not args.no_jobs:
        jobs += spreadsheet_rejections(env)
    if jobs:
        print("\nbackground work (measured):")
        for job in jobs:
            # Rows of rates (the credential figures) have no seconds.
            seconds = job.get("seconds")
            took = f"{seconds:>8.2f} s" if seconds is not None else f"{'':>10}"
            print(f"   {job['job']:44} {took}   {job.get('note', '')}")
            if job.get("scaled"):
                print(f"   {'':44} {'scaled':>10}   {job['scaled']}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                },
                "scale": args.scale,
                "seed": scale["seed"],
                "concurrency": CONCURRENCY,
                "pages": rows,
                "cpu_baseline_ms": cpu.get("baseline_ms"),
                "jobs": jobs,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    failed = [r["scenario"] for r in rows if not r["ok"]] + [
        j["job"] for j in jobs if j.get("failed")
    ]
    if failed:
        print(f"{len(failed)} failed: " + "; ".join(failed))
        return 1
    return 0


def cpu_only(env, scenarios, problems, cookies, credentials, args, scale) -> int:
    """`--cpu-only`: each page's CPU ms per request and SQL queries, one
    process, no load."""
    runnable = [s for s in scenarios if s.name not in problems]
    cpu = measure_cpu(
        env,
        runnable,
        cookies,
        credentials,
        args.cpu_requests or scale["cpu_requests"],
        args.profile,
    )
    print(f"{'scenario':46} {'SQL':>4} {'CPU ms':>8}  (budget)")
    failed = list(problems)
    for s in scenarios:
        got = cpu["scenarios"].get(s.name) or {"problem": problems.get(s.name)}
        budget = 25 if s.budget_ms >= 300 else 10
        if got.get("problem"):
            failed.append(s.name)
            print(f"{s.name[:46]:46} FAILED: {got['problem']}")
            continue
        print(
            f"{s.name[:46]:46} {got.get('queries') or 0:>4} "
            f"{got['cpu_ms_median']:>8}  ({budget})"
        )
    print("trivial view, CPU ms: " + ", ".join(str(v) for v in cpu["baseline_ms"]))
    return 1 if failed else 0


def _script_json(env: dict, *args: str) -> tuple[dict | None, str]:
    """Run a bench script with the bench environment; (its JSON, stderr)."""
    result = subprocess.run(
        [PY, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    out = result.stdout
    start = out.find("{")
    if result.returncode or start < 0:
        return None, (result.stderr or out)[-1500:]
    decoder = json.JSONDecoder()
    return decoder.raw_decode(out[start:])[0], ""


def served_jobs(env: dict, port: int) -> list[dict]:
    """The verify API's worst case over the attack payloads, and the open API
    (teachers listed per second, the ledger synced by cursor)."""
    jobs = []
    attacks, error = _script_json(
        {**env, "RATE_LIMIT_VERIFY_PER_MINUTE": "100000"},
        "bench/verify_attacks.py",
        "--port",
        str(port),
    )
    if attacks is None:
        jobs.append(
            {
                "job": "verify API, worst attack payload",
                "seconds": 0,
                "note": "failed",
                "failed": True,
                "error": error,
            }
        )
    else:
        jobs.append({k: attacks[k] for k in ("job", "seconds", "note")})
    api, error = _script_json(
        env, "bench/api_bench.py", "--base-url", f"http://127.0.0.1:{port}"
    )
    if api is None:
        jobs.append(
            {
                "job": "open API",
                "seconds": 0,
                "note": "failed",
                "failed": True,
                "error": error,
            }
        )
    else:
        teachers, ledger = api["teachers"], api["ledger_sync"]
        jobs.append(
            {
                "job": "API: teachers listed",
                "seconds": teachers.get("seconds", 0),
                "note": json.dumps(teachers, ensure_ascii=False)[:300],
            }
        )
        jobs.append(
            {
                "job": "API: ledger synced by cursor",
                "seconds": ledger.get("seconds", 0),
                "note": json.dumps(ledger, ensure_ascii=False)[:300],
            }
        )
    return jobs


def spreadsheet_rejections(env: dict) -> list[dict]:
    """Time to reject oversized spreadsheets (100,000 and 1,000,000 rows)."""
    found, error = _script_json(env, "bench/xlsx_reject.py", "--json")
    if found is None:
        return [
            {
                "job": "reject oversized spreadsheets",
                "seconds": 0,
                "note": "failed",
                "failed": True,
                "error": error,
            }
        ]
    worst_name, worst = max(found.items(), key=lambda kv: kv[1]["seconds"])
    return [
        {
            "job": "reject oversized spreadsheets, worst case",
            "seconds": worst["seconds"],
            "note": f"{worst_name} of {len(found)} files (goal < 1 s)",
        }
    ]


def run_jobs(env: dict, commands: dict[str, list[str]]) -> list[dict]:
    """Time background work through the bench_jobs and bench_credentials
    commands (each job prints a JSON line). A failing command is reported and
    fails the run at the end; the page figures stand."""
    jobs = []
    for command, extra in commands.items():
        result = subprocess.run(
            [PY, "manage.py", command, *extra],
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
                    "failed": True,
                    "error": result.stderr[-500:],
                }
            )
    return jobs


if __name__ == "__main__":
    sys.exit(main())
