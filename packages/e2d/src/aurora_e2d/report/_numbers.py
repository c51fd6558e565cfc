"""Every tear-sheet number the report shows beyond summary.json, computed once from the run directory.

The baselines and the idealised close-to-close reference cover the run's own committed
sessions; the idealised book holds the run's position caps (from its
frozen config.json). A run whose config cannot be read still gets a report,
without the parts that need it.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from aurora_e2d import __version__
from aurora_e2d.report import _data as data
from aurora_e2d.report import benchmarks as bench
from aurora_e2d.report import metrics, tearsheet
from aurora_e2d.report.exposure import Binding, binding_limits
from aurora_e2d.report.portfolio import PositionCaps, simulate
from aurora_e2d.report.trades import CostYear, Trade, costs_by_year, round_trips
from aurora_e2d.rundir.artifacts import atomic_write_bytes
from aurora_e2d.rundir.config import RunConfig
from aurora_e2d.rundir.layout import BINDING_MEMO_FILE

__all__ = ["Numbers", "numbers"]

STRATEGY = "strategy"
# The frictionless reference (portfolio.py): another execution model, so not "before costs".
IDEALISED = "idealised close-to-close"
EQUAL_WEIGHT = "equal-weight"
BUY_AND_HOLD = "buy-and-hold"


@dataclass(frozen=True, slots=True)
class Numbers:
    figures: list[bench.Figures]  # strategy, idealised close-to-close, equal-weight, buy-and-hold
    held: tuple[str, ...]  # the buy-and-hold names
    curves: dict[str, np.ndarray]  # baselines as equity curves from the run's starting equity
    frictionless: dict[str, float | None]  # the headline's idealised close-to-close column
    monthly: tearsheet.MonthlyReturns
    drawdowns: list[tearsheet.DrawdownPeriod]
    rolling: dict[str, np.ndarray]  # name -> rolling Sharpe on the equity dates
    trades: list[Trade]
    costs: list[CostYear]
    binding: Binding | None  # None without a readable config or orders to plan


# The columns of bars and decisions the report uses (baselines, idealised book, costs, binding limits).
BARS_COLUMNS = ["symbol", "date", "open", "close", "close_tr"]
DECISIONS_COLUMNS = ["date", "ts", "symbol", "target_weight"]


def _frictionless(
    decisions: pl.DataFrame | None, bars: pl.DataFrame, s: data.Series, config: RunConfig | None
) -> np.ndarray | None:
    if decisions is None or decisions.height == 0:
        return None
    caps = None if config is None else PositionCaps.of(config.limits)
    book = simulate(decisions, bars, starting_equity_usd=float(s.equity[0]), sessions=s.dates, caps=caps)
    return book["daily_return"].drop_nulls().to_numpy()


def numbers(
    run_dir: Path, s: data.Series, config: RunConfig | None, *, frictionless: np.ndarray | None = None
) -> Numbers:
    """``frictionless``: the idealised book's daily returns when the caller has them (the job)."""
    bars = data.read_artifact(run_dir, "bars", BARS_COLUMNS)
    if bars is None:
        bars = pl.DataFrame(schema={"symbol": pl.String, "date": pl.Date, "close_tr": pl.Float64})
    decisions = data.read_artifact(run_dir, "decisions", DECISIONS_COLUMNS)
    base = bench.baselines(bars, s.dates)
    ew, bh = base.equal_weight, base.buy_and_hold
    before = frictionless if frictionless is not None else _frictionless(decisions, bars, s, config)
    rows = [bench.figures(STRATEGY, s.returns, ew)]
    if before is not None and before.size == s.returns.size:
        rows.append(bench.figures(IDEALISED, before, ew))
    rows += [bench.figures(EQUAL_WEIGHT, ew, ew), bench.figures(BUY_AND_HOLD, bh, ew)]
    frictionless = {}
    if before is not None:
        frictionless = {
            "annual_return": metrics.annual_return(before),
            "sharpe_ratio": metrics.sharpe_ratio(before),
            "max_drawdown": metrics.max_drawdown(before),
        }
    start = float(s.equity[0])
    curves = {
        EQUAL_WEIGHT: start * np.cumprod(np.concatenate(([1.0], 1.0 + ew))),
        BUY_AND_HOLD: start * np.cumprod(np.concatenate(([1.0], 1.0 + bh))),
    }
    window = tearsheet.ROLLING_SESSIONS

    def rolled(r: np.ndarray) -> np.ndarray:
        values = np.concatenate(([np.nan], tearsheet.rolling_sharpe(r, window)))
        return np.where(np.isfinite(values), values, np.nan)

    rolling = {STRATEGY: rolled(s.returns), EQUAL_WEIGHT: rolled(ew), BUY_AND_HOLD: rolled(bh)}
    fills = data.read_artifact(run_dir, "fills")
    costs = [] if fills is None else costs_by_year(fills, bars)
    return Numbers(
        figures=rows,
        held=base.held,
        curves=curves,
        frictionless={k: (float(v) if np.isfinite(v) else None) for k, v in frictionless.items()},
        monthly=tearsheet.monthly_returns(s.dates[1:], s.returns),
        drawdowns=tearsheet.drawdown_periods(s.dates, s.equity),
        rolling=rolling,
        trades=round_trips(s.dates, s.quantities, s.values, s.pnl),
        costs=costs,
        binding=_binding(run_dir, decisions, bars, config),
    )


def _binding(
    run_dir: Path, decisions: pl.DataFrame | None, bars: pl.DataFrame, config: RunConfig | None
) -> Binding | None:
    equity = data.read_artifact(run_dir, "equity")
    positions = data.read_artifact(run_dir, "positions")
    if config is None or decisions is None or equity is None or positions is None:
        return None
    # the last committed session places no orders: the window's end, or where a halt stopped the run
    last = equity["date"].max() if equity.height else None
    memo_file = run_dir / BINDING_MEMO_FILE
    try:
        known = json.loads(memo_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = None  # no memo (or an unreadable one) only costs planning every session again
    binding = binding_limits(
        decisions=decisions,
        equity=equity,
        positions=positions,
        bars=bars,
        limits=config.limits,
        offset_bps=config.execution.limit_offset_bps,
        last_session=last,  # type: ignore[arg-type]
        known=known if isinstance(known, dict) else None,
        code_version=__version__,
    )
    if binding.memo != known:
        # A cache, never an answer: a directory that cannot take it (read-only, full) still gets
        # its report, or the report's own write names the fault.
        with contextlib.suppress(OSError):
            atomic_write_bytes(memo_file, json.dumps(binding.memo, separators=(",", ":")).encode())
    return binding
