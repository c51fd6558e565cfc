"""What every benchmark does with its figures: one JSON report under reports/, and a word on the load.

Benchmarks that compare or judge a target want a quiet machine; ``load_note``
says so in one line when the load average says otherwise, and the report
carries the load it was measured at.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

BUSY_PER_CPU = 0.5  # a 1-minute load average above half a core per core: another job is running
LOAD_AT_START = os.getloadavg()  # read as the benchmark starts, before its own work adds to it


def load_note() -> str | None:
    """One line when the machine was busy as the benchmark started (figures then read as ratios)."""
    load, cpus = LOAD_AT_START[0], os.cpu_count() or 1
    if load <= BUSY_PER_CPU * cpus:
        return None
    return (
        f"machine busy: load average {load:.1f} on {cpus} cpus as the benchmark started; "
        "figures are inflated, compare ratios, not targets"
    )


def write_report(path: Path, report: dict[str, Any]) -> None:
    """The benchmark's JSON report (sorted keys, the load at the end), and where it went."""
    report = {**report, "load_avg_at_start": list(LOAD_AT_START), "load_avg_at_end": list(os.getloadavg())}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    wall = report.get("wall_s")
    print(f"\nwrote {path}" + ("" if wall is None else f" (bench wall {wall:.0f} s)"))
    note = load_note()
    if note is not None:
        print(note)
