"""Fault injection for the crash-recovery tests (never set in production).

`AURORA_FAULT_AT=<point>:<n>` makes the process SIGKILL itself the n-th time
(1-based) it reaches the named point, so tests can end a run abruptly at a
precise place: no cleanup, no atexit, no flushing -- exactly like a power cut
of the process. `<point>:<n>:hold` instead holds the process there (alive,
holding its run lock) until the file named by `AURORA_FAULT_RELEASE` exists:
a live run that cannot finish before a test has aimed its levers at it.
`<point>:<n>:enospc` (or `eio`, `erofs`, `eacces`) instead raises the storage
error the operating system would raise there, naming the file, so every write
point can be proven to fail with one named line and keep what was committed
(SQLite's own wording of a full disk is proven on a real full tmpfs instead).
Unset, `fault_point` costs one comparison.
"""

from __future__ import annotations

import errno
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
# Write points, where a storage fault (not a SIGKILL) is injected: each names the file it writes.
WRITE_POINTS = frozenset(
    {
        "write_lock",  # run.lock: opening and recording the holder
        "write_artifact",  # every atomically written file: Parquet, JSON, models, report, manifest
        "write_trace",  # a line of trace.jsonl
        "write_alert",  # a line of alerts.jsonl
        "journal_commit",  # inside a session's journal transaction, just before COMMIT
    }
)
STORAGE_FAULTS = {"enospc": errno.ENOSPC, "eio": errno.EIO, "erofs": errno.EROFS, "eacces": errno.EACCES}
ACTIONS = ("", "hold", *STORAGE_FAULTS)


def _parse(raw: str | None) -> tuple[str, int, str] | None:
    if not raw:
        return None
    point, _, rest = raw.partition(":")
    count, _, action = rest.partition(":")
    points = WRITE_POINTS if action in STORAGE_FAULTS else POINTS
    if point not in points or not count.isdigit() or int(count) < 1 or action not in ACTIONS:
        raise ValueError(
            f"{FAULT_ENV} must be <point>:<n>[:hold] with point in {sorted(POINTS)}, or "
            f"<point>:<n>:{'|'.join(STORAGE_FAULTS)} with point in {sorted(WRITE_POINTS)}, was {raw!r}"
        )
    return point, int(count), action


_SPEC = _parse(os.environ.get(FAULT_ENV))
_seen: dict[str, int] = {}


def fault_point(name: str, path: object = None) -> None:
    """Die, hold or fail with a storage error here if the fault spec names this point and its count is reached."""
    if _SPEC is None or _SPEC[0] != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] != _SPEC[1]:
        return
    action = _SPEC[2]
    if action in STORAGE_FAULTS:
        _fail(STORAGE_FAULTS[action], path)
    if not action:
        os.kill(os.getpid(), signal.SIGKILL)
    release = os.environ.get(RELEASE_ENV, "")
    while not (release and os.path.exists(release)):
        time.sleep(0.02)


def _fail(code: int, path: object) -> None:
    raise OSError(code, os.strerror(code), None if path is None else str(path))
