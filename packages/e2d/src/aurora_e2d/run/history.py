"""History already traded is immutable: compare an old snapshot with a newer one up to a session.

A newer snapshot may only add sessions. Rows for sessions a run has already
traded (prices and corporate actions up to and including its last committed
session) must be byte-for-byte the same values; a difference is a
restatement, named by symbol, date and column. Sessions of the calendar
after the last committed one that the newer snapshot skips are named too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from aurora_e2d.data import ACTIONS_SCHEMA, PRICES_SCHEMA, Snapshot, session_closes
from aurora_e2d.rundir.artifacts import sorted_by

__all__ = ["Restatement", "first_restatement", "new_sessions", "skipped_sessions"]


@dataclass(frozen=True, slots=True)
class Restatement:
    """The first difference in traded history: which table, symbol, date and column, old and new."""

    table: str
    symbol: str
    day: date
    column: str
    old: object
    new: object

    def describe(self) -> str:
        return f"{self.table} {self.symbol} {self.day}: {self.column} was {self.old!r}, now {self.new!r}"


def _upto(table: pa.Table, column: str, last: date) -> pa.Table:
    # snapshots are stored in (symbol, date) order: the sort is a check there, not a gather of 5 M rows
    return sorted_by(table.filter(pc.less_equal(table.column(column), pa.scalar(last))), ["symbol", column])


def _first_difference(
    name: str, old: pa.Table, new: pa.Table, key: str, columns: list[str]
) -> Restatement | None:
    olds = {(r["symbol"], r[key]): r for r in old.to_pylist()}
    news = {(r["symbol"], r[key]): r for r in new.to_pylist()}
    for symbol, day in sorted(set(olds) | set(news)):
        before, after = olds.get((symbol, day)), news.get((symbol, day))
        if before is None or after is None:
            return Restatement(
                name, symbol, day, "row", "present" if before else "absent", "present" if after else "absent"
            )
        for column in columns:
            if before[column] != after[column]:
                return Restatement(name, symbol, day, column, before[column], after[column])
    return None


def first_restatement(old: Snapshot, new: Snapshot, last: date) -> Restatement | None:
    """The first row of traded history (up to ``last``) that ``new`` states differently from ``old``."""
    old_prices, new_prices = _upto(old.prices, "date", last), _upto(new.prices, "date", last)
    if not old_prices.equals(new_prices):
        found = _first_difference("prices", old_prices, new_prices, "date", PRICES_SCHEMA.names[2:])
        if found is not None:
            return found
    old_actions, new_actions = _upto(old.actions, "ex_date", last), _upto(new.actions, "ex_date", last)
    if not old_actions.equals(new_actions):
        columns = [n for n in ACTIONS_SCHEMA.names if n not in ("symbol", "ex_date")]
        return _first_difference("corporate actions", old_actions, new_actions, "ex_date", columns)
    return None


def new_sessions(snapshot: Snapshot, last: date) -> list[date]:
    """The snapshot's sessions after ``last``, in order."""
    dates = snapshot.prices.column("date")
    later = pc.unique(dates.filter(pc.greater(dates, pa.scalar(last))))
    return sorted(later.to_pylist())


def skipped_sessions(snapshot: Snapshot, last: date, new: list[date]) -> list[date]:
    """Sessions of the snapshot's calendar between ``last`` and its newest date with no bar at all."""
    if not new:
        return []
    closes = session_closes(last + timedelta(days=1), new[-1], snapshot.calendar)
    expected = [d.astype("datetime64[D]").astype(date) for d in closes.dates]
    present = set(new)
    return [d for d in expected if d not in present]
