"""What the report reads from the repository, not the run: golden metrics and gate reports."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aurora_e2d.report.golden import Direction, worse_beyond_tolerance

__all__ = ["GoldenMetric", "Goldens", "gate_reports", "golden_snapshot", "load_goldens", "read_json"]


def read_json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


@dataclass(frozen=True, slots=True)
class GoldenMetric:
    value: float | None
    direction: Direction | None  # None: the goldens name no known direction (never guessed)
    tolerance: float

    def verdict(self, value: float | None) -> str:
        """``pass`` / ``FAIL`` exactly as the ratchet judges; ``no golden`` when unset."""
        if self.value is None:
            return "no golden"
        if self.direction is None:
            return "bad golden"
        if value is None or not math.isfinite(value):
            return "FAIL"
        return "FAIL" if worse_beyond_tolerance(self.value, value, self.direction, self.tolerance) else "pass"


@dataclass(frozen=True, slots=True)
class Goldens:
    """The golden metrics a run may be judged against, or why there are none for it."""

    metrics: dict[str, GoldenMetric]
    note: str  # where they come from, or why the run is not compared


def golden_snapshot(repo: Path, recorded: Any) -> str | None:
    """The lock sha256 of the snapshot the goldens belong to: recorded in them, else the bundled one's."""
    if isinstance(recorded, str) and recorded:
        return recorded
    from aurora_e2d.core.errors import InputError
    from aurora_e2d.core.paths import SNAPSHOT_RELPATH
    from aurora_e2d.data.ingest import load_lock

    try:
        return load_lock(repo / SNAPSHOT_RELPATH)[1]
    except InputError:
        return None


def load_goldens(repo: Path | None, run_snapshot: str | None) -> Goldens:
    """Goldens of the run's own snapshot (``run_snapshot``: its lock sha256) only.

    Goldens judge one snapshot's run; a run on the team's own data compared with the
    bundled demo's figures would show red badges that mean nothing (issue 16).
    """
    if repo is None:
        return Goldens({}, "no goldens/metrics.json found")
    from aurora_e2d.core.reference import locate_goldens
    from aurora_safety import AuroraError

    try:
        directory = locate_goldens(repo).directory  # the team's reference (aurora.toml), else bundled
    except AuroraError as error:
        return Goldens({}, f"goldens not compared: {error}")
    path = directory / "metrics.json"
    if not path.is_file():
        return Goldens({}, f"no {path} found")
    data = read_json(path)
    reference = data.get("reference")
    recorded = reference.get("snapshot_lock_sha256") if isinstance(reference, dict) else None
    theirs = golden_snapshot(repo, recorded or data.get("snapshot_lock_sha256"))
    if run_snapshot is None or theirs != run_snapshot:
        return Goldens(
            {},
            f"the goldens belong to snapshot {str(theirs)[:12]}, this run read snapshot "
            f"{str(run_snapshot)[:12]}: not compared",
        )
    raw = data.get("metrics", {})
    metrics = {
        name: GoldenMetric(
            spec.get("value"), _direction(spec.get("direction")), float(spec.get("tolerance", 0.0))
        )
        for name, spec in sorted(raw.items())
        if isinstance(spec, dict)
    }
    return Goldens(metrics, f"{path.parent.name}/metrics.json (snapshot {run_snapshot[:12]}, this run's)")


def _direction(raw: object) -> Direction | None:
    try:
        return Direction(raw)
    except ValueError:
        return None


def gate_reports(repo: Path | None, revision: str | None) -> tuple[list[dict[str, Any]], list[str]]:
    """Gate reports for this revision, and the names of those that belong to another revision."""
    if repo is None or not (repo / "reports").is_dir():
        return [], []
    current, stale = [], []
    for path in sorted((repo / "reports").glob("gate-*.json")):
        try:
            data = read_json(path)
        except (OSError, ValueError):
            stale.append(f"{path.name} (unreadable)")
            continue
        if revision is not None and data.get("revision") == revision:
            current.append(data)
        else:
            stale.append(f"{path.name} (revision {str(data.get('revision'))[:12]})")
    return current, stale
