"""`make bench` on several nodes (`bench/run.py --nodes 2`): the read-heavy
pages served by one gunicorn node, then by two, on the same stack, and the
throughput of each side by side with the ratio.

The stack is the one tests/multinode proves (tests/faults/stack.py): a
private PostgreSQL primary holding a copy of the bench database (pg_dump,
pg_restore), its streaming replica (pg_basebackup -R), PgBouncer in
transaction mode in front of the primary, and gunicorn nodes with
DATABASE_POOLER=pgbouncer and DATABASE_REPLICA_URL set, so the heavy pages
read the replica. Each node has `--workers` gunicorn workers; the 20 clients
take turns over the nodes.

On one machine both nodes share its CPUs, so the ratio shows what a second
node adds here, not what a second machine would: on separate machines it is
the figure docs/scaling.md builds on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "nodes.json"
DB = "tdl_nodes"
# The pages a province would add nodes for: the catalogue, HR's heavy reads
# (replica) and a teacher's own pages (primary).
NODE_SCENARIOS = (
    "catalogue (2,000 courses)",
    "catalogue search, Chinese keyword",
    "驾驶舱, district HR (2,000 teachers)",
    "teacher list, district HR",
    "credit compliance, district HR (2,000 teachers)",
    "my credits, teacher with 50 records",
    "course page, teacher",
    "my learning, teacher with 25 courses",
)


def _copy_database(database_url: str, primary, base: Path, pg_bin: Path) -> None:
    url = urlparse(database_url)
    dump = base / "bench.dump"
    subprocess.run(
        [
            pg_bin / "pg_dump",
            "-Fc",
            "-h",
            url.hostname or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            "-f",
            dump,
            url.path.lstrip("/"),
        ],
        check=True,
        env={**os.environ, "PGPASSWORD": url.password or ""},
    )
    with primary.connect(db="postgres") as admin:
        admin.execute(f"CREATE DATABASE {DB}")
    subprocess.run(
        [
            pg_bin / "pg_restore",
            "--no-owner",
            "-j",
            "2",
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-d",
            DB,
            dump,
        ],
        check=True,
    )
    with primary.connect(db=DB) as conn:
        conn.execute("ANALYZE")


def _gunicorn(env: dict, port: int, workers: int, log_dir: Path, name: str):
    from tests.faults import stack

    process = stack.Process(
        name,
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "cms.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env,
        log_dir,
    )
    process.start()
    return process


def nodes_compare(
    env: dict,
    database_url: str,
    scenarios: list,
    problems: dict,
    cookies: dict,
    credentials: list,
    *,
    workers: int,
    seconds: float,
    requests: int | None,
    run_scenario,
    wait_until_up,
) -> int:
    from tests.faults import stack

    if stack.PG_BIN is None or not os.path.exists(stack.PGBOUNCER):
        print("--nodes 2 needs PostgreSQL's server binaries and Debian's pgbouncer")
        return 1
    base = stack.make_base()
    primary = stack.PrivatePostgres(base)
    primary.full_page_writes = True
    replica = stack.PrivateReplica(base, primary)
    bouncer = stack.PgBouncer(base, primary, [DB])
    clusters, processes = [], []
    rows: list[dict] = []
    try:
        print(
            "== two nodes: a private primary with the bench data, its replica, PgBouncer"
        )
        primary.init()
        primary.start()
        clusters.append(primary)
        _copy_database(database_url, primary, base, stack.PG_BIN)
        replica.init()
        replica.start()
        clusters.append(replica)
        bouncer.start(base)
        processes.append(bouncer.process)
        node_env = {
            **env,
            "DATABASE_URL": bouncer.url(db=DB),
            "DATABASE_POOLER": "pgbouncer",
            "DATABASE_REPLICA_URL": replica.url(db=DB),
        }
        ports = [stack.free_port(), stack.free_port()]
        nodes = [
            _gunicorn(node_env, port, workers, base, f"node-{n}")
            for n, port in enumerate(ports)
        ]
        processes += nodes
        for port in ports:
            wait_until_up(port, time.monotonic() + 120)
        for scenario in scenarios:
            if scenario.name in problems:
                continue
            one = run_scenario(
                ports[0], scenario, cookies.get(scenario.user), seconds, requests
            )
            two = run_scenario(
                ports, scenario, cookies.get(scenario.user), seconds, requests
            )
            ratio = (
                round(two["throughput_rps"] / one["throughput_rps"], 2)
                if one["ok"] and two["ok"] and one["throughput_rps"]
                else None
            )
            rows.append(
                {
                    "scenario": scenario.name,
                    "ok": one["ok"] and two["ok"],
                    "problem": one["problem"] or two["problem"],
                    "one_node_rps": one["throughput_rps"],
                    "two_nodes_rps": two["throughput_rps"],
                    "ratio": ratio,
                    "one_node_p95_ms": one["p95_ms"],
                    "two_nodes_p95_ms": two["p95_ms"],
                }
            )
            r = rows[-1]
            print(
                f"   {scenario.name}: {r['one_node_rps']} -> {r['two_nodes_rps']} req/s"
                if r["ok"]
                else f"   {scenario.name}: FAILED ({r['problem']})",
                flush=True,
            )
    finally:
        for process in reversed(processes):
            process.kill()
        for cluster in reversed(clusters):
            try:
                cluster.stop()
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(base, ignore_errors=True)

    print(
        f"\nthroughput, one node vs two nodes ({workers} gunicorn workers each, "
        "20 concurrent clients, PgBouncer, a streaming replica)"
    )
    header = (
        f"{'scenario':44} {'ok':>4} {'1 node':>8} {'2 nodes':>8} {'ratio':>6} "
        f"{'p95 1':>8} {'p95 2':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['scenario'][:44]:44} {'ok' if r['ok'] else 'FAIL':>4} "
            f"{r['one_node_rps']!s:>8} {r['two_nodes_rps']!s:>8} {r['ratio']!s:>6} "
            f"{r['one_node_p95_ms']!s:>8} {r['two_nodes_p95_ms']!s:>8}"
        )
    print(
        f"\nthis machine has {os.cpu_count()} CPUs shared by both nodes, the "
        "databases and the clients: the ratio is what a second node adds here"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "cpus": os.cpu_count(),
                "workers_per_node": workers,
                "pages": rows,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"written to {RESULTS.relative_to(ROOT)}")
    failed = [r["scenario"] for r in rows if not r["ok"]]
    if failed or not rows:
        print(f"{len(failed)} failed: " + "; ".join(failed))
        return 1
    return 0
