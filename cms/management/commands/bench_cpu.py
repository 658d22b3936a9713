"""CPU milliseconds per request for `make bench` (bench/run.py calls it).

One process (this one) answers one request at a time through Django's test
client against the bench database: time.process_time() around each request is
the CPU the Django process spent on it (Python, templates, the database
driver; not PostgreSQL's own CPU, not gunicorn's HTTP parsing). The trivial
view is measured before, between and after the scenarios, so a drift in the
machine shows. With a profile directory, each scenario's requests are also
profiled (pyinstrument HTML, or cProfile .prof without pyinstrument) in a
separate pass, so the profiler's overhead never enters the figures.

Input: a JSON file {"requests": n, "profile_dir": str|null, "scenarios": [
{"name", "path", "method", "cookie", "content_type", "bodies", "expect",
"marker"}]}. Output: one line "CPU=" + JSON."""

import json
import re
import statistics
import time
from pathlib import Path

from django.core.management.base import BaseCommand
from django.test import Client

BASELINE = {
    "name": "baseline: trivial view (redirect)",
    "path": "/favicon.ico",
    "method": "GET",
    "cookie": None,
    "content_type": None,
    "bodies": [""],
    "expect": 301,
    "marker": "favicon",
}
WARM_UP = 3


def _client(cookie):
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    if cookie:
        client.cookies["sessionid"] = cookie
    return client


def _request(client, scenario, n):
    body = scenario["bodies"][n % len(scenario["bodies"])]
    if scenario["method"] == "POST":
        return client.post(
            scenario["path"],
            data=body.encode(),
            content_type=scenario["content_type"] or "application/octet-stream",
        )
    return client.get(scenario["path"])


def _problem(scenario, response) -> str:
    location = response.get("Location", "")
    if response.status_code != scenario["expect"]:
        return f"status {response.status_code}, expected {scenario['expect']}"
    if scenario["marker"]:
        body = (
            b"".join(response.streaming_content)
            if response.streaming
            else response.content
        )
        if scenario["marker"] not in body.decode("utf-8", "replace") + location:
            return f"marker {scenario['marker']!r} not in the response"
    return ""


def measure(scenario, requests: int) -> dict:
    client = _client(scenario["cookie"])
    for n in range(WARM_UP):
        problem = _problem(scenario, _request(client, scenario, n))
        if problem:
            return {"problem": problem, "cpu_ms_median": None, "cpu_ms_all": []}
    samples = []
    queries = []
    problem = ""
    for n in range(requests):
        started = time.process_time()
        response = _request(client, scenario, n)
        samples.append((time.process_time() - started) * 1000)
        if response.has_header("X-Query-Count"):
            queries.append(int(response["X-Query-Count"]))
        problem = problem or _problem(scenario, response)
    return {
        "problem": problem,
        "cpu_ms_median": round(statistics.median(samples), 2),
        "cpu_ms_all": [round(s, 2) for s in samples],
        "queries": max(queries) if queries else None,
    }


def profile(scenario, requests: int, directory: Path, number: int) -> str:
    client = _client(scenario["cookie"])
    _request(client, scenario, 0)
    slug = f"{number:02d}-" + (
        re.sub(r"[^A-Za-z0-9]+", "-", scenario["name"]).strip("-")[:60] or "page"
    )
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        for n in range(requests):
            _request(client, scenario, n)
        profiler.disable()
        path = directory / f"{slug}.prof"
        profiler.dump_stats(path)
        return str(path)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for n in range(requests):
        _request(client, scenario, n)
    profiler.stop()
    path = directory / f"{slug}.html"
    path.write_text(profiler.output_html(), encoding="utf-8")
    # The same profile as text, to read in a terminal.
    (directory / f"{slug}.txt").write_text(
        profiler.output_text(unicode=True, show_all=False), encoding="utf-8"
    )
    return str(path)


class Command(BaseCommand):
    help = "CPU ms per request of the bench scenarios, one process (bench only)."

    def add_arguments(self, parser):
        parser.add_argument("spec")

    def handle(self, *args, spec, **options):
        spec = json.loads(Path(spec).read_text(encoding="utf-8"))
        requests = spec["requests"]
        scenarios = spec["scenarios"]
        directory = Path(spec["profile_dir"]) if spec.get("profile_dir") else None
        if directory:
            directory.mkdir(parents=True, exist_ok=True)
        baseline = []
        results = {}
        half = len(scenarios) // 2
        baseline.append(measure(BASELINE, requests * 4)["cpu_ms_median"])
        for n, scenario in enumerate(scenarios):
            if n == half:
                baseline.append(measure(BASELINE, requests * 4)["cpu_ms_median"])
            results[scenario["name"]] = measure(scenario, requests)
            if directory:
                results[scenario["name"]]["profile"] = profile(
                    scenario, requests, directory, n + 1
                )
        baseline.append(measure(BASELINE, requests * 4)["cpu_ms_median"])
        self.stdout.write(
            "CPU="
            + json.dumps(
                {"baseline_ms": baseline, "scenarios": results}, ensure_ascii=False
            )
        )
