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
import shlex
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aurora_broker._schema import APPLICATION_ID, DDL, SCHEMA_VERSION
from aurora_broker._storage import sqlite_storage_fault
from aurora_broker.chain import GENESIS, session_digest, table_marks
from aurora_broker.errors import ConfigMismatchError, JournalError
from aurora_broker.integrity import check_integrity
from aurora_broker.reader import Checkpoint, JournalReader
from aurora_safety import BreakerReset, BreakerTripped, Clock, StateChanged, SystemClock

__all__ = ["JOURNAL_NAME", "Checkpoint", "Journal", "dumps"]  # Checkpoint: re-exported from reader

JOURNAL_NAME = "journal.sqlite"
_SQLITE_MAGIC = b"SQLite format 3\x00"


def dumps(data: Any) -> str:
    """Canonical JSON (sorted keys, no NaN) so equal data is stored as equal text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


class Journal:
    """An open journal file. Use ``Journal.open``; close it (or use ``with``) when done."""

    def __init__(self, conn: sqlite3.Connection, path: Path, clock: Clock) -> None:
        self._conn = conn
        self.path = path
        self.read = JournalReader(conn, path)  # typed reads; they see this connection's open transaction
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
        check_file(path, create)
        mode = "rwc" if create else "rw"
        try:
            conn = sqlite3.connect(
                f"file:{quote(str(path))}?mode={mode}", uri=True, isolation_level=None, timeout=10.0
            )
        except sqlite3.Error as exc:
            raise sqlite_storage_fault(exc, path, "opening") or JournalError(
                path, f"cannot open journal ({exc})"
            ) from None
        journal = cls(conn, path, SystemClock() if clock is None else clock)
        try:
            journal._verify_or_create(config_hash, create)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise sqlite_storage_fault(exc, path, "opening") or JournalError(
                path, f"not a usable Aurora journal ({exc})"
            ) from None
        except BaseException:
            conn.close()
            raise
        return journal

    def _verify_or_create(self, config_hash: str, create: bool) -> None:
        conn = self._conn
        conn.execute("PRAGMA query_only = ON")  # nothing may be written until the file is trusted
        check_integrity(conn, self.path)
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
            check_version(self.path, row[0])
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
        try:
            conn.execute("BEGIN IMMEDIATE" if self._depth == 0 else f"SAVEPOINT {name}")
        except sqlite3.Error as exc:
            self._raise_storage_fault(exc, "writing")
            raise
        self._depth += 1
        try:
            yield self
        except BaseException as exc:
            self._depth -= 1
            if self._depth == 0:
                self._rollback()
            elif conn.in_transaction:  # SQLite ends the whole transaction itself on a full disk or I/O error
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
            self._raise_storage_fault(exc, "writing")
            raise
        self._depth -= 1
        if self._depth == 0:
            try:
                conn.execute("COMMIT")
            except BaseException as exc:
                self._rollback()
                self._raise_storage_fault(exc, "committing to")
                raise
        else:
            conn.execute(f"RELEASE {name}")

    def _rollback(self) -> None:
        """Undo the open transaction, unless SQLite already has (it does on a full disk or I/O error).

        Called while another error is on its way out: a failing ROLLBACK must not replace it
        (the next open recovers from the WAL either way), so its own error is dropped.
        """
        if self._conn.in_transaction:
            with suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")
        for listener in self._rollback_listeners:
            listener()

    def _raise_storage_fault(self, exc: BaseException, action: str) -> None:
        """Raise ``exc`` as a ``StorageError`` naming this journal when it is a storage fault."""
        fault = sqlite_storage_fault(exc, self.path, action)
        if fault is not None and fault is not exc:
            raise fault from exc

    @contextmanager
    def atomic(self) -> Iterator[Journal]:
        """Join the caller's transaction (no savepoint), or run as a transaction of its own.

        For the broker's multi-statement steps: inside a session a failing step
        fails the whole session (whose rollback reloads the broker's memory), so
        a savepoint per step -- two more statements each, hundreds a session at
        universe scale -- buys nothing.
        """
        if self._depth:
            yield self
            return
        with self.transaction():
            yield self

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
        return self.read.config_hash()

    def record_decision(self, strategy: str, session: date, symbol: str, payload: Mapping[str, Any]) -> None:
        """Store a decision once; the primary key refuses a second one for the same key."""
        self.execute(
            "INSERT INTO decisions VALUES (?, ?, ?, ?)",
            (strategy, session.isoformat(), symbol, dumps(dict(payload))),
        )

    def record_route_result(
        self,
        client_order_id: str,
        status: str,
        reason: str | None,
        values: Any,
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
                None if values is None else dumps(values),
            ),
        )

    def record_state_change(self, event: StateChanged) -> None:
        self.execute(
            "INSERT INTO trading_state_events (ts_ns, from_state, to_state, reason, cause)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                event.ts_ns,
                str(event.from_state),
                str(event.to_state),
                event.reason,
                None if event.cause is None else str(event.cause),
            ),
        )

    def record_breaker_event(self, event: BreakerTripped | BreakerReset) -> None:
        data = event.as_dict()
        self.execute(
            "INSERT INTO breaker_events (ts_ns, breaker, event, data_json) VALUES (?, ?, ?, ?)",
            (event.ts_ns, event.breaker, data["event"], dumps(data)),
        )

    def save_breaker_state(self, board: Mapping[str, Any]) -> None:
        """Persist ``BreakerBoard.to_dict()``: tripped breakers survive restarts."""
        self.execute(
            "INSERT INTO breaker_state VALUES (1, ?) ON CONFLICT (id) DO UPDATE"
            " SET board_json = excluded.board_json",
            (dumps(dict(board)),),
        )

    def record_run_event(self, kind: str, data: Mapping[str, Any]) -> None:
        """A run-level record (advance, accepted restatement, reconciliation) at wall time."""
        self.execute(
            "INSERT INTO run_events (ts_ns, kind, data_json) VALUES (?, ?, ?)",
            (self._clock.time_ns(), kind, dumps(dict(data))),
        )

    def write_checkpoint(self, session: date, data: Mapping[str, Any] | None = None) -> None:
        """Mark ``session`` committed, chained to the previous one; call it last in the session's transaction.

        The digest covers the previous session's digest and every row appended since
        (``chain.py``), so an edited past session is named by ``JournalReader.verify_chain``.
        """
        with self.atomic():
            last = self._conn.execute(
                "SELECT chain_sha256, marks_json FROM checkpoints ORDER BY session DESC LIMIT 1"
            ).fetchone()
            previous, before = (GENESIS, {}) if last is None else (str(last[0]), json.loads(last[1]))
            marks = table_marks(self._conn)
            day, at, payload = session.isoformat(), self._clock.time_ns(), dumps(dict(data or {}))
            digest = session_digest(self._conn, previous, day, payload, before, marks)
            self.execute(
                "INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?)", (day, at, payload, digest, dumps(marks))
            )


def check_version(path: Path, version: object) -> None:
    """Refuse a journal of another format with one line naming both versions and the way forward."""
    if version == SCHEMA_VERSION:
        return
    if isinstance(version, int) and version < SCHEMA_VERSION:
        raise JournalError(
            path,
            f"journal format v{version} is older than this Aurora's v{SCHEMA_VERSION}; "
            f"migrate it with `aurora migrate --run-dir {shlex.quote(str(path.parent))}` "
            "(resume and advance migrate on their own)",
        )
    raise JournalError(
        path,
        f"journal format v{version} is newer than this Aurora's v{SCHEMA_VERSION}; "
        "use the Aurora release that wrote it (or a newer one)",
    )


def check_file(path: Path, create: bool) -> None:
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
