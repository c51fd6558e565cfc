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


def run_metrics(
    equity: pl.DataFrame,
    orders: pl.DataFrame,
    predictions: pl.DataFrame,
    features: pl.DataFrame,
) -> dict[str, float | None]:
    returns = equity["daily_return"].drop_nulls().to_numpy()
    scored = predictions.join(features.select("symbol", "date", "label"), on=["symbol", "date"], how="inner")
    values = metrics.summarise(
        returns,
        equity["turnover"].to_numpy()[1:],
        ic_sessions=scored["date"].to_physical().to_numpy(),
        ic_predictions=scored["prediction"].cast(pl.Float64).to_numpy(),
        ic_realised=scored["label"].to_numpy(),
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
