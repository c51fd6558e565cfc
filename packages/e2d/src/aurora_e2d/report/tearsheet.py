"""The tear-sheet numbers a quant reads first: monthly returns, drawdown periods, rolling Sharpe.

Pure functions of the equity curve (numpy only), with pyfolio's usual
definitions: a drawdown period runs from a peak to the session equity first
gets back to it (the recovery), through its trough; a rolling Sharpe uses
the same definition as ``metrics.sharpe_ratio`` over each window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from aurora_e2d.report import metrics

__all__ = [
    "ROLLING_SESSIONS",
    "DrawdownPeriod",
    "MonthlyReturns",
    "drawdown_periods",
    "monthly_returns",
    "rolling_sharpe",
]

ROLLING_SESSIONS = 126  # half a year of sessions


@dataclass(frozen=True, slots=True)
class MonthlyReturns:
    """Compounded returns per (year, month) and per year; None where the run has no session."""

    years: list[int]
    by_month: dict[int, list[float | None]]  # year -> 12 values
    by_year: dict[int, float]


def monthly_returns(dates: Sequence[date], returns: np.ndarray) -> MonthlyReturns:
    """``returns[i]`` is dated ``dates[i]`` (a session's return is booked at its close)."""
    if len(dates) != len(returns):
        raise ValueError(f"dates and returns differ in length: {len(dates)} and {len(returns)}")
    growth: dict[tuple[int, int], float] = {}
    for day, r in zip(dates, returns, strict=True):
        key = (day.year, day.month)
        growth[key] = growth.get(key, 1.0) * (1.0 + float(r))
    years = sorted({y for y, _ in growth})
    by_month = {y: [growth[(y, m)] - 1.0 if (y, m) in growth else None for m in range(1, 13)] for y in years}
    by_year = {
        y: float(np.prod([growth[(y, m)] for m in range(1, 13) if (y, m) in growth])) - 1.0 for y in years
    }
    return MonthlyReturns(years, by_month, by_year)


@dataclass(frozen=True, slots=True)
class DrawdownPeriod:
    peak: date  # the last session at the running high before the fall
    trough: date
    recovery: date | None  # first session back at the peak's equity; None: not recovered by the end
    depth: float  # trough / peak - 1 (negative)
    sessions: int  # from peak to recovery (or to the last session when not recovered)


def drawdown_periods(dates: Sequence[date], equity: np.ndarray, top: int = 5) -> list[DrawdownPeriod]:
    """The ``top`` deepest peak-to-recovery periods, deepest first (ties: earlier first)."""
    eq = np.asarray(equity, dtype=np.float64)
    periods: list[DrawdownPeriod] = []
    peak_index = 0
    i = 1
    n = len(eq)
    while i < n:
        if eq[i] >= eq[peak_index]:
            peak_index = i
            i += 1
            continue
        start = peak_index
        j = i
        while j < n and eq[j] < eq[start]:
            j += 1
        trough = start + 1 + int(np.argmin(eq[start + 1 : j]))
        recovered = j < n
        end = j if recovered else n - 1
        periods.append(
            DrawdownPeriod(
                peak=dates[start],
                trough=dates[trough],
                recovery=dates[j] if recovered else None,
                depth=float(eq[trough] / eq[start] - 1.0),
                sessions=end - start,
            )
        )
        peak_index = j if recovered else start
        i = j + 1 if recovered else n
    order = sorted(range(len(periods)), key=lambda k: (periods[k].depth, k))
    return [periods[k] for k in order[:top]]


def rolling_sharpe(returns: np.ndarray, window: int = ROLLING_SESSIONS) -> np.ndarray:
    """Sharpe of each trailing ``window`` of returns (NaN before a full window), as metrics.sharpe_ratio."""
    r = np.asarray(returns, dtype=np.float64)
    out = np.full(r.size, np.nan)
    if window < 2:
        raise ValueError(f"'window' must be >= 2, was {window}")
    for end in range(window, r.size + 1):
        out[end - 1] = metrics.sharpe_ratio(r[end - window : end])
    return out
