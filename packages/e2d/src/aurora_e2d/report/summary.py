"""summary.json: the run's metrics (deterministic) and its performance (measured).

`metrics` come from the equity the broker really booked (fills, commission,
slippage), plus the model's IC and the order fill rate; they are what the
ratchet compares with goldens. `performance` (latency, memory) is wall-clock
and machine dependent, kept apart so it never enters a golden.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from aurora_e2d.report import metrics
from aurora_e2d.report._grid import symbol_columns
from aurora_e2d.report.portfolio import STARTING_EQUITY_USD, PositionCaps, simulate
from aurora_e2d.rundir.artifacts import atomic_write_bytes
from aurora_e2d.rundir.layout import SUMMARY_FILE
from aurora_safety import Limits

SUMMARY = SUMMARY_FILE


def fill_rate(orders: pl.DataFrame) -> float | None:
    """Filled (wholly or partly) orders over accepted orders that met an open; None if none did.

    Orders still open at the end (placed at the last session, waiting for the next open)
    have not had their chance yet and are left out.
    """
    accepted = orders.filter((pl.col("route_status") == "accepted") & (pl.col("status") != "ACCEPTED"))
    if accepted.height == 0:
        return None
    filled = accepted.filter(pl.col("filled_quantity") > 0).height
    return filled / accepted.height


def scored_rows(
    predictions: pl.DataFrame, features: pl.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The IC's rows: each prediction's session (days), value (float64) and its row's label, in the
    predictions' order; a prediction without a features row is left out, as an inner join would.

    Matched by one int64 key per row (the symbol's index among the sorted names, then the day) and
    a binary search in the features' sorted keys, not a hash join on (string, date): at 2,000 x 10 y
    the join's tables held ~770 MB over 3.5 M x 5 M rows, the summary stage's peak; these keys
    ~100 MB. Both artifacts are unique by (symbol, date), so each prediction has at most one label.
    """
    names = pl.concat([predictions["symbol"].unique(), features["symbol"].unique()]).unique().sort().to_list()

    def keys(frame: pl.DataFrame) -> np.ndarray:
        code = symbol_columns(names, frame["symbol"])
        days = frame["date"].to_physical().to_numpy().astype(np.int64)
        return (code << 32) + (days + 2**31)  # ordered as (symbol, date)

    wanted, held = keys(predictions), keys(features)
    labels = features["label"].to_numpy()
    if held.size > 1 and not bool(np.all(held[1:] >= held[:-1])):  # canonical files are sorted already
        order = np.argsort(held, kind="stable")
        held, labels = held[order], labels[order]
    at = np.minimum(np.searchsorted(held, wanted), max(held.size - 1, 0))
    found = held[at] == wanted if held.size else np.zeros(wanted.size, dtype=bool)
    sessions = predictions["date"].to_physical().to_numpy()[found]
    predicted = predictions["prediction"].cast(pl.Float64).to_numpy()[found]
    return sessions, predicted, labels[at[found]]


def run_metrics(
    equity: pl.DataFrame,
    orders: pl.DataFrame,
    predictions: pl.DataFrame,
    features: pl.DataFrame,
) -> dict[str, float | None]:
    returns = equity["daily_return"].drop_nulls().to_numpy()
    sessions, predicted, realised = scored_rows(predictions, features)
    values = metrics.summarise(
        returns,
        equity["turnover"].to_numpy()[1:],
        ic_sessions=sessions,
        ic_predictions=predicted,
        ic_realised=realised,
    )
    values["fill_rate"] = fill_rate(orders)
    return values


def frictionless_returns(
    decisions: pl.DataFrame,
    bars: pl.DataFrame,
    *,
    equity: pl.DataFrame | None = None,
    limits: Limits | None = None,
) -> np.ndarray:
    """Daily returns of the same strategy without costs or order flow (the idealised book).

    With the run's ``equity`` the reference covers the same sessions from the same starting equity
    (a run halted after 42 sessions is compared over those 42); with its ``limits`` it holds the same
    position caps. Without them it is the uncapped book over every decision session. The report
    plots this very series: the job hands it over rather than simulating the book twice.
    """
    sessions = None if equity is None else equity["date"].to_list()
    start = (
        STARTING_EQUITY_USD
        if equity is None or equity.height == 0
        else float(equity.sort("date")["equity"][0])
    )
    caps = None if limits is None else PositionCaps.of(limits)
    book = simulate(decisions, bars, starting_equity_usd=start, sessions=sessions, caps=caps)
    return book["daily_return"].drop_nulls().to_numpy()


def idealised_metrics(returns: np.ndarray) -> dict[str, float | None]:
    """summary.json's ``frictionless`` block: the gap to ``metrics`` is implementation cost."""
    return {
        "annual_return": _finite(metrics.annual_return(returns)),
        "sharpe_ratio": _finite(metrics.sharpe_ratio(returns)),
        "max_drawdown": _finite(metrics.max_drawdown(returns)),
    }


def performance(latencies_ms: tuple[float, ...], peak_rss_mb: float) -> dict[str, float | None]:
    lat = np.asarray(latencies_ms, dtype=np.float64)
    return {
        "decision_latency_ms_p50": _finite(metrics.percentile(lat, 50)) if lat.size else None,
        "decision_latency_ms_p99": _finite(metrics.percentile(lat, 99)) if lat.size else None,
        "peak_rss_mb": round(peak_rss_mb, 1),
    }


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def write_summary(run_dir: Path, payload: dict[str, Any]) -> Path:
    path = run_dir / SUMMARY
    atomic_write_bytes(path, (json.dumps(payload, indent=2, sort_keys=True) + "\n").encode())
    return path
