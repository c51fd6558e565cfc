"""The checkpoint hash chain: each committed session's digest covers the previous one.

A session's digest is sha256 over the previous session's digest, the
checkpoint itself (session, commit time, data) and every row the session
appended to the journal's append-only tables. Which rows those are is
recorded with the checkpoint as per-table rowid high-water marks
(``marks``), so recomputing the chain reads each row once, in rowid order,
and an edited, inserted or deleted row is named by the session whose range
holds it. The mutable projections (``orders``, ``positions``, ``account``,
``breaker_state``) are not chained: they are re-derived from the chained
rows (order events, fills, ledger, snapshots) and checked against them.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CHAINED_TABLES", "GENESIS", "ChainCheck", "session_digest", "table_marks", "verify_chain"]

CHAIN_DOMAIN = b"aurora-journal-chain-v1\n"
GENESIS = "0" * 64  # the "previous digest" of a journal's first session

# Append-only: rows are inserted and never updated or deleted (the broker's store and the
# run loop write them once). The order is part of the digest: append new tables at the end.
CHAINED_TABLES = (
    "cash_ledger",
    "order_events",
    "fills",
    "position_snapshots",
    "equity_snapshots",
    "corporate_action_events",
    "trading_state_events",
    "breaker_events",
    "decisions",
    "route_results",
    "run_events",
)

_WALL_CLOCK = {"run_events": ("ts_ns",)}  # operational stamps, different in every run


def table_marks(conn: sqlite3.Connection) -> dict[str, int]:
    """The highest rowid of every chained table now (0 for an empty one); O(log n) each."""
    return {
        table: int(conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {table}").fetchone()[0])
        for table in CHAINED_TABLES
    }


_ROWS = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def session_digest(
    conn: sqlite3.Connection,
    previous: str,
    session: str,
    data_json: str,
    before: Mapping[str, int],
    marks: Mapping[str, int],
) -> str:
    """sha256 over ``previous``, the checkpoint and the rows in (``before``, ``marks``] of each table.

    Wall-clock columns (the commit stamp, ``run_events.ts_ns``) are left out, so two runs
    that journal the same content have the same chain (determinism tests compare them).
    """
    digest = hashlib.sha256(CHAIN_DOMAIN)
    digest.update(_canonical([previous, session, data_json, dict(marks)]).encode())
    for table in CHAINED_TABLES:
        low, high = int(before.get(table, 0)), int(marks.get(table, 0))
        if high <= low:
            continue
        rows = conn.execute(
            f"SELECT rowid, * FROM {table} WHERE rowid > ? AND rowid <= ? ORDER BY rowid", (low, high)
        )
        names = [column[0] for column in rows.description]
        found = rows.fetchall()
        if table in _WALL_CLOCK:
            keep = [i for i, name in enumerate(names) if name not in _WALL_CLOCK[table]]
            found = [tuple(row[i] for i in keep) for row in found]
        digest.update(b"\n")
        digest.update(_ROWS.encode([table, found]).encode())  # one C-encoded list: ~3x faster than per row
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The recomputed chain: its head, how many sessions it covers, and the first break if any."""

    sessions: int
    head: str | None  # the last session's stored digest (None before the first session)
    head_session: str | None
    broken_session: str | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_session is None and self.problem is None


def verify_chain(conn: sqlite3.Connection) -> ChainCheck:
    """Recompute every session's digest from the rows; name the first session that does not match."""
    rows = conn.execute(
        "SELECT session, data_json, chain_sha256, marks_json FROM checkpoints ORDER BY session"
    ).fetchall()
    previous, before = GENESIS, dict.fromkeys(CHAINED_TABLES, 0)
    for session, data_json, stored, marks_json in rows:
        try:
            marks = {str(k): int(v) for k, v in json.loads(marks_json).items()}
        except (ValueError, TypeError, AttributeError):
            return ChainCheck(len(rows), None, None, session, f"session {session}: unreadable chain marks")
        if any(marks.get(t, 0) < before.get(t, 0) for t in CHAINED_TABLES):
            return ChainCheck(len(rows), None, None, session, f"session {session}: chain marks go backwards")
        expected = session_digest(conn, previous, session, data_json, before, marks)
        if expected != stored:
            return ChainCheck(
                len(rows),
                None,
                None,
                session,
                f"session {session} does not match its checkpoint digest (edited, inserted or deleted rows "
                f"in that session, or an edited checkpoint): stored {str(stored)[:12]}, recomputed {expected[:12]}",
            )
        previous, before = stored, marks
    if rows:
        return ChainCheck(len(rows), previous, rows[-1][0])
    return ChainCheck(0, None, None)
