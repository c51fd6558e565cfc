"""The comparison: a run's metric may not be worse than its golden beyond tolerance, and an
update moves goldens only the better way (loosening needs an existing ADR).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, assert_never

from aurora_gates.ratchet.goldens import Direction, GoldenMetric, Goldens, RatchetError

__all__ = ["RatchetFinding", "Verdict", "check_adr", "compare", "describe_changes", "update"]

_ADR_NAME = re.compile(r"(\d{4})-[a-z0-9][a-z0-9-]*\.md")


class Verdict(StrEnum):
    OK = "ok"  # equal, better, or worse within tolerance
    WORSE = "worse"  # worse than the golden beyond tolerance
    MISSING = "missing"  # the run has no finite value for the metric
    UNSET = "unset"  # the golden holds no value yet (populate with `aurora ratchet --update`)


@dataclass(frozen=True, slots=True, kw_only=True)
class RatchetFinding:
    metric: str
    verdict: Verdict
    golden: float | None
    value: float | None
    tolerance: float
    direction: Direction

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.OK

    @property
    def message(self) -> str:
        what = f"{self.direction} is better"
        match self.verdict:
            case Verdict.OK:
                return f"{self.metric}: {self.value!r} vs golden {self.golden!r} (tolerance {self.tolerance!r}, {what})"
            case Verdict.WORSE:
                return (
                    f"{self.metric}: {self.value!r} is worse than golden {self.golden!r} "
                    f"beyond tolerance {self.tolerance!r} ({what})"
                )
            case Verdict.MISSING:
                return f"{self.metric}: missing or null in summary.json (golden {self.golden!r})"
            case Verdict.UNSET:
                return (
                    f"{self.metric}: golden value is unset (null); populate it with `aurora ratchet --update`"
                )
            case _:
                assert_never(self.verdict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "verdict": str(self.verdict),
            "golden": self.golden,
            "value": self.value,
            "tolerance": self.tolerance,
            "direction": str(self.direction),
            "message": self.message,
        }


def _as_goldens(goldens: Goldens | Mapping[str, Any]) -> Goldens:
    return goldens if isinstance(goldens, Goldens) else Goldens.from_dict(goldens)


def _run_value(summary: Mapping[str, Any], metric: str) -> float | None:
    metrics = summary.get("metrics")
    if not isinstance(metrics, Mapping):
        return None
    value = metrics.get(metric)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def compare(summary: Mapping[str, Any], goldens: Goldens | Mapping[str, Any]) -> list[RatchetFinding]:
    """One finding per golden metric, in name order; better or equal always passes."""
    findings = []
    for name, golden in sorted(_as_goldens(goldens).metrics.items()):
        value = _run_value(summary, name)
        if golden.value is None:
            verdict = Verdict.UNSET
        elif value is None:
            verdict = Verdict.MISSING
        elif golden.worse_beyond_tolerance(value):
            verdict = Verdict.WORSE
        else:
            verdict = Verdict.OK
        findings.append(
            RatchetFinding(
                metric=name,
                verdict=verdict,
                golden=golden.value,
                value=value,
                tolerance=golden.tolerance,
                direction=golden.direction,
            )
        )
    return findings


def check_adr(adr: Path) -> Path:
    """An ADR that justifies loosening: an existing docs/adr/NNNN-title.md other than the template."""
    if adr.parent.name != "adr" or adr.parent.parent.name != "docs":
        raise RatchetError(f"'--adr' must name a file under docs/adr/, was '{adr}'")
    match = _ADR_NAME.fullmatch(adr.name)
    if match is None or match.group(1) == "0000":
        raise RatchetError(f"'--adr' must name an ADR docs/adr/NNNN-title.md (not the template), was '{adr}'")
    if not adr.is_file():
        raise RatchetError(f"'--adr' names an ADR that does not exist: '{adr}'")
    return adr


def update(
    goldens: Goldens | Mapping[str, Any],
    summary: Mapping[str, Any],
    *,
    allow_loosen: bool = False,
    adr: Path | None = None,
    baseline: Mapping[str, str] | None = None,
) -> Goldens:
    """New goldens: each metric moves only in its better direction (an unset golden is pinned).

    A worse value replaces its golden only with ``allow_loosen`` and an
    existing ``adr``. ``baseline`` (the flags-off run's artifact hashes, or
    None when the run had a flag on) replaces the pinned baseline hashes.
    Direction and tolerance never change here: edit them in the file, with an ADR.
    """
    current = _as_goldens(goldens)
    if allow_loosen and adr is None:
        raise RatchetError(
            "'--allow-loosen' needs '--adr docs/adr/NNNN-title.md' naming the ADR that justifies it"
        )
    if adr is not None and not allow_loosen:
        raise RatchetError("'--adr' only goes with '--allow-loosen'")
    if adr is not None:
        check_adr(adr)
    metrics: dict[str, GoldenMetric] = {}
    for name, golden in current.metrics.items():
        value = _run_value(summary, name)
        if value is None:
            raise RatchetError(
                f"summary.json: metric '{name}' is missing or null; goldens are not updated from it"
            )
        if golden.value is None or golden.better(value, golden.value) or allow_loosen:
            metrics[name] = replace(golden, value=value)
        else:
            metrics[name] = golden
    hashes = current.baseline_hashes if baseline is None else dict(baseline)
    return Goldens(metrics, dict(sorted(hashes.items())), current.reference)


def describe_changes(old: Goldens, new: Goldens) -> list[str]:
    """One line per golden that moved, saying which way."""
    lines = []
    for name, before in sorted(old.metrics.items()):
        after = new.metrics[name].value
        if after == before.value:
            continue
        if before.value is None:
            kind = "pinned"
        elif after is not None and before.better(after, before.value):
            kind = "tightened"
        else:
            kind = "LOOSENED"
        lines.append(f"{name}: {kind} {before.value!r} -> {after!r} ({before.direction} is better)")
    for name in sorted(set(old.baseline_hashes) | set(new.baseline_hashes)):
        before_sha, after_sha = old.baseline_hashes.get(name), new.baseline_hashes.get(name)
        if before_sha != after_sha:
            lines.append(f"baseline_hashes.{name}: {before_sha} -> {after_sha}")
    return lines
