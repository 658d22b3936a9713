"""API benchmark: teachers listed per second through /api/v1/teachers, and an
incremental sync of the whole ledger by cursor through /api/v1/credit-records.

Standalone: `python bench/api_bench.py` serves the (already seeded, see
bench/README.md) bench database with gunicorn and prints one JSON object.
`bench/run.py` can instead call `run(base_url, env)` against the gunicorn it
started. A client of the seed's city (all 20,000 teachers, the whole ledger)
is registered for the run and removed afterwards, with its call log."""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import bench_env, free_port, shell_json, wait_until_up  # noqa: E402

SETUP = """
from cms.accounts.models import Organisation
from cms.api.services import api_client_create
org = Organisation.objects.get(code="SCALE-C")
client, secret = api_client_create(
    name="bench", organisation=org, scopes=["teachers:read", "credits:read"],
    rate_limit_per_minute=10**9,
)
out["client_id"], out["secret"] = client.client_id, secret
"""
TEARDOWN = """
from cms.api.models import ApiCall, ApiClient
client = ApiClient.objects.get(client_id={client_id!r})
user = client.service_user
out["calls_logged"] = ApiCall.objects.filter(client=client).count()
ApiCall.objects.filter(client=client).delete()
client.delete()
user.delete()
"""


class Http:
    """One keep-alive connection."""

    def __init__(self, base_url: str, token: str = ""):
        parts = urllib.parse.urlsplit(base_url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        self.token = token

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data), elapsed


def token_for(base_url: str, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    body, _ = Http(base_url).request(
        "POST",
        "/api/v1/oauth/token",
        b"grant_type=client_credentials",
        {
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    return body["access_token"]


def page_through(http: Http, path: str, params: dict) -> tuple[int, list[float], str]:
    """Follow next_cursor to the end; (items, page latencies, last cursor)."""
    count, latencies, cursor, last = 0, [], None, ""
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        body, elapsed = http.request("GET", f"{path}?{urllib.parse.urlencode(query)}")
        latencies.append(elapsed)
        count += len(body["items"])
        cursor = body["next_cursor"]
        if body["items"]:
            last = cursor or last
        if not cursor:
            return count, latencies, last


def ms(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1)


def bench_teachers(base_url: str, token: str, concurrency: int) -> dict:
    results: list[tuple[int, list[float]]] = []

    def one():
        count, latencies, _ = page_through(
            Http(base_url, token), "/api/v1/teachers", {"limit": 500}
        )
        results.append((count, latencies))

    started = time.perf_counter()
    threads = [threading.Thread(target=one) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    listed = sum(c for c, _ in results)
    pages = [x for _, lat in results for x in lat]
    return {
        "teachers": results[0][0] if results else 0,
        "clients": concurrency,
        "page_size": 500,
        "seconds": round(wall, 2),
        "teachers_per_second": round(listed / wall, 1),
        "page_p50_ms": ms(pages, 0.5),
        "page_p95_ms": ms(pages, 0.95),
    }


def bench_ledger(base_url: str, token: str) -> dict:
    http = Http(base_url, token)
    started = time.perf_counter()
    count, latencies, cursor = page_through(
        http, "/api/v1/credit-records", {"limit": 1000}
    )
    full = time.perf_counter() - started
    # The next incremental sync from the cursor kept: nothing new.
    _, from_cursor = http.request(
        "GET", "/api/v1/credit-records?" + urllib.parse.urlencode({"cursor": cursor})
    )
    since = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 3600))
    body, by_time = http.request(
        "GET",
        "/api/v1/credit-records?" + urllib.parse.urlencode({"updated_since": since}),
    )
    return {
        "records": count,
        "page_size": 1000,
        "seconds": round(full, 1),
        "records_per_second": round(count / full, 1),
        "page_p50_ms": ms(latencies, 0.5),
        "page_p95_ms": ms(latencies, 0.95),
        "incremental_from_cursor_ms": round(from_cursor * 1000, 1),
        "incremental_updated_since_last_hour_ms": round(by_time * 1000, 1),
    }


def run(base_url: str, env: dict, concurrency: int = 4) -> dict:
    setup = shell_json(env, SETUP)
    try:
        token = token_for(base_url, setup["client_id"], setup["secret"])
        out = {
            "teachers": bench_teachers(base_url, token, concurrency),
            "ledger_sync": bench_ledger(base_url, token),
        }
    finally:
        out_teardown = shell_json(env, TEARDOWN.format(client_id=setup["client_id"]))
    out["calls_logged"] = out_teardown["calls_logged"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", help="a server already serving the bench data")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tdl_bench"
    )
    env = bench_env(database_url)
    if args.base_url:
        print(json.dumps(run(args.base_url, env, args.concurrency), indent=2))
        return 0
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "cms.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_up(port, time.monotonic() + 60)
        result = run(f"http://127.0.0.1:{port}", env, args.concurrency)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
