"""The frictionless reference ("idealised close-to-close"): the same decisions without costs, fills or cash.

It is another execution model, not this run minus its costs, so the report never calls it "before costs".

Weights decided at one decision session's close are held, untouched, to the
next decision session's close and earn the total-return (``close_tr``) move
of each symbol over that interval. The gap between this book and the one the
broker booked is what execution cost -- but only if both books are held to
the same policy: with ``caps`` every weight is cut as the planner cuts it
(position notional, then gross exposure, in USD of this book's own equity,
at the planner's headroom), and with ``sessions`` the book covers exactly the
sessions the run committed (a halted run stops its reference where it stopped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
import pyarrow as pa

from aurora_broker import BrokerConfig
from aurora_e2d.report._grid import symbol_columns
from aurora_safety import Limits

__all__ = ["SIMULATED_EQUITY_SCHEMA", "STARTING_EQUITY_USD", "PositionCaps", "simulate"]

STARTING_EQUITY_USD = BrokerConfig().starting_cash_usd  # the paper account the engine trades
SIMULATED_EQUITY_SCHEMA = pa.schema(
    [
        pa.field("date", pa.date32(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("daily_return", pa.float64(), nullable=True),  # null on the first row: nothing held yet
        pa.field("equity", pa.float64(), nullable=False),  # USD, after this session's return
        pa.field("gross_exposure", pa.float64(), nullable=False),  # sum |w| decided at this close
        pa.field("turnover", pa.float64(), nullable=False),  # sum |w - w_previous| / 2 at this close
    ]
)


@dataclass(frozen=True, slots=True)
class PositionCaps:
    """The planner's position caps in USD (already times its headroom): what sizes a real book."""

    position_usd: float  # per symbol
    gross_usd: float  # sum over symbols

    @classmethod
    def of(cls, limits: Limits) -> PositionCaps:
        """From the run's limits at the planner's ``HEADROOM`` (declared once, in the planner)."""
        from aurora_e2d.engine.orderplan import HEADROOM

        return cls(HEADROOM * limits.max_position_notional_usd, HEADROOM * limits.max_gross_exposure_usd)


def _capped_returns(weights: np.ndarray, moves: np.ndarray, start: float, caps: PositionCaps) -> np.ndarray:
    """Cut each row of ``weights`` (in place) to the caps at that close's equity; the session returns."""
    returns = np.zeros(len(moves))
    equity = start
    for i in range(len(weights)):
        row = np.minimum(weights[i], caps.position_usd / equity)
        gross = float(row.sum())
        if gross * equity > caps.gross_usd:
            row = row * (caps.gross_usd / (gross * equity))
        weights[i] = row
        if i < len(moves):
            held = row != 0.0
            returns[i] = float(np.where(held, row * np.where(held, moves[i], 0.0), 0.0).sum())
            equity *= 1.0 + returns[i]
    return returns


def _wide(frame: pl.DataFrame, value: str, dates: pl.Series, symbols: list[str], fill: float) -> np.ndarray:
    """A dates x symbols float64 matrix of ``value``, ``fill`` where a pair has no row."""
    grid = np.full((dates.len(), len(symbols)), fill)
    row = dates.search_sorted(frame["date"]).to_numpy()
    col = symbol_columns(symbols, frame["symbol"])
    grid[row, col] = frame[value].cast(pl.Float64).to_numpy()
    return grid


def simulate(
    decisions: pl.DataFrame,
    bars: pl.DataFrame,
    *,
    starting_equity_usd: float = STARTING_EQUITY_USD,
    sessions: Sequence[date] | None = None,
    caps: PositionCaps | None = None,
) -> pl.DataFrame:
    """One ``SIMULATED_EQUITY_SCHEMA`` row per decision session (only those in ``sessions`` if given), in date order.

    A held symbol (weight != 0) must have a bar at both ends of the interval;
    otherwise its return is unknown and this raises ``ValueError``.
    """
    if not starting_equity_usd > 0:
        raise ValueError(f"'starting_equity_usd' must be > 0, was {starting_equity_usd!r}")
    if sessions is not None:
        decisions = decisions.filter(pl.col("date").is_in(list(sessions)))
    if decisions.height == 0:
        empty = pl.from_arrow(SIMULATED_EQUITY_SCHEMA.empty_table())
        assert isinstance(empty, pl.DataFrame)
        return empty
    per_date = decisions.group_by("date").agg(pl.col("ts").first()).sort("date")
    dates = per_date["date"]
    symbols = decisions["symbol"].unique().sort().to_list()  # not a Python string per decision
    weights = _wide(decisions, "target_weight", dates, symbols, 0.0)
    held_bars = bars.select("symbol", "date", "close_tr").filter(
        pl.col("date").is_in(dates.implode()) & pl.col("symbol").is_in(symbols)
    )
    close = _wide(held_bars, "close_tr", dates, symbols, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        moves = close[1:] / close[:-1] - 1.0
    held = weights[:-1] != 0.0
    unknown = held & ~np.isfinite(moves)
    if unknown.any():
        i, j = (int(k) for k in np.argwhere(unknown)[0])
        raise ValueError(
            f"portfolio: no close_tr for held symbol {symbols[j]!r} between {dates[i]} and {dates[i + 1]}"
        )
    if caps is None:
        returns = np.where(held, weights[:-1] * np.where(held, moves, 0.0), 0.0).sum(axis=1)
    else:
        returns = _capped_returns(weights, moves, starting_equity_usd, caps)
    equity = starting_equity_usd * np.cumprod(np.concatenate(([1.0], 1.0 + returns)))
    previous = np.vstack([np.zeros((1, len(symbols))), weights[:-1]])
    return pl.DataFrame(
        {
            "date": dates,
            "ts": per_date["ts"],
            "daily_return": pl.Series([None, *returns.tolist()], dtype=pl.Float64),
            "equity": equity,
            "gross_exposure": np.abs(weights).sum(axis=1),
            "turnover": np.abs(weights - previous).sum(axis=1) / 2.0,
        }
    )
