"""Stage 8 (interim): a frictionless portfolio, so metrics exist before real execution.

Weights decided at one decision session's close are held, untouched, to the
next decision session's close and earn the total-return (``close_tr``) move
of each symbol over that interval: no costs, no fills, no cash drag. The
execution issue replaces this with real order flow; keep it small.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

__all__ = ["EQUITY_SCHEMA", "STARTING_EQUITY_USD", "simulate"]

STARTING_EQUITY_USD = 1_000_000.0
EQUITY_SCHEMA = pa.schema(
    [
        pa.field("date", pa.date32(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("daily_return", pa.float64(), nullable=True),  # null on the first row: nothing held yet
        pa.field("equity", pa.float64(), nullable=False),  # USD, after this session's return
        pa.field("gross_exposure", pa.float64(), nullable=False),  # sum |w| decided at this close
        pa.field("turnover", pa.float64(), nullable=False),  # sum |w - w_previous| / 2 at this close
    ]
)


def _wide(frame: pl.DataFrame, value: str, dates: pl.Series, symbols: list[str], fill: float) -> np.ndarray:
    """A dates x symbols float64 matrix of ``value``, ``fill`` where a pair has no row."""
    grid = np.full((dates.len(), len(symbols)), fill)
    row = dates.search_sorted(frame["date"]).to_numpy()
    col = pl.Series(symbols).search_sorted(frame["symbol"]).to_numpy()
    grid[row, col] = frame[value].cast(pl.Float64).to_numpy()
    return grid


def simulate(
    decisions: pl.DataFrame, bars: pl.DataFrame, *, starting_equity_usd: float = STARTING_EQUITY_USD
) -> pl.DataFrame:
    """One ``EQUITY_SCHEMA`` row per decision session, in date order.

    A held symbol (weight != 0) must have a bar at both ends of the interval;
    otherwise its return is unknown and this raises ``ValueError``.
    """
    if not starting_equity_usd > 0:
        raise ValueError(f"'starting_equity_usd' must be > 0, was {starting_equity_usd!r}")
    if decisions.height == 0:
        empty = pl.from_arrow(EQUITY_SCHEMA.empty_table())
        assert isinstance(empty, pl.DataFrame)
        return empty
    per_date = decisions.group_by("date").agg(pl.col("ts").first()).sort("date")
    dates = per_date["date"]
    symbols = sorted(set(decisions["symbol"].to_list()))
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
    returns = np.where(held, weights[:-1] * np.where(held, moves, 0.0), 0.0).sum(axis=1)
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
