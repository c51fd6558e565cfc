"""A one-line progress display for people at a terminal; silent in CI logs."""

from __future__ import annotations

import re
import time
from typing import TextIO

__all__ = ["Progress"]

# "⠙ 743/763  🎉 679 ..." from mutmut's spinner: done/total, then killed.
_SPINNER = re.compile(r"(\d+)/(\d+)\s+\S+\s+(\d+)")


class Progress:
    """One self-overwriting status line on a terminal, at most twice a second."""

    def __init__(self, stream: TextIO | None, label: str = "mutation") -> None:
        self.stream = stream if stream is not None and stream.isatty() else None
        self.label = label
        self._last = 0.0

    def update(self, text: str, *, force: bool = False) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        if force or now - self._last >= 0.5:
            self._last = now
            self.stream.write(f"\r\x1b[2K  {self.label}: {text}")
            self.stream.flush()

    def on_mutmut_output(self, text: str) -> None:
        """Feed raw ``mutmut run`` output; shows the latest spinner counts."""
        found = _SPINNER.findall(text)
        if found:
            done, total, killed = found[-1]
            self.update(f"{done}/{total} mutants tested, {killed} killed")

    def done(self) -> None:
        if self.stream is not None:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
