"""The operator's daily view of a run: the next session due, the model's age, stale data.

All of it is read from the run directory (manifest, models/folds.json) and
the run's exchange calendar; nothing in the run is written. The calendar's
sessions are remembered per user (run/memo.py): building one loads
pandas, which alone took longer than a status may. "Stale" compares the last
session processed with today's date on the calendar: a paper-trading run
that has not advanced for more than ``STALE_AFTER_SESSIONS`` sessions means
the evening job or its data feed stopped.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from aurora_e2d.data.calendar import DEFAULT_CALENDAR  # not data.sessions: numpy and pyarrow
from aurora_e2d.run.memo import remembered
from aurora_e2d.rundir.layout import MANIFEST_FILE  # light; rundir.manifest loads pyarrow

__all__ = ["STALE_AFTER_SESSIONS", "daily_view", "sessions_between"]

MODELS_DIR = "models"  # research.pipeline.MODELS_DIR; not imported: that loads sklearn for a status
STALE_AFTER_SESSIONS = 3  # sessions of the calendar the run may lag today before it is called stale


def _calendar(run_dir: Path) -> str:
    try:
        manifest = json.loads((run_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
        return str(manifest.get("snapshot_identity", {}).get("calendar") or DEFAULT_CALENDAR)
    except (OSError, ValueError):
        return DEFAULT_CALENDAR


def sessions_between(after: date, before: date, calendar: str) -> list[date]:
    """Sessions of ``calendar`` strictly after ``after`` and strictly before ``before``."""
    start, end = after + timedelta(days=1), before - timedelta(days=1)
    if start > end:
        return []
    return calendar_sessions(start, end, calendar)


SPAN_START = date(1990, 1, 1)  # the remembered span: 1990 to the end of next year covers any run


def calendar_sessions(start: date, end: date, calendar: str) -> list[date]:
    """Sessions of ``calendar`` from ``start`` to ``end`` inclusive, remembered per calendar version."""
    from importlib.metadata import version

    span_end = date(datetime.now(UTC).year + 1, 12, 31)
    if not SPAN_START <= start <= end <= span_end:
        return _derive(start, end, calendar)
    key = {
        "calendar": calendar,
        "exchange_calendars": version("exchange-calendars"),
        "span": [SPAN_START.isoformat(), span_end.isoformat()],
    }
    try:
        span = remembered(
            "sessions", key, lambda: [d.isoformat() for d in _derive(SPAN_START, span_end, calendar)]
        )
    except ValueError:  # a calendar that does not reach back to 1990: derive the range asked for
        return _derive(start, end, calendar)
    low, high = start.isoformat(), end.isoformat()
    return [date.fromisoformat(d) for d in span if low <= d <= high]


def _derive(start: date, end: date, calendar: str) -> list[date]:
    from aurora_e2d.data.sessions import session_closes  # numpy, pyarrow, exchange-calendars (pandas)

    return [d.astype("datetime64[D]").astype(date) for d in session_closes(start, end, calendar).dates]


def _deployed_fold(run_dir: Path, last: date) -> dict[str, Any] | None:
    try:
        folds = json.loads((run_dir / MODELS_DIR / "folds.json").read_text(encoding="utf-8"))["folds"]
    except (OSError, ValueError, KeyError):
        return None
    live = [f for f in folds if date.fromisoformat(f["test_start"]) <= last]
    return live[-1] if live else None


def daily_view(run_dir: Path, last: date | None, today: date) -> dict[str, Any]:
    """Next session due, the deployed fold and its age in sessions, and whether the data is stale.

    One calendar covers all three (building an exchange calendar is the slow part of a status).
    """
    if last is None:
        return {"calendar": _calendar(run_dir), "next_session_due": None, "model": None, "data": None}
    calendar = _calendar(run_dir)
    fold = _deployed_fold(run_dir, last)
    trained = None if fold is None else date.fromisoformat(fold["train_end"])
    low = min(last, trained or last) + timedelta(days=1)
    high = max(today - timedelta(days=1), last + timedelta(days=14))
    days = calendar_sessions(low, high, calendar)
    model = None
    if fold is not None and trained is not None:
        age = sum(1 for d in days if trained < d <= last)
        model = {"fold": fold["year"], "trained_through": trained.isoformat(), "age_sessions": age}
    behind = sum(1 for d in days if last < d < today)
    upcoming = [d for d in days if last < d <= last + timedelta(days=14)]
    return {
        "calendar": calendar,
        "next_session_due": upcoming[0].isoformat() if upcoming else None,
        "model": model,
        "data": {
            "sessions_behind_today": behind,
            "stale": behind > STALE_AFTER_SESSIONS,
            "stale_after_sessions": STALE_AFTER_SESSIONS,
        },
    }
