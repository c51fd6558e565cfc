"""Stage 3: stamp each daily bar with its exchange session close as a UTC instant.

A bar is only known once the session closes, and that instant moves with DST
(20:00 or 21:00 UTC for XNYS) and with early closes (17:00/18:00 UTC), so a
plain date is not enough to order bars against decisions. Any
exchange-calendars code works (a snapshot records its own); XNYS is the
default. Uses numpy/pyarrow only (no polars), so sanity may use it from a
forked process.
"""

from __future__ import annotations

import datetime as dt
import warnings
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from aurora_e2d.core.errors import InputError
from aurora_e2d.data.calendar import DEFAULT_CALENDAR
from aurora_e2d.data.snapshot import PRICES_SCHEMA

__all__ = [
    "DEFAULT_CALENDAR",
    "SESSION_PRICES_SCHEMA",
    "SessionCloses",
    "attach_session_close",
    "check_calendar",
    "early_close_count",
    "session_closes",
]

TS_TYPE = pa.timestamp("us", tz="UTC")

SESSION_PRICES_SCHEMA = pa.schema(
    [
        PRICES_SCHEMA.field("symbol"),
        PRICES_SCHEMA.field("date"),
        pa.field("ts", TS_TYPE, nullable=False),  # session close, UTC
        *(PRICES_SCHEMA.field(name) for name in PRICES_SCHEMA.names[2:]),
    ]
)


class SessionCloses(NamedTuple):
    """XNYS sessions in a range: ``dates`` datetime64[D], ``closes`` datetime64[us] (UTC)."""

    dates: np.ndarray
    closes: np.ndarray


def check_calendar(name: str, source: str = "--calendar") -> str:
    """The exchange-calendars code ``name`` (e.g. XNYS, XLON), or one line naming the bad value."""
    import exchange_calendars as xcals  # slow import; only when a calendar is needed

    if name not in xcals.get_calendar_names(include_aliases=True):
        raise InputError(
            source, f"unknown exchange calendar {name!r} (an exchange-calendars code such as XNYS)"
        )
    return name


@lru_cache(maxsize=16)
def _closes(calendar_name: str, start: dt.date, end: dt.date) -> SessionCloses:
    import exchange_calendars as xcals  # slow import; only when a calendar is needed

    check_calendar(calendar_name, "calendar")
    # exchange-calendars refuses start == end (a daily advance's one new session) and a range without
    # a session (a weekend): build it over at least a week, which always holds one, and slice back.
    bound = max(end, start + dt.timedelta(days=7))
    try:
        with warnings.catch_warnings():
            # exchange-calendars 4.13 trips a pandas 3.1 deprecation inside its constructor; not ours to fix.
            warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
            calendar = xcals.get_calendar(calendar_name, start=start.isoformat(), end=bound.isoformat())
    except (ValueError, xcals.errors.CalendarError) as exc:
        raise InputError(f"{calendar_name} {start}..{end}", f"calendar unavailable ({exc})") from None
    schedule = calendar.schedule.loc[start.isoformat() : end.isoformat()]
    dates = schedule.index.to_numpy().astype("datetime64[D]")
    closes = schedule["close"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[us]")
    dates.setflags(write=False)
    closes.setflags(write=False)
    return SessionCloses(dates, closes)


def session_closes(start: dt.date, end: dt.date, calendar: str = DEFAULT_CALENDAR) -> SessionCloses:
    """Sessions of ``calendar`` from ``start`` to ``end`` inclusive, with their closes (cached in memory)."""
    if start > end:
        raise InputError("'start'", f"must be <= 'end' ({end}), was {start}")
    return _closes(calendar, start, end)


def attach_session_close(
    prices: pa.Table, closes: SessionCloses | None = None, calendar: str = DEFAULT_CALENDAR
) -> pa.Table:
    """Stage 3: insert ``ts`` (session close, timestamp[us, UTC]) after ``date``.

    Every date must be a session: sanity removes or rejects the others first,
    so a stray date here is bad input, not something to guess about.
    """
    dates = prices.column("date").to_numpy().astype("datetime64[D]")
    if closes is None:
        if len(dates) == 0:
            raise InputError("prices", "no rows to stamp")
        closes = session_closes(_as_date(dates.min()), _as_date(dates.max()), calendar)
    pos = np.searchsorted(closes.dates, dates)
    pos_clipped = np.minimum(pos, len(closes.dates) - 1)
    bad = (pos >= len(closes.dates)) | (closes.dates[pos_clipped] != dates)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"prices {prices.column('symbol')[i].as_py()} {dates[i]}",
            f"not a session of {calendar} ({int(bad.sum())} such rows)",
        )
    ts = pa.array(closes.closes[pos_clipped], type=pa.timestamp("us")).cast(TS_TYPE)
    table = prices.select(PRICES_SCHEMA.names).add_column(2, "ts", ts)
    return table.cast(SESSION_PRICES_SCHEMA)


def _as_date(value: np.datetime64) -> dt.date:
    return value.astype("datetime64[D]").astype(dt.date)


def early_close_count(closes: SessionCloses) -> int:
    """XNYS sessions that close before 20:00 UTC (the regular close is 20:00 or 21:00 UTC)."""
    hours = (closes.closes - closes.dates.astype("datetime64[us]")) // np.timedelta64(1, "h")
    return int(np.count_nonzero(hours < 20))
