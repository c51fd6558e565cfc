"""SIGINT and SIGTERM stop a run at a session boundary, never in the middle of one.

The handler only records the request; the loop looks at it between sessions
(and the job between stages), so the session in flight is committed or
rolled back whole, the command exits 130 (SIGINT) or 143 (SIGTERM) with one
line naming the last committed session and the resume command, and nothing
raises through a journal transaction (that is what used to print a
traceback). A second signal means "now": the process leaves at once with the
same exit code; the journal is crash-safe, so that too resumes cleanly.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

from aurora_e2d.core.exitcodes import ExitCode

__all__ = ["EXIT_CODES", "Interrupted", "StopSignals"]

EXIT_CODES = {signal.SIGINT: int(ExitCode.INTERRUPTED), signal.SIGTERM: int(ExitCode.TERMINATED)}
_NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}


class Interrupted(Exception):
    """Raised by ``StopSignals.check`` at a boundary once a stop was requested."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(_NAMES.get(signal.Signals(signum), str(signum)))

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[signal.Signals(self.signum)]

    @property
    def name(self) -> str:
        return _NAMES[signal.Signals(self.signum)]


class StopSignals:
    """``with StopSignals(on_second=...) as stop:`` -- installs the handlers, restores them on exit."""

    def __init__(self, on_second: Callable[[int], str] | None = None) -> None:
        self.requested: int | None = None
        self._on_second = on_second
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested is None:
            self.requested = signum
            return
        message = self._on_second(signum) if self._on_second is not None else ""
        if message:
            os.write(sys.stderr.fileno(), (message + "\n").encode())
        os._exit(EXIT_CODES[signal.Signals(signum)])

    def check(self) -> None:
        """At a boundary: raise ``Interrupted`` if a stop was requested."""
        if self.requested is not None:
            raise Interrupted(self.requested)

    @property
    def stop_requested(self) -> bool:
        return self.requested is not None

    def __enter__(self) -> StopSignals:
        for signum in EXIT_CODES:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
