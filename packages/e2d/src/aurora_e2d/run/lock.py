"""One writer per run directory: OS advisory locks held for the writer's whole life.

``flock(LOCK_EX)`` dies with the process (a SIGKILL leaves nothing to clear
by hand), so a stale lock cannot exist. Two locks, taken in this order:

* the run directory itself (its open descriptor): a file can be deleted from
  under a live run, the directory it works in cannot, so deleting
  ``run.lock`` never admits a second writer;
* ``<run-dir>/run.lock``, into which the holder writes who it is (pid,
  command, start time) once it has both.

A second writer exits 2 naming the live process: from ``run.lock``, or, when
that file is gone or names someone else, from the kernel's lock table
(``/proc/locks``). Readers (``aurora status``) never take the lock: they only
ask whether someone holds it, with a shared non-blocking probe released at
once. A writer that meets such a probe retries for a moment instead of
failing. A read-only or full file system is a ``StorageError`` naming
``run.lock``.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from aurora_e2d.core.errors import InputError
from aurora_e2d.core.faults import fault_point
from aurora_safety import StorageError

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


def _flock_owner(fd: int) -> int | None:
    """The pid holding an exclusive flock on ``fd``'s file, from the kernel's lock table (Linux)."""
    st = os.fstat(fd)
    key = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    try:
        with open("/proc/locks", encoding="ascii") as table:
            for line in table:
                parts = line.split()  # '6: FLOCK  ADVISORY  WRITE 18413 fe:00:2147798 0 EOF'
                if len(parts) >= 6 and parts[1:4] == ["FLOCK", "ADVISORY", "WRITE"] and parts[5] == key:
                    return int(parts[4])
    except (OSError, ValueError):
        return None
    return None


def _describe_pid(pid: int) -> Holder:
    """A holder known only by its pid (its ``run.lock`` was deleted): the command from /proc."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        command = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    except OSError:
        command = "unknown"
    return Holder(pid, command or "unknown", "unknown")


def _who(dir_fd: int, lock_path: Path) -> Holder | None:
    """Who holds the directory lock: run.lock's record when it names that process, else the kernel's."""
    recorded = _read_holder(lock_path)
    owner = _flock_owner(dir_fd)
    if owner is None or (recorded is not None and recorded.pid == owner):
        return recorded
    return _describe_pid(owner)


def _command() -> str:
    argv = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv and sys.argv[0] else ["python"]
    return " ".join(argv)


def _storage(error: OSError, path: Path, action: str) -> Exception:
    return StorageError.from_os_error(error, path, action) or error


def _lock_or_wait(fd: int, busy: Callable[[], Exception]) -> None:
    """``flock(LOCK_EX)`` within a moment (a status probe holds it for microseconds), else ``busy()``."""
    deadline = time.monotonic() + _RETRY_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            if time.monotonic() > deadline:
                raise busy() from None
            time.sleep(0.02)


class RunLock:
    """``with RunLock(run_dir):`` -- exclusive for the block (and the process) or ``RunDirBusyError``."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.path = run_dir / LOCK_FILE
        self._fd: int | None = None
        self._dir_fd: int | None = None

    def acquire(self) -> RunLock:
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            dir_fd = os.open(self.run_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except (FileExistsError, NotADirectoryError):
            raise InputError(str(self.run_dir), "is not a directory") from None
        except OSError as exc:
            raise _storage(exc, self.run_dir, "creating") from None
        fd: int | None = None
        try:
            _lock_or_wait(dir_fd, lambda: RunDirBusyError(self.run_dir, _who(dir_fd, self.path)))
            try:
                fault_point("write_lock", self.path)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
                _lock_or_wait(fd, lambda: RunDirBusyError(self.run_dir, _read_holder(self.path)))
                me = {
                    "pid": os.getpid(),
                    "command": _command(),
                    "since_utc": datetime.now(UTC).isoformat(timespec="seconds"),
                }
                os.ftruncate(fd, 0)
                os.pwrite(fd, (json.dumps(me, sort_keys=True) + "\n").encode(), 0)
            except OSError as exc:
                raise _storage(exc, self.path, "writing") from None
        except BaseException:
            if fd is not None:
                os.close(fd)
            os.close(dir_fd)
            raise
        self._fd, self._dir_fd = fd, dir_fd
        return self

    def release(self) -> None:
        for fd in (self._fd, self._dir_fd):
            if fd is not None:
                os.close(fd)  # closing the descriptor releases its flock
        self._fd = self._dir_fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def holder(run_dir: Path) -> Holder | None:
    """The live writer of ``run_dir``, or None when nobody holds its lock (never blocks, never writes)."""
    try:
        fd = os.open(run_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return _who(fd, run_dir / LOCK_FILE) or Holder(-1, "unknown", "unknown")
        raise
    finally:
        os.close(fd)  # releases the probe (if it was taken) at once
    return None
