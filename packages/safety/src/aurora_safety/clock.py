"""Injectable clocks: code asks a clock for time so tests can control it.

``monotonic_ns`` measures intervals (throttles); ``time_ns`` stamps events
with UTC wall time.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock", "TestClock"]


@runtime_checkable
class Clock(Protocol):
    """Anything that tells monotonic and wall time in integer nanoseconds."""

    def monotonic_ns(self) -> int: ...

    def time_ns(self) -> int: ...


class SystemClock:
    """The real clock of the process."""

    __slots__ = ()

    def monotonic_ns(self) -> int:
        return time.monotonic_ns()

    def time_ns(self) -> int:
        return time.time_ns()


class TestClock:
    """A clock that moves only when told to; both readings share one value.

    ``set`` may move it backwards on purpose, so adversarial tests can check
    that nothing mints capacity from a clock jump.
    """

    __test__ = False  # not a pytest test class despite the name
    __slots__ = ("_now_ns",)

    def __init__(self, start_ns: int = 0) -> None:
        self._now_ns = int(start_ns)

    def monotonic_ns(self) -> int:
        return self._now_ns

    def time_ns(self) -> int:
        return self._now_ns

    def advance(self, ns: int) -> None:
        """Move forward (or backward, if ``ns`` is negative) by ``ns``."""
        self._now_ns += int(ns)

    def set(self, ns: int) -> None:
        """Jump to an absolute reading, in either direction."""
        self._now_ns = int(ns)
