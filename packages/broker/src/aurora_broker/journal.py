"""The durable journal: one SQLite file per run, the source of truth for money and orders.

WAL mode with ``synchronous=FULL``: a commit is on disk before it returns,
and a crash at any instant leaves the last committed session intact. The run
loop wraps a whole session (decisions, orders, fills, positions, breaker
state, checkpoint) in one ``session_transaction``; writes made outside one
commit individually. Opening checks the file before writing anything, so a
corrupt, foreign or other-config file is refused with one line and left as
it was. Wall time appears only here (checkpoint stamps), never in hashed
artifacts.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aurora_broker._schema import APPLICATION_ID, DDL, SCHEMA_VERSION
from aurora_broker.errors import ConfigMismatchError, JournalError
from aurora_safety import BreakerReset, BreakerTripped, Clock, StateChanged, SystemClock

__all__ = ["JOURNAL_NAME", "Checkpoint", "Journal", "dumps"]

JOURNAL_NAME = "journal.sqlite"
_SQLITE_MAGIC = b"SQLite format 3\x00"


def dumps(data: Any) -> str:
    """Canonical JSON (sorted keys, no NaN) so equal data is stored as equal text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The last session whose state was committed; ``data`` is whatever the run loop stored."""

    session: date
    committed_at_ns: int
    data: Mapping[str, Any]


class Journal:
    """An open journal file. Use ``Journal.open``; close it (or use ``with``) when done."""

    def __init__(self, conn: sqlite3.Connection, path: Path, clock: Clock) -> None:
        self._conn = conn
        self.path = path
        self._clock = clock
        self._depth = 0
        self._rollback_listeners: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls, path: Path | str, config_hash: str, *, clock: Clock | None = None, create: bool = True
    ) -> Journal:
        """Open (or, with ``create``, start) the journal at ``path`` or ``path/journal.sqlite``.

        Raises ``JournalError`` for a missing, corrupt or foreign file and
        ``ConfigMismatchError`` when it was written under another config hash.
        """
        path = Path(path)
        if path.is_dir():
            path = path / JOURNAL_NAME
        if not isinstance(config_hash, str) or not config_hash:
            raise ValueError(f"'config_hash' must be a non-empty string, was {config_hash!r}")
        _check_file(path, create)
        mode = "rwc" if create else "rw"
        try:
            conn = sqlite3.connect(
                f"file:{quote(str(path))}?mode={mode}", uri=True, isolation_level=None, timeout=10.0
            )
        except sqlite3.Error as exc:
            raise JournalError(path, f"cannot open journal ({exc})") from None
        journal = cls(conn, path, SystemClock() if clock is None else clock)
        try:
            journal._verify_or_create(config_hash, create)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise JournalError(path, f"not a usable Aurora journal ({exc})") from None
        except BaseException:
            conn.close()
            raise
        return journal

    def _verify_or_create(self, config_hash: str, create: bool) -> None:
        conn = self._conn
        conn.execute("PRAGMA query_only = ON")  # nothing may be written until the file is trusted
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise JournalError(self.path, f"journal is corrupt (quick_check: {check})")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        fresh = not tables and app_id == 0
        if fresh and not create:
            raise JournalError(self.path, "journal is empty (a run that never committed)")
        if not fresh:
            if app_id != APPLICATION_ID or "meta" not in tables:
                raise JournalError(self.path, "not an Aurora journal (foreign SQLite database)")
            row = conn.execute("SELECT schema_version, config_hash FROM meta WHERE id = 1").fetchone()
            if row is None:
                raise JournalError(self.path, "journal has no meta row (incomplete or foreign file)")
            if row[0] != SCHEMA_VERSION:
                raise JournalError(
                    self.path, f"journal schema version {row[0]}, this code needs {SCHEMA_VERSION}"
                )
            if row[1] != config_hash:
                raise ConfigMismatchError(self.path, row[1], config_hash)
        conn.execute("PRAGMA query_only = OFF")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise JournalError(self.path, f"cannot switch the journal to WAL mode (got {mode!r})")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        if fresh:
            with self.transaction():
                for statement in DDL.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(
                    "INSERT INTO meta VALUES (1, ?, ?, ?)",
                    (SCHEMA_VERSION, config_hash, self._clock.time_ns()),
                )

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------- transactions
    @contextmanager
    def session_transaction(self) -> Iterator[Journal]:
        """Commit everything written inside as one durable unit, or nothing on an exception.

        Must be outermost: a session is never half of another transaction.
        """
        if self._depth:
            raise RuntimeError("session_transaction() cannot be nested in another transaction")
        with self.transaction():
            yield self

    @contextmanager
    def transaction(self) -> Iterator[Journal]:
        """A transaction, or a savepoint inside an open one (so a failed step undoes only itself)."""
        conn = self._conn
        name = f"sp{self._depth}"
        conn.execute("BEGIN IMMEDIATE" if self._depth == 0 else f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield self
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                conn.execute("ROLLBACK")
                for listener in self._rollback_listeners:
                    listener()
            else:
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
            raise
        self._depth -= 1
        if self._depth == 0:
            try:
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                for listener in self._rollback_listeners:
                    listener()
                raise
        else:
            conn.execute(f"RELEASE {name}")

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def on_rollback(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after an outermost rollback (the broker reloads its state then)."""
        self._rollback_listeners.append(listener)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Run one write; outside a transaction it commits on its own."""
        if self._depth:
            return self._conn.execute(sql, params)
        with self.transaction():
            return self._conn.execute(sql, params)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params).fetchall()

    def pragma(self, name: str) -> Any:
        return self._conn.execute(f"PRAGMA {name}").fetchone()[0]

    # ---------------------------------------------------------- run-loop records
    @property
    def config_hash(self) -> str:
        return str(self.query("SELECT config_hash FROM meta WHERE id = 1")[0][0])

    def record_decision(self, strategy: str, session: date, symbol: str, payload: Mapping[str, Any]) -> None:
        """Store a decision once; the primary key refuses a second one for the same key."""
        self.execute(
            "INSERT INTO decisions VALUES (?, ?, ?, ?)",
            (strategy, session.isoformat(), symbol, dumps(dict(payload))),
        )

    def decisions(self, session: date | None = None) -> list[tuple[str, date, str, dict[str, Any]]]:
        sql = "SELECT strategy, session, symbol, payload_json FROM decisions"
        rows = (
            self.query(sql + " WHERE session = ? ORDER BY 1, 2, 3", (session.isoformat(),))
            if session is not None
            else self.query(sql + " ORDER BY 1, 2, 3")
        )
        return [(s, date.fromisoformat(d), sym, json.loads(p)) for s, d, sym, p in rows]

    def record_route_result(
        self,
        client_order_id: str,
        status: str,
        reason: str | None,
        values: Mapping[str, Any] | None,
        *,
        strategy: str | None = None,
        session: date | None = None,
        symbol: str | None = None,
        side: str | None = None,
        quantity: int | None = None,
        limit_price: float | None = None,
        action: str = "submit",
    ) -> None:
        """One router outcome: decision key, order fields, accepted/rejected, reason and values."""
        self.execute(
            "INSERT INTO route_results (client_order_id, action, strategy, session, symbol, side, quantity,"
            " limit_price, status, reason, values_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                client_order_id,
                action,
                strategy,
                None if session is None else session.isoformat(),
                symbol,
                side,
                quantity,
                limit_price,
                status,
                reason,
                None if values is None else dumps(dict(values)),
            ),
        )

    def route_results(self) -> list[dict[str, Any]]:
        cols = (
            "client_order_id",
            "action",
            "strategy",
            "session",
            "symbol",
            "side",
            "quantity",
            "limit_price",
            "status",
            "reason",
            "values_json",
        )
        rows = self.query(f"SELECT {', '.join(cols)} FROM route_results ORDER BY seq")
        return [dict(zip(cols, row, strict=True)) for row in rows]

    def routed_client_order_ids(self) -> set[str]:
        """Every client order id the router has answered, accepted or not (for dedup on resume)."""
        return {
            r[0]
            for r in self.query("SELECT DISTINCT client_order_id FROM route_results WHERE action = 'submit'")
        }

    def record_state_change(self, event: StateChanged) -> None:
        self.execute(
            "INSERT INTO trading_state_events (ts_ns, from_state, to_state, reason) VALUES (?, ?, ?, ?)",
            (event.ts_ns, str(event.from_state), str(event.to_state), event.reason),
        )

    def state_changes(self) -> list[dict[str, Any]]:
        rows = self.query("SELECT ts_ns, from_state, to_state, reason FROM trading_state_events ORDER BY seq")
        return [{"ts_ns": t, "from_state": f, "to_state": s, "reason": r} for t, f, s, r in rows]

    def record_breaker_event(self, event: BreakerTripped | BreakerReset) -> None:
        data = event.as_dict()
        self.execute(
            "INSERT INTO breaker_events (ts_ns, breaker, event, data_json) VALUES (?, ?, ?, ?)",
            (event.ts_ns, event.breaker, data["event"], dumps(data)),
        )

    def breaker_events(self) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self.query("SELECT data_json FROM breaker_events ORDER BY seq")]

    def save_breaker_state(self, board: Mapping[str, Any]) -> None:
        """Persist ``BreakerBoard.to_dict()``: tripped breakers survive restarts."""
        self.execute(
            "INSERT INTO breaker_state VALUES (1, ?) ON CONFLICT (id) DO UPDATE"
            " SET board_json = excluded.board_json",
            (dumps(dict(board)),),
        )

    def load_breaker_state(self) -> dict[str, Any] | None:
        rows = self.query("SELECT board_json FROM breaker_state WHERE id = 1")
        return json.loads(rows[0][0]) if rows else None

    def write_checkpoint(self, session: date, data: Mapping[str, Any] | None = None) -> None:
        """Mark ``session`` committed; call it last inside the session's transaction."""
        self.execute(
            "INSERT INTO checkpoints VALUES (?, ?, ?)",
            (session.isoformat(), self._clock.time_ns(), dumps(dict(data or {}))),
        )

    def last_checkpoint(self) -> Checkpoint | None:
        rows = self.query(
            "SELECT session, committed_at_ns, data_json FROM checkpoints ORDER BY session DESC LIMIT 1"
        )
        if not rows:
            return None
        session, at, data = rows[0]
        return Checkpoint(date.fromisoformat(session), at, json.loads(data))


def _check_file(path: Path, create: bool) -> None:
    """Refuse a missing file (unless creating), a directory, or a file that is not SQLite."""
    if not path.parent.is_dir():
        raise JournalError(path, "directory does not exist")
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(_SQLITE_MAGIC))
    except FileNotFoundError:
        if create:
            return
        raise JournalError(path, "no journal here (not a run directory?)") from None
    except OSError as exc:
        raise JournalError(path, f"cannot read journal ({exc.strerror or exc})") from None
    if head and head != _SQLITE_MAGIC:
        raise JournalError(path, "not an SQLite database (corrupt or foreign file)")
