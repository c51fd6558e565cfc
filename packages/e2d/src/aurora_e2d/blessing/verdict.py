"""A blessing's verdict: each check's result, the two runs' identities, the thresholds; blessing.json.

The candidate's run directory keeps ``blessing.json`` beside its report and
lists it in its manifest (with the re-rendered report's new hash), so the
run still verifies against its manifest after it was blessed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aurora_e2d.rundir.artifacts import atomic_write_bytes
from aurora_e2d.rundir.layout import BLESSING_FILE

__all__ = ["BLESSING_FILE", "FORMAT_VERSION", "Blessing", "CheckResult"]

FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One blessing check: what it requires, whether the candidate met it, and the numbers that decided."""

    name: str
    requirement: str  # one line, with the thresholds in it
    passed: bool
    message: str  # one line: the decisive numbers (every shortfall when it failed)
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "requirement": self.requirement,
            "passed": self.passed,
            "message": self.message,
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True, slots=True)
class Blessing:
    candidate: Mapping[str, Any]
    champion: Mapping[str, Any]
    window: Mapping[str, Any]
    thresholds: Mapping[str, Any]
    thresholds_source: str
    checks: tuple[CheckResult, ...]
    # the candidate's probabilistic and deflated Sharpe ratios (reported, not a check), or why not
    sharpe: Mapping[str, Any] = field(default_factory=dict)

    @property
    def blessed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]

    def as_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "blessed": self.blessed,
            "failed": [c.name for c in self.failed],
            "candidate": dict(self.candidate),
            "champion": dict(self.champion),
            "window": dict(self.window),
            "thresholds": dict(self.thresholds),
            "thresholds_source": self.thresholds_source,
            "checks": [c.as_dict() for c in self.checks],
            "sharpe_inference": dict(self.sharpe),
        }

    def to_bytes(self) -> bytes:
        return (json.dumps(self.as_dict(), indent=2, sort_keys=True, default=str) + "\n").encode()

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, self.to_bytes())
        return path
