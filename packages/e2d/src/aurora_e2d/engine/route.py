"""`aurora route ORDERS.csv`: hand-written orders through the same router and broker.

Against the account and reference prices of run D (its last committed
session), or a fresh account at the last session of the bundled data. Reference prices are as old as that session:
judged against the wall clock (as a live adapter would), a past session's
prices are STALE_REFERENCE once older than ``limits.stale_after_secs``;
``--at-close`` judges them at the session's close instead. The
orders go to a scratch copy of the journal in a temporary directory, so
routing never alters a run's committed state. The results CSV answers each
row (with a detail naming the field and value that decided it); stderr gets
the summary: accepted and rejected counts, rejections by reason, and the
row at which a breaker tripped, if one did.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

import pyarrow.compute as pc

from aurora_broker import JOURNAL_NAME, JournalReader
from aurora_e2d.core.errors import InputError
from aurora_e2d.data.ingest import load_snapshot
from aurora_e2d.data.sessions import session_closes
from aurora_e2d.engine.stack import open_stack
from aurora_e2d.rundir.config import RunConfig
from aurora_router import RouteResult, RouteSummary, read_orders, write_results
from aurora_safety import SystemClock


def _reference(config: RunConfig, session: date | None) -> tuple[date, dict[str, float], int]:
    """The session, raw closes and close time (UTC ns) that orders are priced against."""
    snapshot = load_snapshot(None if config.data.snapshot is None else Path(config.data.snapshot))
    prices = snapshot.prices
    if session is None:
        session = pc.max(prices.column("date")).as_py()
    day = prices.filter(pc.equal(prices.column("date"), session))
    closes = dict(zip(day.column("symbol").to_pylist(), day.column("close").to_pylist(), strict=True))
    window = session_closes(session - timedelta(days=10), session, snapshot.calendar)
    close_ts = window.closes[-1]  # the calendar needs start < end; the session is the window's last
    return session, closes, int(close_ts.astype("datetime64[ns]").astype("int64"))


def route_orders(
    orders_csv: Path, config: RunConfig, run_dir: Path | None, out: TextIO, *, at_close: bool = False
) -> list[RouteResult]:
    """Route ORDERS.csv; staleness is judged against the wall clock (``at_close``: at the reference
    session's close, a what-if against a past session)."""
    session = None
    source_journal = None
    if run_dir is not None:
        source_journal = run_dir / JOURNAL_NAME
        if not source_journal.is_file():
            raise InputError(str(run_dir), "has no journal.sqlite to route against")
        with JournalReader.open(source_journal) as reader:
            checkpoint = reader.last_checkpoint()
        if checkpoint is None:
            raise InputError(str(source_journal), "has no committed session to route against")
        session = checkpoint.session
    session, closes, close_ns = _reference(config, session)
    rows = read_orders(orders_csv, session)
    with tempfile.TemporaryDirectory(prefix="aurora-route-") as scratch:
        scratch_dir = Path(scratch)
        if source_journal is not None:
            _copy_journal(source_journal, scratch_dir / JOURNAL_NAME)
        with open_stack(
            scratch_dir,
            config,
            SystemClock(),
            symbols=sorted(closes),
            kill_run_dir=run_dir,  # the real run's kill file still stops hand orders
            watch_kill_files=False,
        ) as stack:
            stack.book.update_many(closes, close_ns)
            with stack.journal.session_transaction():
                now_ns = close_ns if at_close else time.time_ns()
                results = stack.router.route_rows(rows, session, now_ns)
            trips = stack.router.trips
    write_results(results, out)
    for line in RouteSummary.of(results, trips, source=str(orders_csv)).format_summary():
        print(line, file=sys.stderr)
    return results


def _copy_journal(source: Path, target: Path) -> None:
    """A consistent copy of a (possibly live) WAL journal through SQLite's backup API."""
    with JournalReader.open(source) as reader:
        reader.backup_to(target)
