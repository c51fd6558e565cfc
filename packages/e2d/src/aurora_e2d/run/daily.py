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

from aurora_e2d.data.sessions import DEFAULT_CALENDAR, session_closes
from aurora_e2d.rundir.manifest import MANIFEST

__all__ = ["STALE_AFTER_SESSIONS", "daily_view", "sessions_between"]

MODELS_DIR = "models"  # research.pipeline.MODELS_DIR; not imported: that loads sklearn for a status
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
    days = [d.astype("datetime64[D]").astype(date) for d in session_closes(low, high, calendar).dates]
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
