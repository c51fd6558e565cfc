"""The operator's daily view of a run: the next session due, the model's age, stale data.

All of it is read from the run directory (manifest, models/folds.json) and
the run's exchange calendar; nothing is written. "Stale" compares the last
session processed with today's date on the calendar: a paper-trading run
that has not advanced for more than ``STALE_AFTER_SESSIONS`` sessions means
the evening job or its data feed stopped.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from aurora_e2d.data import session_closes
from aurora_e2d.data.sessions import DEFAULT_CALENDAR
from aurora_e2d.manifest import MANIFEST
from aurora_e2d.research import MODELS_DIR

__all__ = ["STALE_AFTER_SESSIONS", "daily_view", "sessions_between"]

STALE_AFTER_SESSIONS = 3  # sessions of the calendar the run may lag today before it is called stale


def _calendar(run_dir: Path) -> str:
    try:
        manifest = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
        return str(manifest.get("snapshot_identity", {}).get("calendar") or DEFAULT_CALENDAR)
    except (OSError, ValueError):
        return DEFAULT_CALENDAR


def sessions_between(after: date, before: date, calendar: str) -> list[date]:
    """Sessions of ``calendar`` strictly after ``after`` and strictly before ``before``."""
    start, end = after + timedelta(days=1), before - timedelta(days=1)
    if start > end:
        return []
    return [d.astype("datetime64[D]").astype(date) for d in session_closes(start, end, calendar).dates]


def _next_session(after: date, calendar: str) -> date | None:
    upcoming = session_closes(after + timedelta(days=1), after + timedelta(days=14), calendar).dates
    return None if len(upcoming) == 0 else upcoming[0].astype("datetime64[D]").astype(date)


def _deployed_fold(run_dir: Path, last: date) -> dict[str, Any] | None:
    try:
        folds = json.loads((run_dir / MODELS_DIR / "folds.json").read_text(encoding="utf-8"))["folds"]
    except (OSError, ValueError, KeyError):
        return None
    live = [f for f in folds if date.fromisoformat(f["test_start"]) <= last]
    return live[-1] if live else None


def daily_view(run_dir: Path, last: date | None, today: date) -> dict[str, Any]:
    """Next session due, the deployed fold and its age in sessions, and whether the data is stale."""
    if last is None:
        return {"calendar": _calendar(run_dir), "next_session_due": None, "model": None, "data": None}
    calendar = _calendar(run_dir)
    fold = _deployed_fold(run_dir, last)
    model = None
    if fold is not None:
        trained = date.fromisoformat(fold["train_end"])
        age = len(sessions_between(trained, last + timedelta(days=1), calendar))
        model = {"fold": fold["year"], "trained_through": trained.isoformat(), "age_sessions": age}
    behind = len(sessions_between(last, today, calendar))
    return {
        "calendar": calendar,
        "next_session_due": None if (n := _next_session(last, calendar)) is None else n.isoformat(),
        "model": model,
        "data": {
            "sessions_behind_today": behind,
            "stale": behind > STALE_AFTER_SESSIONS,
            "stale_after_sessions": STALE_AFTER_SESSIONS,
        },
    }
