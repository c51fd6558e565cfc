"""Fault injection for the crash-recovery tests (never set in production).

`AURORA_FAULT_AT=<point>:<n>` makes the process SIGKILL itself the n-th time
(1-based) it reaches the named point, so tests can end a run abruptly at a
precise place: no cleanup, no atexit, no flushing -- exactly like a power cut
of the process. `<point>:<n>:hold` instead holds the process there (alive,
holding its run lock) until the file named by `AURORA_FAULT_RELEASE` exists:
a live run that cannot finish before a test has aimed its levers at it.
Unset, `fault_point` costs one comparison.
"""

from __future__ import annotations

import os
import signal
import time

FAULT_ENV = "AURORA_FAULT_AT"
RELEASE_ENV = "AURORA_FAULT_RELEASE"
POINTS = frozenset(
    {
        "after_decisions",  # a session's decisions are journaled, its transaction still open
        "between_submit_and_fill",  # an order was submitted, its session not yet committed
        "after_fills",  # the broker met the open, the session not yet committed
        "after_commit",  # a session's transaction has just committed
        "mid_artifact",  # an artifact's temp file is written, not yet renamed into place
    }
)


def _parse(raw: str | None) -> tuple[str, int, bool] | None:
    if not raw:
        return None
    point, _, rest = raw.partition(":")
    count, _, action = rest.partition(":")
    if point not in POINTS or not count.isdigit() or int(count) < 1 or action not in ("", "hold"):
        raise ValueError(
            f"{FAULT_ENV} must be <point>:<n>[:hold] with point in {sorted(POINTS)}, was {raw!r}"
        )
    return point, int(count), action == "hold"


_SPEC = _parse(os.environ.get(FAULT_ENV))
_seen: dict[str, int] = {}


def fault_point(name: str) -> None:
    """Die here if the fault spec names this point and its count is reached."""
    if _SPEC is None or _SPEC[0] != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] != _SPEC[1]:
        return
    if not _SPEC[2]:
        os.kill(os.getpid(), signal.SIGKILL)
    release = os.environ.get(RELEASE_ENV, "")
    while not (release and os.path.exists(release)):
        time.sleep(0.02)
