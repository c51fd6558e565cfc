"""Operator levers on a run directory: kill, unkill and breaker reset -- each reaches its target or says so.

A lever aimed at a directory that holds no run (a typo of the live run's
path) exits 2 naming the directory and the runs it can see, and creates
nothing: arming a kill for a run that has not started is an explicit
``--arm``. A breaker reset is a journaled write: it holds the run's lock (so
it cannot race a live writer), refuses a breaker that is not tripped, and
refuses a completed run, whose hashed files no operator action may alter.
The kill file is not a hashed file, so a kill may target any run, live or
not (it also stops the next `aurora resume` or `advance`).
"""

from __future__ import annotations

import time
from pathlib import Path

from aurora_e2d.core.errors import InputError
from aurora_e2d.run.lock import RunLock, holder
from aurora_e2d.run.phase import RunPhase, is_run_dir, read_phase
from aurora_safety import (
    KILL_FILE_NAME,
    BreakerReset,
    ConfigError,
    KillSwitch,
    NotTrippedError,
    SystemClock,
    UnknownBreakerError,
    disengage,
    engage,
    kill_file_path,
)

__all__ = ["arm_kill", "disarm_kill", "live_runs", "reset_breaker"]

RUNS_DIR = Path("runs")  # where `aurora run` puts run directories by default


def live_runs(root: Path = RUNS_DIR) -> list[str]:
    """Run directories under ``root`` whose lock a live process holds, with that process."""
    if not root.is_dir():
        return []
    found = []
    for candidate in sorted(p for p in root.iterdir() if p.is_dir()):
        who = holder(candidate)
        if who is not None:
            found.append(f"{candidate} ({who.describe()})")
    return found


def _no_run(run_dir: Path) -> InputError:
    live = live_runs()
    seen = "; live runs: " + ", ".join(live) if live else "; no live run under runs/"
    return InputError(
        str(run_dir),
        f"holds no Aurora run (no config.json){seen}; to stop a run that has not started yet, "
        "say so with --arm",
    )


def arm_kill(run_dir: Path | None, reason: str, *, arm: bool = False) -> Path:
    """Create the kill file; for ``--run-dir D``, D must hold a run unless ``arm`` says it will."""
    # A locked directory is a run being started: its kill is accepted from the first instant.
    if run_dir is not None and not is_run_dir(run_dir) and holder(run_dir) is None:
        if not arm:
            raise _no_run(run_dir)
        if run_dir.exists() and not run_dir.is_dir():
            raise InputError(str(run_dir), "is a file, not a run directory")
    return engage(kill_file_path(run_dir=run_dir), reason)


def disarm_kill(run_dir: Path | None) -> tuple[list[Path], str | None]:
    """Remove the kill files this target can see; returns (removed, trigger still active or None)."""
    if (
        run_dir is not None
        and not is_run_dir(run_dir)
        and not (run_dir / KILL_FILE_NAME).exists()
        and holder(run_dir) is None
    ):
        raise _no_run(run_dir)
    candidates = [kill_file_path(run_dir=run_dir), Path.cwd() / KILL_FILE_NAME]
    if run_dir is not None:
        candidates.append(run_dir / KILL_FILE_NAME)
    removed = disengage(dict.fromkeys(candidates))
    status = KillSwitch(run_dir=run_dir).check()
    return removed, status.trigger if status.active else None


def reset_breaker(run_dir: Path, name: str, reason: str) -> BreakerReset:
    """Reset one tripped breaker (journaled); the trading state is restored by the next `aurora resume`."""
    from aurora_e2d.engine.stack import open_stack
    from aurora_e2d.run.claim import load_run_config

    if not reason.strip():
        raise ConfigError("--reason", "must say why it is safe to trade again", reason, "command line")
    if not is_run_dir(run_dir):
        raise _no_run(run_dir)
    config = load_run_config(run_dir)
    with RunLock(run_dir):
        phase = read_phase(run_dir, config)
        if phase.phase is RunPhase.COMPLETED:
            raise InputError(
                str(run_dir), "run completed; its hashed files are final and no breaker can be reset"
            )
        if phase.phase is RunPhase.NOT_STARTED:
            raise InputError(str(run_dir), "has no journal yet; nothing has tripped")
        with open_stack(run_dir, config, SystemClock(), create=False, watch_kill_files=False) as stack:
            try:
                with stack.journal.session_transaction():  # the reset and the saved board, or neither
                    event = stack.governor.reset_breaker(name, reason, time.time_ns(), stack.journal)
            except UnknownBreakerError as error:
                raise ConfigError(
                    "NAME",
                    "must be one of " + ", ".join(stack.governor.board.names),
                    name,
                    "command line",
                ) from error
            except NotTrippedError as error:
                raise InputError(str(run_dir), str(error)) from None
    return event
