"""What the report reads from the repository, not the run: golden metrics and gate reports."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["GoldenMetric", "gate_reports", "load_goldens", "read_json"]


def read_json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


@dataclass(frozen=True, slots=True)
class GoldenMetric:
    value: float | None
    direction: str
    tolerance: float

    def verdict(self, value: float | None) -> str:
        """``pass`` / ``FAIL`` like the ratchet (absolute tolerance); ``no golden`` when unset."""
        if self.value is None:
            return "no golden"
        if value is None or not math.isfinite(value):
            return "FAIL"
        slack = self.tolerance + 1e-12 * max(1.0, abs(self.value))
        worse = self.value - value if self.direction == "higher" else value - self.value
        return "pass" if worse <= slack else "FAIL"


def load_goldens(repo: Path | None) -> dict[str, GoldenMetric]:
    path = None if repo is None else repo / "goldens" / "metrics.json"
    if path is None or not path.is_file():
        return {}
    raw = read_json(path).get("metrics", {})
    return {
        name: GoldenMetric(
            spec.get("value"), str(spec.get("direction", "higher")), float(spec.get("tolerance", 0.0))
        )
        for name, spec in sorted(raw.items())
        if isinstance(spec, dict)
    }


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
