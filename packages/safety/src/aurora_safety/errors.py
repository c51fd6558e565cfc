"""Exceptions for broken contracts and bad input.

Expected refusals (an order over a limit) are values, see ``events.Rejection``;
these exceptions are for configuration and programming errors, and each
subclasses a built-in so callers can catch it the ordinary way.
"""

from __future__ import annotations

import errno
import math
import os
from pathlib import Path

__all__ = [
    "STORAGE_ERRNOS",
    "AuroraError",
    "ConfigError",
    "StorageError",
    "SubjectError",
    "UnknownBreakerError",
    "format_value",
]

_NO_VALUE = object()


def format_value(value: object) -> str:
    """Render a bad value so its type is visible: ``inf``, ``-5``, ``'abc'``, ``True``."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # 'inf', '-inf', 'nan'
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class AuroraError(Exception):
    """Base class of every Aurora-specific exception."""


class SubjectError(AuroraError):
    """An error about one thing (a file, a directory, a field): ``str`` is ``<subject>: <problem>`` on one line.

    The shape every "bad input, exit 2" error of the packages shares; each
    subclass adds the built-in it is caught as (``ValueError`` ...).
    """

    def __init__(self, subject: object, problem: str) -> None:
        self.subject = str(subject)
        self.problem = problem
        self.message = " ".join(f"{self.subject}: {problem}".split())
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class ConfigError(AuroraError, ValueError):
    """Bad configuration or declaration; the CLI prints ``str(err)`` and exits 2.

    The message is one line naming the field, the expectation, the value and
    the source, e.g. ``'limits.max_order_notional_usd' must be a finite number
    > 0, was inf (my.toml)``.
    """

    def __init__(
        self,
        field: str,
        expectation: str,
        value: object = _NO_VALUE,
        source: str | None = None,
        *,
        message: str | None = None,
    ) -> None:
        self.field = field
        self.expectation = expectation
        self.value = None if value is _NO_VALUE else value
        self.has_value = value is not _NO_VALUE
        self.source = source
        if message is None:
            message = f"'{field}' {expectation}"
            if value is not _NO_VALUE:
                message += f", was {format_value(value)}"
            if source is not None:
                message += f" ({source})"
        self.message = message
        super().__init__(message)

    @classmethod
    def unknown_field(cls, field: str, value: object, source: str | None, allowed: list[str]) -> ConfigError:
        """Build the ``unknown field 'x'`` error: a typo must never be ignored silently."""
        message = f"unknown field '{field}' (allowed: {', '.join(allowed)})"
        message += f", was {format_value(value)}"
        if source is not None:
            message += f" ({source})"
        return cls(field, "is not a known field", value, source, message=message)

    def __str__(self) -> str:
        return self.message


class UnknownBreakerError(AuroraError, KeyError):
    """An operator named a breaker that does not exist."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        self.message = f"unknown breaker {name!r} (known: {', '.join(known)})"
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would repr-quote the whole message
        return self.message


# Faults of the storage itself, not of the data: the disk, the device, the mount or the permissions.
STORAGE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS, errno.EACCES, errno.EPERM}
)


class StorageError(AuroraError):
    """Disk full, I/O error, read-only or permission fault: one line naming the cause and the path.

    ``no space left on device writing runs/x/trace.jsonl``. The CLI prints it
    and exits 2; what was committed before the fault is kept, and the same
    command (or ``aurora resume``) continues once the fault is fixed. Not an
    ``OSError``: no handler meant for a missing file may swallow or rename it.
    """

    def __init__(
        self, cause: str, action: str, path: object, *, code: int | None = None, detail: str | None = None
    ) -> None:
        self.cause = cause
        self.action = action
        self.path = str(path)
        text = f"{cause} {action} {self.path}" + ("" if detail is None else f" ({detail})")
        self.message = " ".join(text.split())
        self.errno = code
        super().__init__(self.message)

    @classmethod
    def from_os_error(
        cls, error: OSError, path: object = None, action: str = "writing", *, detail: str | None = None
    ) -> StorageError | None:
        """The storage fault ``error`` is, naming ``path`` (else the error's own file) and adding
        ``detail`` (what did not happen); None for errors that are not the storage's."""
        if error.errno not in STORAGE_ERRNOS:
            return None
        where = path if path is not None else error.filename
        cause = os.strerror(error.errno).lower()  # 'no space left on device', 'input/output error', ...
        where = "an unnamed file" if where is None else Path(str(where))
        return cls(cause, action, where, code=error.errno, detail=detail)

    def __str__(self) -> str:
        return self.message
