"""The `aurora` console script's first instant: signals are answered before anything heavy loads.

Importing the CLI (typer, rich, pydantic, pyarrow ...) takes a noticeable
fraction of a second on a busy machine; a Ctrl-C in that window used to print
a 26-45 line ``KeyboardInterrupt`` traceback. Until the CLI is loaded, nothing
has been written, so SIGINT/SIGTERM leave at once with one line and 130/143.
The CLI then installs its own handling (``aurora_e2d.cli.app.entry``).
"""

from __future__ import annotations

import os
import signal

__all__ = ["entry"]

_CODES = {signal.SIGINT: (130, "SIGINT"), signal.SIGTERM: (143, "SIGTERM")}


def _during_start_up(signum: int, frame: object) -> None:
    code, name = _CODES[signal.Signals(signum)]
    os.write(2, f"aurora: interrupted by {name} during start-up; nothing was written\n".encode())
    os._exit(code)


def entry() -> None:
    """The console script (`aurora`): guard start-up, then hand over to the CLI."""
    for signum in _CODES:
        signal.signal(signum, _during_start_up)
    from aurora_e2d.cli.app import entry as cli_entry

    cli_entry()
