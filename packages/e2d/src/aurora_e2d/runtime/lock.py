"""One writer per run directory: an OS advisory lock held for the writer's whole life.

``flock(LOCK_EX)`` on ``<run-dir>/run.lock`` dies with the process (a
SIGKILL leaves nothing to clear by hand), so a stale lock cannot exist. The
holder writes who it is (pid, command, start time) into the file after it
has the lock; a second writer reads that and exits 2 naming the live
process. Readers (``aurora status``) never take the lock: they only ask
whether someone holds it, with a shared non-blocking probe released at once.
A writer that meets such a probe retries for a moment instead of failing.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from aurora_e2d.errors import InputError

__all__ = ["LOCK_FILE", "Holder", "RunDirBusyError", "RunLock", "holder"]

LOCK_FILE = "run.lock"
_RETRY_S = 0.5  # a status probe holds the lock for microseconds; never longer than this


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a run directory's lock."""

    pid: int
    command: str
    since_utc: str

    def describe(self) -> str:
        return f"pid {self.pid} `{self.command}` since {self.since_utc}"


class RunDirBusyError(InputError):
    """Another live process writes this run directory (exit 2)."""

    def __init__(self, run_dir: Path, who: Holder | None) -> None:
        self.holder = who
        by = who.describe() if who is not None else "another process"
        super().__init__(str(run_dir), f"is in use by {by}; one writer per run directory")


def _read_holder(path: Path) -> Holder | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Holder(int(data["pid"]), str(data["command"]), str(data["since_utc"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # written a moment after the lock was taken; or an older file


def _command() -> str:
    argv = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv and sys.argv[0] else ["python"]
    return " ".join(argv)


class RunLock:
    """``with RunLock(run_dir):`` -- exclusive for the block (and the process) or ``RunDirBusyError``."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.path = run_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline = time.monotonic() + _RETRY_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    os.close(fd)
                    raise
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise RunDirBusyError(self.run_dir, _read_holder(self.path)) from None
                time.sleep(0.02)
        me = {
            "pid": os.getpid(),
            "command": _command(),
            "since_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(me, sort_keys=True) + "\n").encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def holder(run_dir: Path) -> Holder | None:
    """The live writer of ``run_dir``, or None when nobody holds its lock (never blocks, never writes)."""
    path = run_dir / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return _read_holder(path) or Holder(-1, "unknown", "unknown")
        raise
    finally:
        os.close(fd)  # releases the probe (if it was taken) at once
    return None
