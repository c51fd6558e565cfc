"""Trivial baselines of the run's own universe over the run's own sessions, and alpha/beta against them.

A strategy earns its complexity only if it beats holding the universe it
trades, so both the report and `aurora bless` measure two baselines on the
total-return closes (``close_tr`` of bars.parquet), without costs:

- equal-weight: every session each symbol with a close on both ends of the
  interval gets the same weight (rebalanced daily); no symbol, no return (cash);
- buy-and-hold: equal dollars in every symbol that has a bar at the first
  session, never traded again. Symbols that list later never join (a holder
  does not trade); a symbol whose bars stop is held as cash at its last close.

Alpha and beta follow empyrical (252 periods, risk-free 0): beta is the
covariance with the factor over its variance (population moments, NaN
skipped), alpha the annualised mean of ``r - beta x factor``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
from numpy.typing import ArrayLike

from aurora_e2d.report import metrics
from aurora_e2d.report._grid import symbol_columns

__all__ = ["Baselines", "Figures", "alpha", "baselines", "beta", "figures"]


@dataclass(frozen=True, slots=True)
class Baselines:
    """Daily returns of both baselines, one per session after the first (aligned with the run's)."""

    dates: list[date]  # the sessions; returns are dated by their end: dates[1:]
    equal_weight: np.ndarray
    buy_and_hold: np.ndarray
    held: tuple[str, ...]  # the buy-and-hold names (those with a bar at the first session)


def _closes(bars: pl.DataFrame, sessions: Sequence[date]) -> tuple[list[str], np.ndarray]:
    """A sessions x symbols matrix of close_tr (NaN where a symbol has no bar)."""
    frame = bars.select("date", "symbol", "close_tr").filter(pl.col("date").is_in(list(sessions)))
    symbols = frame["symbol"].unique().sort().to_list()  # not a Python string per bar (5 M at 2,000 x 10 y)
    grid = np.full((len(sessions), len(symbols)), np.nan)
    if frame.height:
        row = pl.Series(list(sessions), dtype=pl.Date).search_sorted(frame["date"]).to_numpy()
        col = symbol_columns(symbols, frame["symbol"])
        grid[row, col] = frame["close_tr"].to_numpy()
    return symbols, grid


def baselines(bars: pl.DataFrame, sessions: Sequence[date]) -> Baselines:
    """Equal-weight and buy-and-hold returns over ``sessions`` (sorted) from the run's bars."""
    sessions = sorted(sessions)
    symbols, close = _closes(bars, sessions)
    if len(sessions) < 2 or not symbols:
        empty = np.zeros(max(len(sessions) - 1, 0))
        return Baselines(list(sessions), empty, empty.copy(), ())
    with np.errstate(invalid="ignore", divide="ignore"):
        moves = close[1:] / close[:-1] - 1.0
    known = np.isfinite(moves)
    counts = known.sum(axis=1)
    equal_weight = np.where(counts > 0, np.where(known, moves, 0.0).sum(axis=1) / np.maximum(counts, 1), 0.0)
    first = np.isfinite(close[0])
    carried = pl.DataFrame(close[:, first]).fill_null(strategy="forward").to_numpy() if first.any() else None
    if carried is None:
        buy_and_hold = np.zeros(len(sessions) - 1)
    else:
        value = (carried / carried[0]).mean(axis=1)
        buy_and_hold = value[1:] / value[:-1] - 1.0
    held = tuple(s for s, keep in zip(symbols, first, strict=True) if keep)
    return Baselines(list(sessions), equal_weight, buy_and_hold, held)


def beta(returns: ArrayLike, factor: ArrayLike) -> float:
    """empyrical's beta: population covariance over population variance, pairs with a NaN skipped."""
    r = np.asarray(returns, dtype=np.float64)
    f = np.asarray(factor, dtype=np.float64)
    keep = np.isfinite(r) & np.isfinite(f)
    if keep.sum() < 2:
        return float("nan")
    r, f = r[keep], f[keep]
    residual = f - f.mean()
    variance = float(np.mean(residual * residual))
    return float(np.mean(residual * r) / variance) if variance > 0 else float("nan")


def alpha(returns: ArrayLike, factor: ArrayLike) -> float:
    """empyrical's alpha: (1 + mean(r - beta x factor)) ** 252 - 1."""
    r = np.asarray(returns, dtype=np.float64)
    f = np.asarray(factor, dtype=np.float64)
    b = beta(r, f)
    if not np.isfinite(b):
        return float("nan")
    keep = np.isfinite(r) & np.isfinite(f)
    excess = float(np.mean(r[keep] - b * f[keep]))
    return float((1.0 + excess) ** metrics.PERIODS_PER_YEAR - 1.0)


@dataclass(frozen=True, slots=True)
class Figures:
    """One row of the benchmark table (None where undefined)."""

    name: str
    annual_return: float | None
    annual_volatility: float | None
    sharpe_ratio: float | None
    max_drawdown: float | None
    beta: float | None  # against equal-weight
    alpha: float | None  # against equal-weight, annualised

    def as_dict(self) -> dict[str, float | None]:
        return {
            "annual_return": self.annual_return,
            "annual_volatility": self.annual_volatility,
            "sharpe_ratio": self.sharpe_ratio,
            "max_drawdown": self.max_drawdown,
            "beta": self.beta,
            "alpha": self.alpha,
        }


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def figures(name: str, returns: ArrayLike, equal_weight: ArrayLike) -> Figures:
    """Return, volatility, Sharpe, drawdown (empyrical) and alpha/beta against equal-weight."""
    r = np.asarray(returns, dtype=np.float64)
    return Figures(
        name=name,
        annual_return=_finite(metrics.annual_return(r)),
        annual_volatility=_finite(metrics.annual_volatility(r)),
        sharpe_ratio=_finite(metrics.sharpe_ratio(r)),
        max_drawdown=_finite(metrics.max_drawdown(r)),
        beta=_finite(beta(r, equal_weight)),
        alpha=_finite(alpha(r, equal_weight)),
    )
