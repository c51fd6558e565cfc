"""The `aurora` console script's first instant: signals are answered before anything heavy loads.

Importing the CLI (typer, rich, pydantic, pyarrow ...) takes a noticeable
fraction of a second on a busy machine; a Ctrl-C in that window used to print
a 26-45 line ``KeyboardInterrupt`` traceback. Until the CLI is loaded, nothing
has been written, so SIGINT/SIGTERM leave at once with one line and 130/143.
`aurora run --run-dir D` locks D here, before the CLI loads (rundir.py), so a
kill aimed at a starting run is accepted from its first instant.
The CLI then installs its own handling (``aurora_e2d.cli.app.entry``).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from aurora_e2d.core.exitcodes import ExitCode

__all__ = ["abandon_start_up_claim", "entry", "guard_start_up"]

_CODES = {
    signal.SIGINT: (int(ExitCode.INTERRUPTED), "SIGINT"),
    signal.SIGTERM: (int(ExitCode.TERMINATED), "SIGTERM"),
}


def abandon_start_up_claim() -> None:
    """Release (and remove, if this process made it and froze nothing there) the directory the
    launcher locked for `aurora run --run-dir D`: a signal before the `run` command takes over
    leaves nothing behind, whether it lands before the CLI loads or after."""
    abandon = getattr(sys.modules.get("aurora_e2d.run.claim"), "abandon_early_claim", None)
    if abandon is not None:  # loaded only when a directory was claimed (maybe half-imported now)
        abandon()


def _during_start_up(signum: int, frame: object) -> None:
    code, name = _CODES[signal.Signals(signum)]
    abandon_start_up_claim()
    os.write(2, f"aurora: interrupted by {name} during start-up; nothing was written\n".encode())
    os._exit(code)


def guard_start_up() -> None:
    """Until the CLI takes over: a signal leaves at once with one line (called by the package's
    ``__init__`` when the process is the `aurora` console script, before anything else loads)."""
    for signum in _CODES:
        signal.signal(signum, _during_start_up)


def _run_dir_of_run(args: list[str]) -> Path | None:
    """D of `aurora run ... --run-dir D` (or ``--run-dir=D``); None for anything else."""
    if not args or args[0] != "run" or "--help" in args:
        return None
    for index, arg in enumerate(args):
        if arg == "--run-dir" and index + 1 < len(args):
            return Path(args[index + 1])
        if arg.startswith("--run-dir="):
            return Path(arg.split("=", 1)[1])
    return None


def entry() -> None:
    """The console script (`aurora`): guard start-up, then hand over to the CLI."""
    guard_start_up()
    run_dir = _run_dir_of_run(sys.argv[1:])
    if run_dir is not None:  # `aurora run --run-dir D`: lock D first, so a kill lands from now on
        from aurora_e2d.run.claim import claim_early
        from aurora_safety import StorageError

        try:
            claim_early(run_dir)
        except StorageError as error:  # a full disk or read-only directory: one line, never a traceback
            os.write(2, f"aurora: error: {error}\n".encode())
            sys.exit(2)
    from aurora_e2d.cli.app import entry as cli_entry

    cli_entry()
