"""Where a run directory stands -- live, interrupted, halted, completed -- and the command that comes next.

Read-only: the lock is probed (never taken), the journal is opened with
``mode=ro``. A live run is never told to resume: following that advice used
to start a second writer. `aurora status`, the levers and the report use
this one classification.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from shlex import quote
from typing import Any

from aurora_broker import JOURNAL_NAME, JournalReader
from aurora_e2d.engine.halts import resume_commands
from aurora_e2d.run.claim import CONFIG_FILE
from aurora_e2d.run.lock import Holder, holder
from aurora_e2d.rundir.config import RunConfig
from aurora_e2d.rundir.layout import SUMMARY_FILE
from aurora_safety import KillStatus, KillSwitch, Standing, TradingState, TransitionCause

__all__ = ["CONFIG_FILE", "PhaseInfo", "RunPhase", "is_run_dir", "read_phase", "trading_days"]


class RunPhase(StrEnum):
    NOT_STARTED = "not started"  # config frozen, no session committed yet, nobody running it
    LIVE = "live"  # a process holds the run's lock right now
    INTERRUPTED = "interrupted"  # stopped (signal, crash, SIGKILL) before the end: resume needed
    HALTED = "halted"  # the kill switch or a breaker stopped it; see the trigger
    COMPLETED = "completed"  # every session of its window is committed


@dataclass(frozen=True, slots=True)
class PhaseInfo:
    phase: RunPhase
    run_dir: Path
    holder: Holder | None
    last_session: date | None
    sessions_done: int
    sessions_total: int
    trading_state: TradingState
    halt_reason: str | None  # the last state change's reason when HALTED
    halt_cause: TransitionCause | None
    open_breakers: tuple[str, ...]  # breakers that must be reset before trading again
    kill: KillStatus
    open_ended: bool = False  # started without --end: `aurora advance` continues it with newer data

    def next_commands(self) -> list[str]:
        """The exact commands that move this run on (never `resume` for a live run), shell-quoted."""
        d = quote(str(self.run_dir))
        match self.phase:
            case RunPhase.LIVE:
                return [
                    f"aurora status --run-dir {d}   (it is running; to stop it: aurora kill --run-dir {d} --reason TEXT)"
                ]
            case RunPhase.COMPLETED if self.open_ended:
                return [
                    f"aurora advance --run-dir {d} --snapshot NEW   (when newer data arrives)",
                    f"aurora report --run-dir {d}",
                ]
            case RunPhase.COMPLETED:
                return [f"aurora report --run-dir {d}"]
            case RunPhase.NOT_STARTED | RunPhase.INTERRUPTED | RunPhase.HALTED:
                return resume_commands(self.run_dir, self.kill.active, self.open_breakers)


def is_run_dir(path: Path) -> bool:
    """A directory an `aurora run` created (its frozen config.json is the first thing written)."""
    return (path / CONFIG_FILE).is_file()


def trading_days(run_dir: Path) -> list[date]:
    """The run's trading sessions (one per decision date); empty before stage 7 wrote them."""
    path = run_dir / "decisions.parquet"
    try:
        stat = path.stat()
    except OSError:
        return []
    from aurora_e2d.run.memo import remembered

    # Remembered per file identity: pyarrow alone costs more than `aurora status` may take.
    key = {
        "path": str(path.resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "ctime_ns": stat.st_ctime_ns,
        "ino": stat.st_ino,
    }
    return [date.fromisoformat(d) for d in remembered("decision-dates", key, lambda: _decision_dates(path))]


def _decision_dates(path: Path) -> list[str]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    # ParquetFile, not read_table: that one loads pyarrow.dataset (and pandas) for a status.
    # Unique in Arrow before Python: 2,000 symbols x 10 years is 5 M rows but 2,516 dates
    # (to_pylist of every row took 4.6 s of a 6 s `aurora status`).
    dates = pq.ParquetFile(path).read(columns=["date"]).column("date")
    return [d.isoformat() for d in sorted(pc.unique(dates).to_pylist())]


def _summary(run_dir: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads((run_dir / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _final_manifest_written(run_dir: Path) -> bool:
    """A run's last write is the manifest that lists its report: a run killed after its summary
    but before that write is not finished (resume writes the rest; nothing else changes)."""
    from aurora_e2d.rundir.layout import (
        MANIFEST_FILE,  # light: not manifest.py (pyarrow)
        REPORT_ENTRY,
    )

    try:
        loaded = json.loads((run_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    artifacts = loaded.get("artifacts") if isinstance(loaded, dict) else None
    return isinstance(artifacts, dict) and REPORT_ENTRY in artifacts


def read_phase(run_dir: Path, config: RunConfig) -> PhaseInfo:
    """Classify ``run_dir`` from its lock, journal, decisions and summary; changes nothing."""
    who = holder(run_dir)
    days = trading_days(run_dir)
    last: date | None = None
    state = TradingState.ACTIVE
    reason: str | None = None
    cause: TransitionCause | None = None
    standing = Standing(TradingState.ACTIVE)
    if (run_dir / JOURNAL_NAME).is_file():
        with JournalReader.open(run_dir) as reader:
            checkpoint = reader.last_checkpoint()
            last = None if checkpoint is None else checkpoint.session
            standing = Standing.from_saved(reader.breaker_state(), reader.trading_state())
            events = reader.state_events()
            state = standing.recorded
            if events:
                reason, cause = events[-1].event.reason, events[-1].event.cause
    done = 0 if last is None else sum(1 for d in days if d <= last)
    open_breakers = standing.halting
    summary = _summary(run_dir)
    kill = KillSwitch(run_dir=run_dir).check()
    if who is not None:
        phase = RunPhase.LIVE
    elif (
        days
        and done == len(days)
        and summary is not None
        and summary.get("status") == "completed"
        and _final_manifest_written(run_dir)
    ):
        phase = RunPhase.COMPLETED
    elif state is TradingState.HALTED or open_breakers:
        phase = RunPhase.HALTED
    elif last is None:
        phase = RunPhase.NOT_STARTED
    else:
        phase = RunPhase.INTERRUPTED
    return PhaseInfo(
        phase=phase,
        run_dir=run_dir,
        holder=who,
        last_session=last,
        sessions_done=done,
        sessions_total=len(days),
        trading_state=state,
        halt_reason=reason if state is TradingState.HALTED else None,
        halt_cause=cause if state is TradingState.HALTED else None,
        open_breakers=open_breakers,
        kill=kill,
        open_ended=config.end is None,
    )
