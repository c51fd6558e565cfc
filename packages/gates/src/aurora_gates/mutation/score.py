"""Scoring a mutation run: the raw score decides; equivalent mutants are reported beside it.

The score is mutmut's own ``(killed + timeout) / (total - skipped)``, with
nothing subtracted, so a list of "equivalent" mutants can never talk a weak
suite into passing; ``score_excluding_equivalent`` only tells a reader how
much of the gap is explained.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aurora_gates.mutation.counts import MutationError, MutationStats

__all__ = ["DEFAULT_THRESHOLD", "FORMULA", "Mutant", "MutationResult", "evaluate"]

DEFAULT_THRESHOLD = 0.8
FORMULA = "(killed + timeout) / (total - skipped)"


@dataclass(frozen=True)
class Mutant:
    """A mutant that counts against the score (survived, no tests, suspicious, ...)."""

    name: str
    status: str
    diff: str
    equivalent: str | None = None  # the reason from mutation-equivalents.toml, if listed

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "equivalent": self.equivalent, "diff": self.diff}


@dataclass(frozen=True)
class MutationResult:
    passed: bool
    reason: str  # why it failed, or a one-line statement of the pass
    threshold: float
    package: str
    stats: MutationStats | None = None
    score: float | None = None
    score_excluding_equivalent: float | None = None
    survivors: tuple[Mutant, ...] = ()  # every mutant counted against the score, with its diff
    stale_equivalents: Mapping[str, str] = field(default_factory=dict)  # listed but not surviving
    duration_s: float = 0.0
    mutmut_version: str | None = None
    log_path: str | None = None

    @property
    def unexplained(self) -> tuple[Mutant, ...]:
        return tuple(m for m in self.survivors if m.equivalent is None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": "mutation",
            "passed": self.passed,
            "reason": self.reason,
            "package": self.package,
            "threshold": self.threshold,
            "score": self.score,
            "score_excluding_equivalent": self.score_excluding_equivalent,
            "formula": FORMULA,
            "counts": self.stats.as_dict() if self.stats else None,
            "survivors": [m.as_dict() for m in self.survivors],
            "equivalent": {m.name: m.equivalent for m in self.survivors if m.equivalent is not None},
            "unexplained": [m.name for m in self.unexplained],
            "stale_equivalents": dict(self.stale_equivalents),
            "duration_s": round(self.duration_s, 2),
            "mutmut_version": self.mutmut_version,
            "log": self.log_path,
        }


def check_threshold(threshold: float) -> float:
    if not 0.0 <= threshold <= 1.0:
        raise MutationError(f"threshold must be in [0, 1], was {threshold!r}")
    return threshold


def evaluate(
    stats: MutationStats,
    threshold: float,
    *,
    survivors: Sequence[Mutant] = (),
    equivalents: Mapping[str, str] | None = None,
) -> tuple[bool, str, float | None, float | None]:
    """(passed, reason, score, score_excluding_equivalent). The raw score alone decides."""
    check_threshold(threshold)
    if stats.total == 0:
        return False, "mutmut generated 0 mutants: a vacuous run proves nothing", None, None
    score = stats.score
    if score is None:
        return False, f"all {stats.total} mutants were skipped: a vacuous run proves nothing", None, None
    equivalents = equivalents or {}
    n_equivalent = sum(1 for m in survivors if m.name in equivalents)
    remaining = stats.denominator - n_equivalent
    excluding = stats.detected / remaining if remaining > 0 else None
    counted = f"{stats.detected}/{stats.denominator} detected"
    if score >= threshold:
        return True, f"score {score:.1%} >= {threshold:.0%} ({counted})", score, excluding
    missed = stats.denominator - stats.detected
    return False, f"score {score:.1%} < {threshold:.0%} ({counted}, {missed} not)", score, excluding
