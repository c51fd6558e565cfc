"""`aurora advance --run-dir D --snapshot NEW`: daily operation, one evening's data at a time.

Only sessions after the last committed one are traded; the data stages are
recomputed over the whole newer snapshot, predictions and decisions only for
the new sessions when the previous ones provably stand (research/incremental.py,
ADR 0014; else in full: features, folds, predictions and decisions of a
session never depend on how the data arrived), and every
session places its orders, so a run advanced day by day ends with the same
content artifacts, byte for byte, as one run over the final data.

A halted run (kill switch, breaker, reconciliation) is refused with exit 3
or 4 before any data is read: only `aurora resume` lifts a halt.

Refused (exit 2, nothing changed): a directory that holds no run, a run
started with a fixed ``--end``, a snapshot of another calendar, one that
restates traded history (unless ``--accept-restatement``, which is journaled
and recorded in the manifest) or skips sessions of its calendar. A snapshot
with no new session is a no-op that says so (exit 0): a cron or
systemd-timer retry is safe. The run's lock, signals, kill switch, breakers,
flags and reconciliation apply exactly as in `aurora run`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from shlex import quote

from aurora_broker import Journal
from aurora_e2d.core.errors import InputError
from aurora_e2d.core.exitcodes import ExitCode
from aurora_e2d.core.signals import Interrupted, StopSignals
from aurora_e2d.data import Snapshot, load_snapshot
from aurora_e2d.engine.alerts import AlertSink
from aurora_e2d.run.claim import last_committed
from aurora_e2d.run.daily import STALE_AFTER_SESSIONS, sessions_between
from aurora_e2d.run.evening import quick_advance
from aurora_e2d.run.history import first_restatement, new_sessions, skipped_sessions
from aurora_e2d.run.job import RunResult, execute_run, load_run_config, prepare_run_dir
from aurora_e2d.run.lock import RunLock
from aurora_safety import SystemClock, effective_flags, rollback_active

__all__ = ["ADVANCE_EVENT", "RESTATEMENT_EVENT", "advance_job"]

ADVANCE_EVENT = "advance"
RESTATEMENT_EVENT = "restatement_accepted"


def _snapshot_at(place: str | None) -> Snapshot:
    return load_snapshot(None if place is None else Path(place))


def advance_job(
    run_dir: Path,
    snapshot_dir: Path,
    *,
    accept_restatement: bool = False,
    progress: Callable[[int, int], None] | None = None,
    stop: StopSignals | None = None,
    today: date | None = None,
) -> RunResult:
    """Continue ``run_dir`` with the newer snapshot at ``snapshot_dir`` (see the module docstring)."""
    quick = quick_advance(run_dir, snapshot_dir)  # refusals and "nothing new" decided without any stage
    if quick is not None:
        return RunResult(run_dir, run_dir.name, quick.exit_code, quick.message)
    config = load_run_config(run_dir)
    new = load_snapshot(snapshot_dir)
    try:
        with RunLock(run_dir):
            last = last_committed(run_dir)
            if last is None:
                raise InputError(
                    str(run_dir), "has no committed session yet; finish it with `aurora resume` first"
                )
            old_place = config.data.snapshot
            try:
                old = _snapshot_at(old_place)
            except InputError as gone:
                if not accept_restatement:
                    raise InputError(
                        str(run_dir),
                        f"its snapshot cannot be read to check traded history ({gone}); "
                        "advance with --accept-restatement to go on without that check",
                    ) from None
                old = None
            if old is not None and old.calendar != new.calendar:
                raise InputError(
                    str(snapshot_dir), f"calendar {new.calendar} is not the run's calendar {old.calendar}"
                )
            restated = None if old is None else first_restatement(old, new, last)
            old = None  # the traded snapshot's rows are not needed past the check (~350 MB at 5 M bars)
            if restated is not None and not accept_restatement:
                raise InputError(
                    str(snapshot_dir),
                    f"restates history already traded (up to {last}): {restated.describe()}; "
                    "refused (accept it explicitly with --accept-restatement)",
                )
            sessions = new_sessions(new, last)
            if not sessions:
                return RunResult(
                    run_dir,
                    run_dir.name,
                    ExitCode.OK,
                    f"nothing to advance: {snapshot_dir} has no session after {last} (the run is up to date): {run_dir}",
                )
            skipped = skipped_sessions(new, last, sessions)
            if skipped:
                shown = ", ".join(str(d) for d in skipped[:5]) + (" ..." if len(skipped) > 5 else "")
                raise InputError(
                    str(snapshot_dir),
                    f"skips {len(skipped)} session(s) of {new.calendar} after {last}: {shown}",
                )
            moved = config.with_snapshot(snapshot_dir)
            run_dir, run_id = prepare_run_dir(moved, run_dir, move_snapshot=True)
            flags = effective_flags(moved.flags)
            _record(run_dir, moved.config_hash(), new, last, sessions, flags, restated)
            stale = len(sessions_between(sessions[-1], today or datetime.now(UTC).date(), new.calendar))
            if stale > STALE_AFTER_SESSIONS:
                AlertSink(run_dir, run_id).alert(
                    "stale_data",
                    f"newest session {sessions[-1]} is {stale} sessions of {new.calendar} behind today",
                    newest=sessions[-1].isoformat(),
                    sessions_behind=stale,
                )
            result = execute_run(moved, flags, new, run_dir, run_id, progress, stop, incremental=True)
    except Interrupted as signal_:
        return RunResult(
            run_dir,
            run_dir.name,
            signal_.exit_code,
            f"aurora: interrupted by {signal_.name} before the first new session; "
            f"resume with: aurora resume --run-dir {quote(str(run_dir))}",
        )
    if result.exit_code != ExitCode.OK:
        return result
    return RunResult(
        run_dir,
        run_id,
        result.exit_code,
        f"advanced {run_id} by {len(sessions)} session(s) to {sessions[-1]} "
        f"(snapshot {new.lock_sha256[:12]}): {run_dir}",
    )


def _record(
    run_dir: Path,
    config_hash: str,
    new: Snapshot,
    last: date,
    sessions: list[date],
    flags: dict[str, bool],
    restated: object,
) -> None:
    """Journal the advance (and an accepted restatement) before any of its sessions is traded."""
    with (
        Journal.open(run_dir, config_hash, clock=SystemClock(), create=False) as journal,
        journal.session_transaction(),
    ):
        if restated is not None:
            journal.record_run_event(
                RESTATEMENT_EVENT,
                {"snapshot_lock_sha256": new.lock_sha256, "first_difference": restated.describe()},  # type: ignore[attr-defined]
            )
        journal.record_run_event(
            ADVANCE_EVENT,
            {
                "snapshot_lock_sha256": new.lock_sha256,
                "after_session": last.isoformat(),
                "first_session": sessions[0].isoformat(),
                "last_session": sessions[-1].isoformat(),
                "sessions": len(sessions),
                "flags": dict(sorted(flags.items())),
                "rollback": rollback_active(),
                "accepted_restatement": restated is not None,
            },
        )
