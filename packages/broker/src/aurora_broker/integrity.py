"""Believe a journal only after SQLite has checked it: ``PRAGMA integrity_check`` on every open.

``integrity_check``, not ``quick_check``: a flipped byte inside an index
(``row 4264 missing from index sqlite_autoindex_orders_1``) passes
``quick_check``, which does not compare index contents with their tables.
On the bundled run's 10.7 MB journal both take about 0.1 s. A file already
checked by this process and unchanged since (same size and modification
time of the database and its WAL) is not checked again, so `aurora status`,
which opens the journal several times, pays once.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from aurora_broker.errors import JournalError

__all__ = ["check_integrity"]

_FINDINGS_SHOWN = 3
_trusted: set[tuple[object, ...]] = set()


def _file_key(path: Path) -> tuple[object, ...] | None:
    try:
        main = path.stat()
    except OSError:
        return None
    key: list[object] = [str(path.resolve()), main.st_mtime_ns, main.st_size]
    wal = path.with_name(path.name + "-wal")
    try:
        side = wal.stat()
        key += [side.st_mtime_ns, side.st_size]
    except OSError:
        key.append(None)
    return tuple(key)


def check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    """Raise ``JournalError`` naming the file and SQLite's first findings unless the check says ok."""
    key = _file_key(path)
    if key is not None and key in _trusted:
        return
    findings = [str(r[0]) for r in conn.execute(f"PRAGMA integrity_check({_FINDINGS_SHOWN})").fetchall()]
    if findings != ["ok"]:
        raise JournalError(path, f"journal is corrupt (SQLite integrity_check: {'; '.join(findings)})")
    if key is not None:
        _trusted.add(key)
