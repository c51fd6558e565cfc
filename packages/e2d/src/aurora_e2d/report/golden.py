"""A golden metric's verdict, declared once: the ratchet (gates) and the report's badges both ask here.

A metric is worse than its golden beyond tolerance when its shortfall in the
metric's better direction exceeds the absolute tolerance by more than float
rounding (golden 0.06, tolerance 0.01, value 0.07 is within). A direction
other than ``higher``/``lower`` is not guessed: the caller refuses it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import assert_never

__all__ = ["ROUNDING", "Direction", "worse_beyond_tolerance"]

ROUNDING = 1e-12  # relative slack, times max(1, |golden|)


class Direction(StrEnum):
    HIGHER = "higher"  # a larger value is better (sharpe_ratio, max_drawdown: negative, nearer 0)
    LOWER = "lower"  # a smaller value is better (annual_volatility, turnover)


def worse_beyond_tolerance(golden: float, value: float, direction: Direction, tolerance: float) -> bool:
    """Worse than ``golden`` by more than ``tolerance``; a shortfall equal to it (to rounding) passes."""
    match direction:
        case Direction.HIGHER:
            shortfall = golden - value
        case Direction.LOWER:
            shortfall = value - golden
        case _:
            assert_never(direction)
    return shortfall - tolerance > ROUNDING * max(1.0, abs(golden))
