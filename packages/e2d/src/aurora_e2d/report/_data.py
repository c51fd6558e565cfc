"""What the report shows, read from a run directory (and the repo's goldens and gate reports).

Read-only: Parquet artifacts through polars, the journal through a read-only
SQLite connection, JSON files as they are. Every series is aligned on the
run's equity dates so the figures share one time axis.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from aurora_broker import JOURNAL_NAME, JournalReader
from aurora_safety import TransitionCause

__all__ = [
    "Banner",
    "GoldenMetric",
    "Series",
    "TimelineEntry",
    "banner",
    "gate_reports",
    "load_goldens",
    "read_json",
    "series",
    "timeline",
]

# The fill statuses the monthly chart distinguishes (terminal order states in orders.parquet).
ORDER_OUTCOMES = ("FILLED", "EXPIRED", "CANCELLED", "REJECTED")
_HALT_ACTION = "HALTED"
WEEKLY_AFTER_SESSIONS = 260  # about a year: beyond it the weights panel shows weekly means


def read_json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def _read(run_dir: Path, name: str) -> pl.DataFrame | None:
    path = run_dir / f"{name}.parquet"
    return pl.read_parquet(path) if path.is_file() else None


@dataclass(frozen=True, slots=True)
class Series:
    """Every time series of the report, aligned on the equity dates."""

    dates: list[date]
    equity: np.ndarray
    gross: np.ndarray
    net: np.ndarray
    weights: dict[str, np.ndarray]
    weight_dates: list[date]  # the weights panel: one point per session, or per week on long runs
    weight_values: dict[str, np.ndarray]
    weekly: bool
    benchmark: np.ndarray | None
    pnl: dict[str, np.ndarray]  # cumulative USD per symbol
    pnl_parts: dict[str, dict[str, float]]  # symbol -> trading / dividends / commissions / total
    months: list[date]
    month_counts: dict[str, np.ndarray]
    month_fill_rate: np.ndarray
    order_totals: dict[str, int]


def _pivot(frame: pl.DataFrame, value: str, dates: list[date], symbols: list[str]) -> dict[str, np.ndarray]:
    """``symbol -> values on dates`` (0 where the symbol has no row that day)."""
    base = pl.DataFrame({"date": dates}, schema={"date": pl.Date})
    out: dict[str, np.ndarray] = {}
    for symbol in symbols:
        rows = frame.filter(pl.col("symbol") == symbol).group_by("date").agg(pl.col(value).sum())
        joined = base.join(rows, on="date", how="left").sort("date")
        out[symbol] = joined[value].fill_null(0.0).to_numpy().astype(np.float64)
    return out


def _cumulative_by_date(frame: pl.DataFrame, dates: list[date], symbols: list[str]) -> dict[str, np.ndarray]:
    """Running sum of ``amount`` per symbol; flows dated before the first equity date count on it."""
    daily = _pivot(frame, "amount", dates, symbols)
    return {s: np.cumsum(v) for s, v in daily.items()}


def _ledger_income(run_dir: Path, symbols: list[str]) -> pl.DataFrame:
    """Dividends and cash in lieu from the journal (ref ``SYMBOL:...``) as (date, symbol, amount USD)."""
    rows: list[tuple[date, str, float]] = []
    with _journal(run_dir) as reader:
        for entry in [] if reader is None else reader.cash_ledger(("DIVIDEND", "CASH_IN_LIEU")):
            symbol = entry.ref.split(":", 1)[0]
            if entry.session is not None and symbol in symbols:
                rows.append((entry.session, symbol, entry.amount_cents / 100.0))
    schema = {"date": pl.Date, "symbol": pl.String, "amount": pl.Float64}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _benchmark(run_dir: Path, dates: list[date], start_equity: float) -> np.ndarray | None:
    """Equal-weight, daily rebalanced buy-and-hold of the universe on total-return closes, no costs."""
    bars = _read(run_dir, "bars")
    if bars is None or not dates or "close_tr" not in bars.columns:
        return None
    returns = (
        bars.sort("symbol", "date")
        .with_columns((pl.col("close_tr") / pl.col("close_tr").shift(1).over("symbol") - 1.0).alias("r"))
        .filter(pl.col("date").is_in(dates))
        .group_by("date")
        .agg(pl.col("r").mean())
    )
    base = pl.DataFrame({"date": dates}, schema={"date": pl.Date})
    r = base.join(returns, on="date", how="left").sort("date")["r"].fill_null(0.0).to_numpy().copy()
    r[0] = 0.0  # the curve starts at the strategy's starting equity
    return start_equity * np.cumprod(1.0 + r)


def _weekly(dates: list[date], weights: dict[str, np.ndarray]) -> tuple[list[date], dict[str, np.ndarray]]:
    """Mean weight per ISO week, dated by the week's first session (daily noise hides the picture)."""
    keys = [d.isocalendar()[:2] for d in dates]
    starts = [i for i, k in enumerate(keys) if i == 0 or k != keys[i - 1]]
    bounds = [*starts, len(dates)]
    means = {s: np.array([v[a:b].mean() for a, b in itertools.pairwise(bounds)]) for s, v in weights.items()}
    return [dates[i] for i in starts], means


def series(run_dir: Path) -> Series | None:
    """All plotted series; ``None`` when no session has been committed yet."""
    equity = _read(run_dir, "equity")
    if equity is None or equity.height == 0:
        return None
    equity = equity.sort("date")
    dates: list[date] = equity["date"].to_list()
    eq = equity["equity"].to_numpy().astype(np.float64)
    positions = _read(run_dir, "positions")
    fills = _read(run_dir, "fills")
    orders = _read(run_dir, "orders")
    held = positions if positions is not None else pl.DataFrame(schema={"symbol": pl.String})
    traded = fills if fills is not None else pl.DataFrame(schema={"symbol": pl.String})
    symbols = sorted(set(held["symbol"].to_list()) | set(traded["symbol"].to_list()))

    if positions is not None and positions.height:
        valued = positions.with_columns((pl.col("quantity") * pl.col("mark_price")).alias("value"))
        values = _pivot(valued, "value", dates, symbols)
    else:
        values = {s: np.zeros(len(dates)) for s in symbols}
    safe_equity = np.where(eq > 0, eq, np.nan)
    weights = {s: np.nan_to_num(v / safe_equity) for s, v in values.items()}
    stacked = np.array(list(weights.values())) if weights else np.zeros((1, len(dates)))
    gross = np.abs(stacked).sum(axis=0)
    net = stacked.sum(axis=0)
    weekly = len(dates) > WEEKLY_AFTER_SESSIONS
    weight_dates, weight_values = _weekly(dates, weights) if weekly else (dates, weights)

    schema = {"date": pl.Date, "symbol": pl.String, "amount": pl.Float64}
    if fills is not None and fills.height:
        sign = pl.when(pl.col("side") == "BUY").then(-1.0).otherwise(1.0)
        trades = fills.select("date", "symbol", (sign * pl.col("gross_cents") / 100.0).alias("amount"))
        costs = fills.select("date", "symbol", (-pl.col("commission_cents") / 100.0).alias("amount"))
    else:
        trades = costs = pl.DataFrame(schema=schema)
    income = _ledger_income(run_dir, symbols)
    flows = pl.concat([trades.cast(schema), costs.cast(schema), income.cast(schema)])
    cash = _cumulative_by_date(flows, dates, symbols)
    pnl = {s: cash[s] + values[s] for s in symbols}
    pnl_parts: dict[str, dict[str, float]] = {}
    for s in symbols:
        dividends = float(income.filter(pl.col("symbol") == s)["amount"].sum())
        commissions = float(costs.filter(pl.col("symbol") == s)["amount"].sum())
        total = float(pnl[s][-1])
        pnl_parts[s] = {
            "trading": total - dividends - commissions,
            "dividends": dividends,
            "commissions": commissions,
            "total": total,
        }

    months, counts, rate, totals = _monthly_orders(orders)
    return Series(
        dates=dates,
        equity=eq,
        gross=gross,
        net=net,
        weights=weights,
        weight_dates=weight_dates,
        weight_values=weight_values,
        weekly=weekly,
        benchmark=_benchmark(run_dir, dates, float(eq[0])),
        pnl=pnl,
        pnl_parts=pnl_parts,
        months=months,
        month_counts=counts,
        month_fill_rate=rate,
        order_totals=totals,
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


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    ts_ns: int
    kind: str  # "state change", "kill", "breaker trip", "breaker reset"
    subject: str
    reason: str

    @property
    def when(self) -> str:
        return datetime.fromtimestamp(self.ts_ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


@contextmanager
def _journal(run_dir: Path) -> Iterator[JournalReader | None]:
    """A read-only journal reader, or None when the run has no journal (yet)."""
    if not (run_dir / JOURNAL_NAME).is_file():
        yield None
        return
    with JournalReader.open(run_dir) as reader:
        yield reader


def _values_text(values: Any) -> str:
    if not isinstance(values, list):
        return ""
    parts = []
    for pair in values:
        if isinstance(pair, list) and len(pair) == 2:
            name, value = pair
            big = isinstance(value, float) and abs(value) >= 1_000
            shown = f"{value:,.2f}" if big else f"{value:.4g}" if isinstance(value, float) else str(value)
            parts.append(f"{name}={shown}")
    return ", ".join(parts)


def timeline(run_dir: Path) -> list[TimelineEntry]:
    """State changes (kill halts singled out), breaker trips and resets, in journal order by time."""
    entries: list[tuple[int, int, TimelineEntry]] = []
    with _journal(run_dir) as reader:
        if reader is None:
            return []
        for record in reader.state_events():
            change = record.event
            kind = "kill" if change.cause is TransitionCause.KILL_SWITCH else "state change"
            subject = f"{change.from_state} → {change.to_state}"
            entries.append((change.ts_ns, 2 * record.seq + 1, TimelineEntry(change.ts_ns, kind, subject, change.reason)))
        for trip in reader.breaker_events():
            seq, ts, breaker, event, data = trip.seq, trip.ts_ns, trip.breaker, trip.event, trip.data
            if event == "BreakerReset":
                text = f"operator: {data.get('operator_reason', '')} (cleared: {data.get('reason', '')})"
                entries.append((ts, 2 * seq, TimelineEntry(ts, "breaker reset", breaker, text)))
            else:
                values = _values_text(data.get("values"))
                text = f"{data.get('reason', '')} [{values}] action {data.get('action', '?')}"
                entries.append((ts, 2 * seq, TimelineEntry(ts, "breaker trip", breaker, text)))
    return [entry for *_, entry in sorted(entries, key=lambda e: (e[0], e[1]))]


def open_breakers(run_dir: Path) -> list[str]:
    """Breakers whose last journaled event is a HALTED trip: they must be reset before resuming."""
    last: dict[str, dict[str, Any]] = {}
    with _journal(run_dir) as reader:
        for record in [] if reader is None else reader.breaker_events():
            last[record.breaker] = record.data
    return sorted(
        name
        for name, data in last.items()
        if data.get("event") == "BreakerTripped" and data.get("action") == _HALT_ACTION
    )


@dataclass(frozen=True, slots=True)
class Banner:
    title: str
    why: list[str]
    commands: list[str]


def banner(run_dir: Path, summary: Mapping[str, Any], events: list[TimelineEntry]) -> Banner | None:
    """For a run that did not complete: why it stopped and the exact commands that continue it."""
    status = str(summary.get("status", "unknown"))
    if status == "completed":
        return None
    import shlex

    where = shlex.quote(str(run_dir.resolve()))
    why = [str(summary.get("message", "(no message in summary.json)"))]
    changes = [e for e in events if e.kind in ("state change", "kill")]
    if changes:
        why.append(
            f"last trading-state change: {changes[-1].subject} at {changes[-1].when}: {changes[-1].reason}"
        )
    commands: list[str] = []
    if status == "killed":
        title = "Run KILLED by the kill switch"
        commands.append(f"aurora unkill --run-dir {where}   # or unset AURORA_KILL, whichever triggered it")
    else:
        breakers = open_breakers(run_dir)
        title = (
            f"Run HALTED by circuit breaker {', '.join(breakers)}" if breakers else f"Run {status.upper()}"
        )
        commands += [
            f"aurora breaker reset {b} --reason 'WHY IT IS SAFE' --run-dir {where}" for b in breakers
        ]
    commands.append(f"aurora resume --run-dir {where}")
    return Banner(title, why, commands)


@dataclass(frozen=True, slots=True)
class GoldenMetric:
    value: float | None
    direction: str
    tolerance: float

    def verdict(self, value: float | None) -> str:
        """``pass`` / ``FAIL`` like the ratchet (absolute tolerance); ``no golden`` when unset."""
        if self.value is None:
            return "no golden"
        if value is None or not math.isfinite(value):
            return "FAIL"
        slack = self.tolerance + 1e-12 * max(1.0, abs(self.value))
        worse = self.value - value if self.direction == "higher" else value - self.value
        return "pass" if worse <= slack else "FAIL"


def load_goldens(repo: Path | None) -> dict[str, GoldenMetric]:
    path = None if repo is None else repo / "goldens" / "metrics.json"
    if path is None or not path.is_file():
        return {}
    raw = read_json(path).get("metrics", {})
    return {
        name: GoldenMetric(
            spec.get("value"), str(spec.get("direction", "higher")), float(spec.get("tolerance", 0.0))
        )
        for name, spec in sorted(raw.items())
        if isinstance(spec, dict)
    }


def gate_reports(repo: Path | None, revision: str | None) -> tuple[list[dict[str, Any]], list[str]]:
    """Gate reports for this revision, and the names of those that belong to another revision."""
    if repo is None or not (repo / "reports").is_dir():
        return [], []
    current, stale = [], []
    for path in sorted((repo / "reports").glob("gate-*.json")):
        try:
            data = read_json(path)
        except (OSError, ValueError):
            stale.append(f"{path.name} (unreadable)")
            continue
        if revision is not None and data.get("revision") == revision:
            current.append(data)
        else:
            stale.append(f"{path.name} (revision {str(data.get('revision'))[:12]})")
    return current, stale
