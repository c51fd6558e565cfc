"""Snapshots for daily-operation tests: the bundled real data cut at a date and imported.

The bundled prices are written in the shape of their own source (a long
table with Ticker and Adj Close) up to a date, then imported with `aurora
data import`'s code: exactly what a team that receives one more day of bars
every evening would have. ``edit`` makes a broken variant (a restatement, a
skipped session) the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from aurora_e2d.core.paths import snapshot_dir
from aurora_e2d.data import import_snapshot
from aurora_e2d.testkit import cache_key, cache_root, cached

SOURCE_NAMES = ["Ticker", "Date", "Open", "High", "Low", "Close", "Volume", "Adj Close"]

Edit = Callable[[pa.Table], pa.Table]


def bundled_prices() -> pa.Table:
    return pq.read_table(snapshot_dir() / "stocks.parquet")


def cut_snapshot(out: Path, end: dt.date, edit: Edit | None = None) -> Path:
    """The bundled data up to ``end`` (optionally edited), imported as a snapshot at ``out``."""
    prices = bundled_prices()
    prices = prices.filter(pc.less_equal(prices.column("date"), pa.scalar(end)))
    if edit is not None:
        prices = edit(prices)
    out.parent.mkdir(parents=True, exist_ok=True)
    source = out.parent / f"{out.name}-source.parquet"
    pq.write_table(prices.rename_columns(SOURCE_NAMES), source)
    import_snapshot([source], out)
    return out


def shared_cut(basetemp: Path, end: dt.date) -> Path:
    """The unedited cut at ``end``, made once per test run for every module and xdist worker that
    asks (aurora_e2d.testkit), so that runs on it share one path and can be shared themselves.
    Read-only: a test that edits data makes its own cut."""
    entry, _ = cached(cache_root(basetemp), cache_key("cut", end.isoformat()), lambda d: _made(d, end))
    return entry / "snapshot"


def JANUARY_RUN(cut: Path) -> tuple[str, ...]:
    """`aurora run` arguments of the open-ended run on data to 2013-01-15 from 2012-09-04 that
    test_advance and test_backup both start from (``cut``: ``shared_cut`` at 2013-01-15)."""
    return ("--snapshot", str(cut), "--start", "2012-09-04")


def _made(directory: Path, end: dt.date) -> dict[str, str]:
    cut_snapshot(directory / "snapshot", end)
    return {"end": end.isoformat()}


def restate(symbol: str, day: dt.date, factor: float) -> Edit:
    """Multiply one bar's prices (open, high, low, close, adj close) by ``factor``: a restatement."""

    def edit(prices: pa.Table) -> pa.Table:
        hit = pc.and_(
            pc.equal(prices.column("symbol"), symbol), pc.equal(prices.column("date"), pa.scalar(day))
        )
        for name in ("open", "high", "low", "close", "adj_close"):
            column = prices.column(name)
            index = prices.schema.get_field_index(name)
            prices = prices.set_column(index, name, pc.if_else(hit, pc.multiply(column, factor), column))
        return prices

    return edit


def drop_session(day: dt.date) -> Edit:
    """Remove every bar of one session: a feed that skipped a day."""

    def edit(prices: pa.Table) -> pa.Table:
        return prices.filter(pc.not_equal(prices.column("date"), pa.scalar(day)))

    return edit
