"""``sanity.json``: what stage 2 in ``strict`` mode would find in a snapshot, every check counted.

Strict sanity stops at the first failing check; a snapshot's report instead
counts each check on the data as written (nothing repaired, nothing
dropped) with its first example, using the very predicates of stage 2, so a
user sees before a run whether ``strict`` will pass and what ``repair`` would
touch. It also lists symbols that start after the snapshot's first date or
stop before its last (an IPO, a delisting, a file that simply ends).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aurora_e2d.data import sanity
from aurora_e2d.data.sanity import Check

__all__ = ["sanity_report"]


def _spans(prices: pa.Table) -> tuple[dict[str, str], dict[str, str]]:
    """(symbols starting after the first date -> their first date, stopping before the last -> last date)."""
    grouped = prices.group_by("symbol").aggregate([("date", "min"), ("date", "max")]).sort_by("symbol")
    first, last = pc.min(prices.column("date")).as_py(), pc.max(prices.column("date")).as_py()
    late, early = {}, {}
    for symbol, start, stop in zip(
        grouped.column("symbol").to_pylist(),
        grouped.column("date_min").to_pylist(),
        grouped.column("date_max").to_pylist(),
        strict=True,
    ):
        if start > first:
            late[symbol] = start.isoformat()
        if stop < last:
            early[symbol] = stop.isoformat()
    return late, early


def sanity_report(prices: pa.Table, actions: pa.Table, sessions: np.ndarray, calendar: str) -> dict:
    """The report for ``sanity.json``; ``prices`` sorted by (symbol, date), dates distinct sessions."""
    frame = sanity._to_frame(prices)
    event_keys: set[tuple[str, dt.date]] = set(
        zip(actions.column("symbol").to_pylist(), actions.column("ex_date").to_pylist(), strict=True)
    )
    checks: dict[str, dict[str, object]] = {}
    for check in Check:
        if check is Check.MISSING_SESSION:
            missing = sanity._missing_sessions(frame, sessions)
            count = len(missing)
            example = f"{missing[0][0]} {missing[0][1]} (no row)" if missing else None
            symbols = len({s for s, _ in missing})
        else:
            bad = sanity._find(check, frame, sessions, event_keys)
            count = int(bad.sum())
            example = frame.describe(int(np.flatnonzero(bad)[0])) if count else None
            symbols = len(np.unique(frame.symbol[bad]))
        checks[check.value] = {"count": count, "symbols": symbols, **({"first": example} if example else {})}
    late, early = _spans(prices)
    return {
        "mode": "strict",
        "passes_strict": all(entry["count"] == 0 for entry in checks.values()),
        "calendar": calendar,
        "rows": prices.num_rows,
        "symbols": len(frame.names),
        "first_date": pc.min(prices.column("date")).as_py().isoformat() if prices.num_rows else None,
        "last_date": pc.max(prices.column("date")).as_py().isoformat() if prices.num_rows else None,
        "checks": checks,
        "starts_after_first_date": late,
        "stops_before_last_date": early,
    }
