"""Which packages the nightly mutates, and the score each must reach: declared once here.

``python -m aurora_gates.mutation`` takes a package's threshold from here
unless ``--threshold`` overrides it, and ``aurora gate l1`` checks one report
per target against the same number.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TARGETS", "MutationTarget", "target"]


@dataclass(frozen=True)
class MutationTarget:
    package: str  # directory name under packages/
    threshold: float  # minimum raw score in [0, 1]
    covers: str  # what is mutated, for the gate's one-line statement


TARGETS = (
    MutationTarget("e2d", 0.80, "the metrics math and data sanity"),
    MutationTarget("safety", 0.90, "the kill switch, pre-trade checks, throttle and circuit breakers"),
)


def target(package: str) -> MutationTarget | None:
    return next((t for t in TARGETS if t.package == package), None)
