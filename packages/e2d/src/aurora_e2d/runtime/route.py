"""`aurora route ORDERS.csv`: hand-written orders through the same router and broker.

Against the account and reference prices of run D (its last committed
session), or a fresh account at the last session of the bundled data. The
orders go to a scratch copy of the journal in a temporary directory, so
routing never alters a run's committed state.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

import pyarrow.compute as pc

from aurora_broker import JOURNAL_NAME, Journal, PaperBroker
from aurora_e2d.config import RunConfig
from aurora_e2d.errors import InputError
from aurora_e2d.data.ingest import load_snapshot
from aurora_e2d.runtime.loop import broker_config
from aurora_e2d.data.sessions import session_closes
from aurora_router import JournalSink, ReferenceBook, Router, read_orders, write_results
from aurora_router.results import RouteResult
from aurora_safety import BreakerBoard, KillSwitch, SystemClock, TradingState, TradingStateMachine


def _reference(run_dir: Path | None, session: date | None) -> tuple[date, dict[str, float], int]:
    """The session, raw closes and close time (UTC ns) that orders are priced against."""
    prices = load_snapshot().prices
    if session is None:
        session = pc.max(prices.column("date")).as_py()
    day = prices.filter(pc.equal(prices.column("date"), session))
    closes = dict(zip(day.column("symbol").to_pylist(), day.column("close").to_pylist(), strict=True))
    window = session_closes(session - timedelta(days=10), session)
    close_ts = window.closes[-1]  # the calendar needs start < end; the session is the window's last
    return session, closes, int(close_ts.astype("datetime64[ns]").astype("int64"))


def route_orders(orders_csv: Path, config: RunConfig, run_dir: Path | None, out: TextIO) -> list[RouteResult]:
    session = None
    source_journal = None
    if run_dir is not None:
        source_journal = run_dir / JOURNAL_NAME
        if not source_journal.is_file():
            raise InputError(str(run_dir), "has no journal.sqlite to route against")
        probe = Journal.open(run_dir, config.config_hash(), create=False)
        try:
            checkpoint = probe.last_checkpoint()
        finally:
            probe.close()
        if checkpoint is None:
            raise InputError(str(source_journal), "has no committed session to route against")
        session = checkpoint.session
    session, closes, close_ns = _reference(run_dir, session)
    rows = read_orders(orders_csv, session)
    with tempfile.TemporaryDirectory(prefix="aurora-route-") as scratch:
        scratch_dir = Path(scratch)
        if source_journal is not None:
            shutil.copy2(source_journal, scratch_dir / JOURNAL_NAME)
        clock = SystemClock()
        journal = Journal.open(scratch_dir, config.config_hash(), clock=clock)
        try:
            broker = PaperBroker(journal, broker_config(config), config.limits, clock)
            saved = journal.load_breaker_state()
            board = BreakerBoard.from_dict(saved) if saved else BreakerBoard.from_limits(config.limits)
            changes = journal.state_changes()
            state = TradingStateMachine(
                TradingState(changes[-1]["to_state"]) if changes else TradingState.ACTIVE
            )
            book = ReferenceBook(sorted(closes))
            book.update_many(closes, close_ns)
            router = Router(
                broker,
                config.limits,
                KillSwitch(run_dir=run_dir),
                state,
                board,
                clock,
                book,
                sink=JournalSink(journal),
                watch_kill_files=False,
            )
            router.seed(journal.routed_client_order_ids())
            with journal.session_transaction():
                results = router.route_rows(rows, session, close_ns)
        finally:
            journal.close()
    write_results(results, out)
    for row in rows:
        if row.rejection is not None:  # say where the malformed row is; the CSV keeps its code
            values = dict(row.rejection.values)
            print(
                f"{orders_csv}:{row.line}: {values.get('field')} {values.get('value')!r} must be "
                f"{values.get('expected')} (INVALID_ORDER)",
                file=sys.stderr,
            )
    return results
