"""Online copies of a journal: consistent while a run is live, checked before anyone trusts them.

SQLite's backup API copies the committed state (the WAL included) page by
page under a read transaction, so a writer committing sessions meanwhile
neither blocks nor tears the copy. The copy is a different file only in its
header (change counter, schema cookie, journal mode: the copy is one
self-contained file in rollback mode; `Journal.open` turns WAL back on).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from aurora_broker.errors import JournalError
from aurora_broker.journal import JOURNAL_NAME, check_file

__all__ = ["backup_journal", "integrity_check_journal"]


def backup_journal(source: Path | str, target: Path | str) -> None:
    """Copy the journal at ``source`` (a file or a run directory) to a new file ``target``, then check it.

    Raises ``JournalError`` naming the file for an unreadable source, a target that
    cannot be written, or a copy that fails ``PRAGMA integrity_check``.
    """
    source, target = Path(source), Path(target)
    if source.is_dir():
        source = source / JOURNAL_NAME
    check_file(source, create=False)
    if target.exists():
        raise JournalError(target, "backup target already exists")
    try:
        src = sqlite3.connect(f"file:{quote(str(source.resolve()))}?mode=rw", uri=True, timeout=10.0)
    except sqlite3.Error as exc:
        raise JournalError(source, f"cannot open journal ({exc})") from None
    try:
        src.execute("PRAGMA query_only = ON")  # the backup must never write the live run's journal
        copy = sqlite3.connect(target)
        try:
            src.backup(copy)  # one step: a single read transaction, so one consistent state
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal/-shm beside it
        finally:
            copy.close()
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise JournalError(source, f"online backup to {target} failed ({exc})") from None
    finally:
        src.close()
    result = integrity_check_journal(target)
    if result != "ok":
        raise JournalError(target, f"backup copy is corrupt (integrity_check: {result})")


def integrity_check_journal(path: Path | str) -> str:
    """``PRAGMA integrity_check`` of a journal file that no run uses ("ok" when sound); never writes it.

    Not ``quick_check``: it passes a flipped byte inside an index (``integrity.py``)."""
    path = Path(path)
    check_file(path, create=False)
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=10.0)
    except sqlite3.Error as exc:
        raise JournalError(path, f"cannot open journal ({exc})") from None
    try:
        rows = conn.execute("PRAGMA integrity_check(5)").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()
    return "; ".join(str(row[0]) for row in rows[:5])
