"""The kill switch: an environment variable read once, and kill files checked per order.

Fail closed: a kill-file path is "clear" only when ``lstat`` says it does not
exist (``FileNotFoundError``). Any other answer - the entry exists (even a
dangling symlink or a symlink loop), or the path cannot be examined (ELOOP in
a parent, EACCES, EIO, ENAMETOOLONG, ENOTDIR) - activates the switch.
``os.path.exists`` and ``os.access`` answer False for such errors and would
fail open, so they are never used here.

ENOTDIR (a parent of the kill-file path is a regular file) counts as active:
the path cannot hold a kill file, but neither can ``aurora kill`` write one
there, and a kill lever that cannot be pulled must be treated as pulled.

Once active, an instance stays latched: deleting the file never restarts
trading by itself; an operator resumes with a new process.
"""

from __future__ import annotations

import errno
import json
import os
import stat as stat_module
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aurora_safety import env
from aurora_safety.clock import Clock, SystemClock
from aurora_safety.errors import StorageError

__all__ = [
    "KILL_FILE_NAME",
    "KillStatus",
    "KillSwitch",
    "StatFn",
    "describe_trigger",
    "disengage",
    "engage",
    "kill_file_candidates",
    "kill_file_path",
]

KILL_FILE_NAME = "kill.flag"

StatFn = Callable[[str], os.stat_result]


@dataclass(frozen=True, slots=True)
class KillStatus:
    """Whether trading must stop, and which trigger said so.

    ``trigger`` is ``env:AURORA_KILL=1``, ``file:/path/kill.flag`` or
    ``file-unreadable:/path/kill.flag (ELOOP: ...)``; None when inactive.
    """

    active: bool
    trigger: str | None = None


CLEAR = KillStatus(active=False)


def _describe(exc: OSError | ValueError) -> str:
    """``ELOOP: Too many levels of symbolic links``; a ValueError (NUL in a path) by type."""
    if not isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc}"
    code = errno.errorcode.get(exc.errno, "E?") if exc.errno is not None else "E?"
    return f"{code}: {exc.strerror or exc}"


def _present(path: str, found: os.stat_result) -> str:
    """Trigger text for an existing entry; a symlink that cannot be followed says why."""
    if stat_module.S_ISLNK(found.st_mode):
        try:
            os.stat(path)
        except OSError as exc:  # dangling link or link loop: still active
            return f"file-unreadable:{path} ({_describe(exc)})"
    return f"file:{path}"


def kill_file_candidates(
    run_dir: Path | None = None,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[Path, ...]:
    """Absolute kill-file paths in check order: $AURORA_KILL_FILE, <cwd>, <run_dir>.

    A relative ``AURORA_KILL_FILE`` is taken relative to ``cwd``. Duplicates
    are dropped so a run dir equal to the working directory is stat'ed once.
    """
    base = Path(os.getcwd() if cwd is None else cwd).absolute()
    paths: list[Path] = []
    from_env = env.kill_file_env(environ)
    if from_env is not None:
        paths.append(base / from_env)
    paths.append(base / KILL_FILE_NAME)
    if run_dir is not None:
        paths.append(base / run_dir / KILL_FILE_NAME)
    unique: list[Path] = []
    for path in paths:
        if path not in unique:
            unique.append(path)
    return tuple(unique)


class KillSwitch:
    """Answers "must trading stop?" before every order and at every run-loop step.

    ``AURORA_KILL`` and ``AURORA_KILL_FILE`` are read once here: a process's
    environment cannot be changed from outside, so the kill file is the
    runtime switch. ``stat`` is injectable only to simulate I/O errors (EIO,
    EACCES as root) that a test cannot produce on a real filesystem.
    """

    __slots__ = ("_candidates", "_latched", "_paths", "_stat")

    def __init__(
        self,
        run_dir: Path | None = None,
        cwd: Path | None = None,
        environ: Mapping[str, str] | None = None,
        *,
        stat: StatFn | None = None,
    ) -> None:
        self._candidates = kill_file_candidates(run_dir, cwd, environ)
        self._paths = tuple(str(path) for path in self._candidates)  # str: ~10% faster lstat
        self._stat: StatFn = os.lstat if stat is None else stat
        trigger = env.kill_env_trigger(environ)
        self._latched: KillStatus | None = (
            None if trigger is None else KillStatus(active=True, trigger=trigger)
        )

    @property
    def candidates(self) -> tuple[Path, ...]:
        """The kill-file paths this switch watches, in check order."""
        return self._candidates

    @property
    def latched(self) -> bool:
        """True once any check has seen a trigger; it never clears in this instance."""
        return self._latched is not None

    def check(self) -> KillStatus:
        """One ``lstat`` per candidate until a trigger is found; then latched forever."""
        if self._latched is not None:
            return self._latched
        stat = self._stat
        for path in self._paths:
            try:
                found = stat(path)
            except FileNotFoundError:
                continue
            except (OSError, ValueError) as exc:  # cannot tell whether a kill file is there
                return self._latch(f"file-unreadable:{path} ({_describe(exc)})")
            return self._latch(_present(path, found))
        return CLEAR

    def _latch(self, trigger: str) -> KillStatus:
        self._latched = KillStatus(active=True, trigger=trigger)
        return self._latched


def kill_file_path(
    run_dir: Path | None = None,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """Where ``aurora kill`` writes: $AURORA_KILL_FILE, else <run_dir>, else <cwd>."""
    base = Path(os.getcwd() if cwd is None else cwd).absolute()
    from_env = env.kill_file_env(environ)
    if from_env is not None:
        return base / from_env
    if run_dir is not None:
        return base / run_dir / KILL_FILE_NAME
    return base / KILL_FILE_NAME


def engage(path: Path, reason: str, *, clock: Clock | None = None) -> Path:
    """Atomically write a kill file (temp file, fsync, rename) holding reason and UTC time.

    The parent directory is created if missing, so ``aurora kill --run-dir D``
    works before the run has written anything.
    """
    path = Path(path)
    now_ns = (SystemClock() if clock is None else clock).time_ns()
    stamp = datetime.fromtimestamp(now_ns / 1e9, tz=UTC).isoformat(timespec="seconds")
    body = json.dumps({"reason": reason, "engaged_at_utc": stamp}, sort_keys=True) + "\n"
    try:
        _write_kill_file(path, body)
    except OSError as exc:  # a full or read-only disk: the switch is NOT on
        fault = StorageError.from_os_error(exc, path, detail="kill switch NOT engaged")  # writing
        if fault is None:
            raise
        raise fault from exc
    return path


def _write_kill_file(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Any name in the same directory is equally atomic: the temp name's mutants cannot be told apart.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # pragma: no mutate
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(body)
            # flush and fsync are durability, unobservable without a power cut (no mutants for them)
            handle.flush()  # pragma: no mutate
            os.fsync(handle.fileno())  # pragma: no mutate
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    # Durability only (a power cut between rename and flush): no test can tell these lines' mutants apart.
    dir_fd = os.open(path.parent, os.O_RDONLY)  # pragma: no mutate
    try:
        os.fsync(dir_fd)  # pragma: no mutate
    finally:
        os.close(dir_fd)  # pragma: no mutate


def disengage(paths: Iterable[Path]) -> list[Path]:
    """Remove the given kill files; returns those actually removed.

    Missing files are skipped. Any other error (a directory in the way, no
    permission) propagates: the operator must know the switch is still on.
    """
    removed: list[Path] = []
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        removed.append(Path(path))
    return removed


def describe_trigger(trigger: str) -> str:
    """The trigger with the operator's reason from the kill file (``engage`` wrote it), if any.

    An unreadable file or a bare ``touch`` still counts as a kill (fail closed):
    the trigger alone is then the description.
    """
    if not trigger.startswith("file:"):
        return trigger
    try:
        reason = json.loads(Path(trigger[len("file:") :]).read_bytes()).get("reason")
    except (OSError, ValueError, AttributeError):
        return trigger
    return f"{trigger}, reason: {reason}" if isinstance(reason, str) and reason.strip() else trigger
