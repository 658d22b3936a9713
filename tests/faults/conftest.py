"""Print the fault suite's reliability figures at the end of the run."""

import json
from pathlib import Path

FIGURES_FILE = Path(__file__).resolve().parents[2] / "var" / "reliability.json"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from tests.faults.test_faults import FIGURES

    if not FIGURES:
        return
    terminalreporter.section("reliability (tests/faults)")
    summary = FIGURES.get("summary") or FIGURES.get("worker_kills", {})
    for key in ("records_lost", "records_doubled", "jobs_stuck"):
        if key in summary:
            terminalreporter.write_line(f"{key}: {summary[key]}")
    for name, figures in FIGURES.items():
        if name != "summary":
            terminalreporter.write_line(
                f"{name}: {json.dumps(figures, ensure_ascii=False)}"
            )
    terminalreporter.write_line(f"written to {FIGURES_FILE}")
