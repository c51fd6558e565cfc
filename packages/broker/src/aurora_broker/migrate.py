"""Journal migrations: an older journal is brought to this code's format in one transaction, after a copy.

A journal written by an older Aurora is first copied with SQLite's online
backup API to ``journal.sqlite.bak-v<old>`` (durable before anything
changes), then every step from its version to ``SCHEMA_VERSION`` runs in
one ``BEGIN IMMEDIATE`` transaction: a crash leaves either the old journal
or the migrated one, never a mixture; the migration is journaled as a
``journal_migration`` run event (it appears in the manifest's history). The run's config identity can be
re-stamped in the same transaction (``legacy_config_hashes``): a run
directory made before config identities keeps its sessions.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from aurora_broker._schema import APPLICATION_ID, SCHEMA_VERSION
from aurora_broker.chain import CHAINED_TABLES, GENESIS, session_digest
from aurora_broker.errors import ConfigMismatchError, JournalError
from aurora_broker.integrity import check_integrity
from aurora_broker.journal import check_file, check_version

__all__ = ["MIGRATABLE_FROM", "MIGRATION_EVENT", "Migration", "backup_path", "migrate_journal"]

MIGRATION_EVENT = "journal_migration"  # the run event a migration leaves (wall time: operational)
MIGRATABLE_FROM = 2  # the oldest journal format a step exists for (v2: the first released one)

# Chained tables whose rows name their session: a v2 journal's rows are split into sessions by it.
_SESSION_COLUMN = {
    "cash_ledger",
    "order_events",
    "fills",
    "position_snapshots",
    "equity_snapshots",
    "corporate_action_events",
    "decisions",
    "route_results",
}


@dataclass(frozen=True, slots=True)
class Migration:
    """What ``migrate_journal`` did: from which format to which, and where the copy is."""

    path: Path
    from_version: int
    to_version: int
    backup: Path
    sessions_chained: int
    config_hash_restamped: bool


def backup_path(path: Path, version: int) -> Path:
    return path.with_name(f"{path.name}.bak-v{version}")


def migrate_journal(
    path: Path, config_hash: str, *, legacy_config_hashes: Collection[str] = ()
) -> Migration | None:
    """Migrate the journal at ``path`` to ``SCHEMA_VERSION`` under ``config_hash``; None if it already is.

    ``legacy_config_hashes``: stored config hashes the caller vouches for as the same
    run under an older identity rule; the journal is re-stamped with ``config_hash``.
    Raises ``JournalError`` (corrupt, foreign, newer, too old) and ``ConfigMismatchError``.
    """
    check_file(path, create=False)
    try:
        conn = sqlite3.connect(
            f"file:{quote(str(path))}?mode=rw", uri=True, isolation_level=None, timeout=10.0
        )
    except sqlite3.Error as exc:
        raise JournalError(path, f"cannot open journal ({exc})") from None
    try:
        return _migrate(conn, path, config_hash, legacy_config_hashes)
    except sqlite3.DatabaseError as exc:
        raise JournalError(path, f"journal migration failed, nothing changed ({exc})") from None
    finally:
        conn.close()


def _migrate(
    conn: sqlite3.Connection,
    path: Path,
    config_hash: str,
    legacy: Collection[str],
) -> Migration | None:
    check_integrity(conn, path)
    if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        raise JournalError(path, "not an Aurora journal (foreign SQLite database)")
    row = conn.execute("SELECT schema_version, config_hash FROM meta WHERE id = 1").fetchone()
    if row is None:
        raise JournalError(path, "journal has no meta row (incomplete or foreign file)")
    version, stored_hash = int(row[0]), str(row[1])
    if version > SCHEMA_VERSION:
        check_version(path, version)
    if version < MIGRATABLE_FROM:
        raise JournalError(
            path, f"journal format v{version} predates v{MIGRATABLE_FROM}; it cannot be migrated"
        )
    restamp = stored_hash != config_hash
    if restamp and stored_hash not in legacy:
        raise ConfigMismatchError(path, stored_hash, config_hash)
    if version == SCHEMA_VERSION and not restamp:
        return None
    copy = backup_path(path, version)
    _backup(conn, copy)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("BEGIN IMMEDIATE")
    try:
        chained = _v2_to_v3(conn) if version < 3 else 0
        conn.execute(
            "UPDATE meta SET schema_version = ?, config_hash = ? WHERE id = 1", (SCHEMA_VERSION, config_hash)
        )
        event = {
            "from_version": version,
            "to_version": SCHEMA_VERSION,
            "backup": copy.name,
            "restamped": restamp,
        }
        conn.execute(
            "INSERT INTO run_events (ts_ns, kind, data_json) VALUES (?, ?, ?)",
            (time.time_ns(), MIGRATION_EVENT, json.dumps(event, sort_keys=True, separators=(",", ":"))),
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return Migration(path, version, SCHEMA_VERSION, copy, chained, restamp)


def _backup(conn: sqlite3.Connection, target: Path) -> None:
    """A consistent copy (WAL included) made durable before the journal changes."""
    partial = target.with_name(f".{target.name}.tmp")
    partial.unlink(missing_ok=True)
    copy = sqlite3.connect(partial)
    try:
        conn.backup(copy)
    finally:
        copy.close()
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _v2_to_v3(conn: sqlite3.Connection) -> int:
    """Add the checkpoint chain and compute it over the sessions already committed.

    A v2 journal recorded no per-session row ranges, so they are rebuilt from the
    rows' session column (each session takes the rows of its own and earlier
    sessions not yet taken); rows without one (state, breaker and run events) and
    any other leftovers go to the last committed session.
    """
    conn.execute("ALTER TABLE checkpoints ADD COLUMN chain_sha256 TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE checkpoints ADD COLUMN marks_json TEXT NOT NULL DEFAULT '{}'")
    checkpoints = conn.execute("SELECT session, data_json FROM checkpoints ORDER BY session").fetchall()
    # One pass per table: the highest rowid each session wrote (O(rows), no per-session scans).
    by_session = {
        table: sorted(
            (str(s), int(top))
            for s, top in conn.execute(
                f"SELECT session, MAX(rowid) FROM {table} WHERE session IS NOT NULL GROUP BY session"
            )
        )
        for table in _SESSION_COLUMN
    }
    ends = {
        table: int(conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {table}").fetchone()[0])
        for table in CHAINED_TABLES
    }
    previous, before = GENESIS, dict.fromkeys(CHAINED_TABLES, 0)
    cursor = dict.fromkeys(_SESSION_COLUMN, 0)
    for number, (session, data_json) in enumerate(checkpoints):
        marks = dict(before)
        for table, tops in by_session.items():
            while cursor[table] < len(tops) and tops[cursor[table]][0] <= session:
                marks[table] = max(marks[table], tops[cursor[table]][1])
                cursor[table] += 1
        if number == len(checkpoints) - 1:
            marks = dict(ends)
        digest = session_digest(conn, previous, session, data_json, before, marks)
        conn.execute(
            "UPDATE checkpoints SET chain_sha256 = ?, marks_json = ? WHERE session = ?",
            (digest, json.dumps(marks, sort_keys=True, separators=(",", ":")), session),
        )
        previous, before = digest, marks
    return len(checkpoints)
