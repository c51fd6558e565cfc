"""The run's time series as the report plots and tabulates them, read from its Parquet artifacts.

Read-only. Every series is aligned on the run's equity dates, so the
figures share one time axis, and built as dates x symbols matrices (one
scatter per artifact, never a loop over symbols), so a 2,000-symbol run
costs what a 5-symbol one does per row. Plots and tables name only the
``TOP_SYMBOLS`` largest contributors by |P&L|; the rest are "others".
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from aurora_e2d.report._events import journal
from aurora_e2d.report._grid import symbol_columns

__all__ = ["OTHERS", "TOP_SYMBOLS", "Series", "read_artifact", "series"]

TOP_SYMBOLS = 10  # symbols named in plots and tables; the rest are summed as OTHERS
OTHERS = "others"
# The fill statuses the monthly chart distinguishes (terminal order states in orders.parquet).
ORDER_OUTCOMES = ("FILLED", "EXPIRED", "CANCELLED", "REJECTED")
WEEKLY_AFTER_SESSIONS = 260  # about a year: beyond it the weights panel shows weekly means
_FLOWS = {"date": pl.Date, "symbol": pl.String, "amount": pl.Float64}


def read_artifact(run_dir: Path, name: str, columns: list[str] | None = None) -> pl.DataFrame | None:
    """The artifact, or only ``columns`` of it: bars at 5,000 symbols x 20 years are GBs, five of
    their eleven columns a third of that."""
    path = run_dir / f"{name}.parquet"
    return pl.read_parquet(path, columns=columns) if path.is_file() else None


@dataclass(frozen=True, slots=True)
class Series:
    """Every time series of the report, aligned on the equity dates."""

    dates: list[date]
    equity: np.ndarray
    returns: np.ndarray  # daily returns, dated dates[1:]
    gross: np.ndarray
    net: np.ndarray
    symbols: list[str]  # every symbol held or traded, sorted
    top: list[str]  # the TOP_SYMBOLS largest |P&L|, largest first
    quantities: dict[str, np.ndarray]  # shares held at each close
    values: dict[str, np.ndarray]  # USD held at each close (quantity x raw close)
    weight_dates: list[date]  # the weights panel: one point per session, or per week on long runs
    weight_values: dict[str, np.ndarray]  # top symbols, then OTHERS
    weekly: bool
    pnl: dict[str, np.ndarray]  # cumulative USD per symbol
    pnl_parts: dict[str, dict[str, float]]  # symbol -> trading / dividends / commissions / total
    months: list[date]
    month_counts: dict[str, np.ndarray]
    month_fill_rate: np.ndarray
    order_totals: dict[str, int]

    def grouped(self, by_symbol: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """``by_symbol`` reduced to the top symbols plus OTHERS (their sum), in ``top`` order."""
        return _grouped(by_symbol, self.top, self.symbols)


def _grouped(by_symbol: dict[str, np.ndarray], top: list[str], symbols: list[str]) -> dict[str, np.ndarray]:
    out = {s: by_symbol[s] for s in top}
    rest = [by_symbol[s] for s in symbols if s not in out]
    if rest:
        out[OTHERS] = np.sum(rest, axis=0)
    return out


def _matrix(frame: pl.DataFrame, value: str, dates: list[date], symbols: list[str]) -> np.ndarray:
    """dates x symbols sums of ``value``; a row dated before the first date counts on it."""
    grid = np.zeros((len(dates), len(symbols)))
    if frame.height == 0 or not symbols:
        return grid
    summed = frame.group_by("date", "symbol").agg(pl.col(value).sum())
    row = pl.Series(dates, dtype=pl.Date).search_sorted(summed["date"]).to_numpy()
    col = symbol_columns(symbols, summed["symbol"])
    np.add.at(grid, (np.minimum(row, len(dates) - 1), col), summed[value].cast(pl.Float64).to_numpy())
    return grid


def _ledger_income(run_dir: Path, symbols: set[str]) -> pl.DataFrame:
    """Dividends and cash in lieu from the journal (ref ``SYMBOL:...``) as (date, symbol, amount USD)."""
    rows: list[tuple[date, str, float]] = []
    with journal(run_dir) as reader:
        for entry in [] if reader is None else reader.cash_ledger(("DIVIDEND", "CASH_IN_LIEU")):
            symbol = entry.ref.split(":", 1)[0]
            if entry.session is not None and symbol in symbols:
                rows.append((entry.session, symbol, entry.amount_cents / 100.0))
    return pl.DataFrame(rows, schema=_FLOWS, orient="row")


def _weekly(dates: list[date], weights: dict[str, np.ndarray]) -> tuple[list[date], dict[str, np.ndarray]]:
    """Mean weight per ISO week, dated by the week's first session (daily noise hides the picture)."""
    keys = [d.isocalendar()[:2] for d in dates]
    starts = [i for i, k in enumerate(keys) if i == 0 or k != keys[i - 1]]
    bounds = [*starts, len(dates)]
    means = {s: np.array([v[a:b].mean() for a, b in itertools.pairwise(bounds)]) for s, v in weights.items()}
    return [dates[i] for i in starts], means


def series(run_dir: Path) -> Series | None:
    """All plotted series; ``None`` when no session has been committed yet."""
    equity = read_artifact(run_dir, "equity")
    if equity is None or equity.height == 0:
        return None
    equity = equity.sort("date")
    dates: list[date] = equity["date"].to_list()
    eq = equity["equity"].to_numpy().astype(np.float64)
    positions = read_artifact(run_dir, "positions")
    fills = read_artifact(run_dir, "fills")
    held = positions if positions is not None else pl.DataFrame(schema={"symbol": pl.String})
    traded = fills if fills is not None else pl.DataFrame(schema={"symbol": pl.String})
    symbols = sorted(set(held["symbol"].to_list()) | set(traded["symbol"].to_list()))

    if positions is not None and positions.height:
        valued = positions.with_columns((pl.col("quantity") * pl.col("mark_price")).alias("value"))
        value_grid = _matrix(valued, "value", dates, symbols)
        quantity_grid = _matrix(
            positions.with_columns(pl.col("quantity").cast(pl.Float64)), "quantity", dates, symbols
        )
    else:
        value_grid = quantity_grid = np.zeros((len(dates), len(symbols)))
    safe_equity = np.where(eq > 0, eq, np.nan)[:, None]
    weight_grid = np.nan_to_num(value_grid / safe_equity)

    if fills is not None and fills.height:
        sign = pl.when(pl.col("side") == "BUY").then(-1.0).otherwise(1.0)
        trades = fills.select("date", "symbol", (sign * pl.col("gross_cents") / 100.0).alias("amount"))
        costs = fills.select("date", "symbol", (-pl.col("commission_cents") / 100.0).alias("amount"))
    else:
        trades = costs = pl.DataFrame(schema=_FLOWS)
    income = _ledger_income(run_dir, set(symbols))
    income_grid = _matrix(income, "amount", dates, symbols)
    cost_grid = _matrix(costs.cast(_FLOWS), "amount", dates, symbols)
    cash_grid = np.cumsum(
        _matrix(trades.cast(_FLOWS), "amount", dates, symbols) + cost_grid + income_grid, axis=0
    )
    pnl_grid = cash_grid + value_grid

    column = {s: i for i, s in enumerate(symbols)}
    totals = pnl_grid[-1] if symbols else np.zeros(0)
    top = sorted(symbols, key=lambda s: (-abs(float(totals[column[s]])), s))[:TOP_SYMBOLS]
    pnl_parts: dict[str, dict[str, float]] = {}
    for s, j in column.items():
        dividends, commissions = float(income_grid[:, j].sum()), float(cost_grid[:, j].sum())
        total = float(totals[j])
        pnl_parts[s] = {
            "trading": total - dividends - commissions,
            "dividends": dividends,
            "commissions": commissions,
            "total": total,
        }
    shown = _grouped({s: weight_grid[:, j] for s, j in column.items()}, top, symbols)
    weekly = len(dates) > WEEKLY_AFTER_SESSIONS
    weight_dates, weight_values = _weekly(dates, shown) if weekly else (dates, shown)
    months, counts, rate, order_totals = _monthly_orders(read_artifact(run_dir, "orders"))
    return Series(
        dates=dates,
        equity=eq,
        returns=eq[1:] / eq[:-1] - 1.0,
        gross=np.abs(weight_grid).sum(axis=1),
        net=weight_grid.sum(axis=1),
        symbols=symbols,
        top=top,
        quantities={s: quantity_grid[:, j] for s, j in column.items()},
        values={s: value_grid[:, j] for s, j in column.items()},
        weight_dates=weight_dates,
        weight_values=weight_values,
        weekly=weekly,
        pnl={s: pnl_grid[:, j] for s, j in column.items()},
        pnl_parts=pnl_parts,
        months=months,
        month_counts=counts,
        month_fill_rate=rate,
        order_totals=order_totals,
    )


def _monthly_orders(
    orders: pl.DataFrame | None,
) -> tuple[list[date], dict[str, np.ndarray], np.ndarray, dict[str, int]]:
    if orders is None or orders.height == 0:
        return [], {}, np.zeros(0), {}
    by_month = (
        orders.with_columns(pl.col("date").dt.truncate("1mo").alias("month"))
        .group_by("month", "status")
        .len()
        .sort("month")
    )
    months: list[date] = by_month["month"].unique().sort().to_list()
    base = pl.DataFrame({"month": months}, schema={"month": pl.Date})
    counts: dict[str, np.ndarray] = {}
    for status in sorted(set(by_month["status"].to_list()) | set(ORDER_OUTCOMES)):
        rows = by_month.filter(pl.col("status") == status).select("month", "len")
        counts[status] = base.join(rows, on="month", how="left").sort("month")["len"].fill_null(0).to_numpy()
    total = np.sum(list(counts.values()), axis=0)
    rate = np.where(total > 0, counts["FILLED"] / np.maximum(total, 1), np.nan)
    totals = {status: int(v.sum()) for status, v in counts.items() if v.sum()}
    return months, counts, rate, totals
