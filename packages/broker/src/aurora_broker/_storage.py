"""SQLite's storage faults, named: disk full, I/O error, read-only, permission, cannot open.

SQLite reports a full disk as ``database or disk is full`` and may already
have rolled the transaction back by then, so a second error from the
rollback must never replace the first. These helpers turn such an
``sqlite3.Error`` into one ``StorageError`` line naming the journal file and
the real cause; anything else (a constraint, a bug) is left as it is.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from aurora_safety import StorageError

__all__ = ["on_read_only_mount", "sqlite_storage_fault"]

# Primary result codes (extended codes carry them in the low byte).
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 3, 8, 10, 13, 14
_CAUSES = {
    _SQLITE_FULL: "no space left on device",
    _SQLITE_IOERR: "input/output error",
    _SQLITE_READONLY: "read-only file system or file",
    _SQLITE_PERM: "permission denied",
}


def on_read_only_mount(path: Path) -> bool:
    """Whether ``path``'s directory lies on a file system mounted read-only (nobody can write there)."""
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _directory_cause(path: Path) -> str | None:
    """Why SQLite could not open or create its files beside ``path``: a read-only mount or no permission."""
    directory = path.parent
    if on_read_only_mount(path):
        return "read-only file system"
    if not os.access(directory, os.W_OK) or (path.exists() and not os.access(path, os.R_OK | os.W_OK)):
        return "permission denied"
    return None


def sqlite_storage_fault(error: BaseException, path: Path, action: str) -> StorageError | None:
    """The ``StorageError`` that ``error`` is (``action`` e.g. 'committing to'), or None if it is none."""
    if isinstance(error, StorageError):
        return error
    if not isinstance(error, sqlite3.Error):  # an OSError names its own file; its caller maps it
        return None
    code = getattr(error, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    cause = _CAUSES.get(primary) if primary is not None else None
    if primary in (_SQLITE_CANTOPEN, _SQLITE_READONLY) or (cause is None and "unable to open" in str(error)):
        cause = _directory_cause(path) or cause
    if cause is None:
        return None
    return StorageError(cause, action, path, detail=f"SQLite: {error}")
