"""The journal's typed read API: every question the runtime, status and report ask, answered in values.

Nothing outside ``aurora_broker`` runs SQL against the journal (a repository
test enforces it): they read through ``JournalReader``, either on an open
``Journal`` (``journal.read``, which sees the caller's open transaction) or
on a read-only connection (``JournalReader.open``) that can never change a
run, live or finished.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aurora_broker._schema import APPLICATION_ID, SCHEMA_VERSION
from aurora_broker._storage import on_read_only_mount, sqlite_storage_fault
from aurora_broker.chain import ChainCheck, verify_chain
from aurora_broker.errors import JournalError
from aurora_broker.integrity import check_integrity
from aurora_broker.messages import Fill, Order, OrderStatus, Position, Side
from aurora_safety import ReasonCode, Rejection, StateChanged, TradingState, TransitionCause

__all__ = [
    "BreakerRecord",
    "Checkpoint",
    "EquitySnapshot",
    "JournalReader",
    "LedgerEntry",
    "PositionSnapshot",
    "RouteRecord",
    "RunEvent",
    "StateRecord",
]

_ORDER_COLS = (
    "client_order_id",
    "strategy",
    "session",
    "symbol",
    "side",
    "quantity",
    "limit_price",
    "status",
    "filled_quantity",
    "rejection_json",
)


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A committed session; ``data`` is whatever the run loop stored with it."""

    session: date
    committed_at_ns: int
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EquitySnapshot:
    session: date
    cash_cents: int
    market_value_cents: int
    equity_cents: int


@dataclass(frozen=True, slots=True)
class PositionSnapshot:
    session: date
    symbol: str
    quantity: int
    mark_price: float | None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    session: date | None
    kind: str  # FILL, COMMISSION, DIVIDEND, CASH_IN_LIEU
    ref: str  # fill id, or SYMBOL:ex-date for corporate actions
    amount_cents: int


@dataclass(frozen=True, slots=True)
class StateRecord:
    """A journaled ``StateChanged`` with its position in the journal."""

    seq: int
    event: StateChanged


@dataclass(frozen=True, slots=True)
class BreakerRecord:
    """A journaled breaker trip or reset (``data`` is the event's ``as_dict``)."""

    seq: int
    ts_ns: int
    breaker: str
    event: str  # BreakerTripped | BreakerReset
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RouteRecord:
    """One router answer as journaled: the order fields it saw and accepted/rejected with why."""

    seq: int
    client_order_id: str
    action: str  # submit | cancel
    strategy: str | None
    session: date | None
    symbol: str | None
    side: str | None
    quantity: int | None
    limit_price: float | None
    status: str  # accepted | rejected
    reason: str | None
    values: Any


@dataclass(frozen=True, slots=True)
class RunEvent:
    """A run-level record (an advance, an accepted restatement, a reconciliation result)."""

    seq: int
    ts_ns: int
    kind: str
    data: dict[str, Any]


def _rejection(text: str | None) -> Rejection | None:
    if text is None:
        return None
    data = json.loads(text)
    return Rejection(ReasonCode(data["reason"]), tuple((str(k), v) for k, v in data["values"]))


def _side(text: str) -> Side | str:
    return Side(text) if text in Side.__members__ else text  # a rejected order may carry a bad side


def _unusable(error: sqlite3.Error, path: Path) -> Exception:
    """A storage fault named as such; anything else means the file itself is not a usable journal."""
    return sqlite_storage_fault(error, path, "opening") or JournalError(
        path, f"not a usable Aurora journal ({error})"
    )


class JournalReader:
    """Read-only, typed questions to one journal connection."""

    __slots__ = ("_conn", "path")

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    @classmethod
    @contextmanager
    def open(cls, path: Path | str) -> Iterator[JournalReader]:
        """A reader that cannot write (``PRAGMA query_only``), on a live journal or a finished one.

        Not ``mode=ro``: a read-only connection cannot remove the ``-wal``/``-shm`` files
        it needs, so every `aurora status` would leave two files behind in the run directory.
        """
        from aurora_broker.journal import JOURNAL_NAME, check_file

        path = Path(path)
        if path.is_dir():
            path = path / JOURNAL_NAME
        check_file(path, create=False)
        # On a read-only mount nobody can be writing, and SQLite could not create its -shm file there.
        mode = "ro&immutable=1" if on_read_only_mount(path) else "rw"
        try:
            conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode={mode}", uri=True, timeout=10.0)
            conn.execute("PRAGMA query_only = ON")
        except sqlite3.Error as exc:
            raise _unusable(exc, path) from None
        try:
            reader = cls(conn, path)
            reader.check()
            yield reader
        except sqlite3.DatabaseError as exc:
            raise _unusable(exc, path) from None
        finally:
            conn.close()

    def check(self) -> None:
        """Believe nothing before SQLite's integrity check passes and the file is an Aurora journal.

        A journal newer than this code is refused; an older one is read as it is
        (writers migrate it: ``migrate.py``).
        """
        from aurora_broker.journal import check_version

        check_integrity(self._conn, self.path)
        tables = {r[0] for r in self._rows("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if (
            self._conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID
            or "meta" not in tables
        ):
            raise JournalError(self.path, "not an Aurora journal (foreign or empty SQLite database)")
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            check_version(self.path, version)

    def schema_version(self) -> int:
        rows = self._rows("SELECT schema_version FROM meta WHERE id = 1")
        if not rows:
            raise JournalError(self.path, "journal has no meta row (incomplete or foreign file)")
        return int(rows[0][0])

    def chain_head(self) -> tuple[date, str] | None:
        """The last committed session and its chain digest (None before the first, or on a v2 journal)."""
        if self.schema_version() < 3:
            return None
        rows = self._rows("SELECT session, chain_sha256 FROM checkpoints ORDER BY session DESC LIMIT 1")
        return None if not rows else (date.fromisoformat(rows[0][0]), str(rows[0][1]))

    def verify_chain(self) -> ChainCheck:
        """Recompute the checkpoint chain from the journal's rows (``chain.py``); O(journal size)."""
        if self.schema_version() < 3:
            return ChainCheck(
                0, None, None, None, f"journal format v{self.schema_version()} has no checkpoint chain"
            )
        return verify_chain(self._conn)

    def backup_to(self, target: Path) -> None:
        """A consistent copy of the whole journal (committed state, WAL included) at ``target``."""
        copy = sqlite3.connect(target)
        try:
            self._conn.backup(copy)
        finally:
            copy.close()

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params).fetchall()

    # ------------------------------------------------------------ identity
    def config_hash(self) -> str:
        return str(self._rows("SELECT config_hash FROM meta WHERE id = 1")[0][0])

    # ----------------------------------------------------------- progress
    def checkpoints(self) -> list[Checkpoint]:
        rows = self._rows("SELECT session, committed_at_ns, data_json FROM checkpoints ORDER BY session")
        return [Checkpoint(date.fromisoformat(s), at, json.loads(d)) for s, at, d in rows]

    def last_checkpoint(self) -> Checkpoint | None:
        rows = self._rows(
            "SELECT session, committed_at_ns, data_json FROM checkpoints ORDER BY session DESC LIMIT 1"
        )
        if not rows:
            return None
        session, at, data = rows[0]
        return Checkpoint(date.fromisoformat(session), at, json.loads(data))

    def last_commit_ns(self) -> int | None:
        """Wall time of the last session commit (operational, never in a hashed artifact)."""
        value = self._rows("SELECT MAX(committed_at_ns) FROM checkpoints")[0][0]
        return None if value is None else int(value)

    # ------------------------------------------------------------- broker
    def orders(self) -> list[Order]:
        """Every order the broker holds, in submission order, with its current state."""
        rows = self._rows(f"SELECT {', '.join(_ORDER_COLS)} FROM orders ORDER BY seq")
        return [
            Order(
                client_order_id=c,
                strategy=st,
                session=date.fromisoformat(se),
                symbol=sy,
                # A rejected order keeps the side it was given, valid or not.
                side=_side(si),  # type: ignore[arg-type]
                quantity=q,
                limit_price=lp,
                status=OrderStatus(s),
                filled_quantity=f,
                rejection=_rejection(rj),
            )
            for c, st, se, sy, si, q, lp, s, f, rj in rows
        ]

    def order_counts(self, since_session: date | None = None) -> dict[OrderStatus, int]:
        """How many orders are in each status (one aggregate query: metrics need no order rows);
        with ``since_session``, only orders of later sessions."""
        sql = "SELECT status, COUNT(*) FROM orders"
        rows = (
            self._rows(sql + " WHERE session > ? GROUP BY status", (since_session.isoformat(),))
            if since_session is not None
            else self._rows(sql + " GROUP BY status")
        )
        return {OrderStatus(status): int(count) for status, count in rows}

    def order_events(self, client_order_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT client_order_id, session, data_json FROM order_events"
        rows = (
            self._rows(sql + " WHERE client_order_id = ? ORDER BY seq", (client_order_id,))
            if client_order_id is not None
            else self._rows(sql + " ORDER BY seq")
        )
        return [{"client_order_id": c, "session": s, **json.loads(d)} for c, s, d in rows]

    def fills(self, since_session: date | None = None) -> list[Fill]:
        """Fills in booking order; with ``since_session``, only those of later sessions."""
        sql = (
            "SELECT fill_id, client_order_id, session, symbol, side, quantity, price,"
            " gross_cents, commission_cents FROM fills"
        )
        rows = (
            self._rows(sql + " WHERE session > ? ORDER BY seq", (since_session.isoformat(),))
            if since_session is not None
            else self._rows(sql + " ORDER BY seq")
        )
        return [
            Fill(
                fill_id=f,
                client_order_id=c,
                session=date.fromisoformat(s),
                symbol=sy,
                side=Side(si),
                quantity=q,
                price=p,
                gross_cents=g,
                commission_cents=cm,
            )
            for f, c, s, sy, si, q, p, g, cm in rows
        ]

    def positions(self) -> list[Position]:
        """Current positions (zero rows included: a mark outlives the position), by symbol."""
        rows = self._rows("SELECT symbol, quantity, mark_price FROM positions ORDER BY symbol")
        return [Position(symbol=s, quantity=q, mark_price=m) for s, q, m in rows]

    def account(self) -> tuple[int, int, date | None] | None:
        """(starting cash, cash, last processed session) in cents, None before the broker started."""
        rows = self._rows("SELECT starting_cash_cents, cash_cents, last_session FROM account")
        if not rows:
            return None
        start, cash, last = rows[0]
        return int(start), int(cash), _day(last)

    def cash_ledger(self, kinds: Sequence[str] | None = None) -> list[LedgerEntry]:
        sql = "SELECT session, kind, ref, amount_cents FROM cash_ledger"
        params: tuple[str, ...] = ()
        if kinds is not None:
            sql += f" WHERE kind IN ({', '.join('?' * len(kinds))})"
            params = tuple(kinds)
        return [LedgerEntry(_day(s), k, r, a) for s, k, r, a in self._rows(sql + " ORDER BY seq", params)]

    def position_snapshots(self) -> list[PositionSnapshot]:
        rows = self._rows(
            "SELECT session, symbol, quantity, mark_price FROM position_snapshots ORDER BY session, symbol"
        )
        return [PositionSnapshot(date.fromisoformat(s), sym, q, m) for s, sym, q, m in rows]

    def equity_snapshots(self) -> list[EquitySnapshot]:
        rows = self._rows(
            "SELECT session, cash_cents, market_value_cents, equity_cents FROM equity_snapshots ORDER BY session"
        )
        return [EquitySnapshot(date.fromisoformat(s), c, m, e) for s, c, m, e in rows]

    # ------------------------------------------------------------ run loop
    def decisions(self, session: date | None = None) -> list[tuple[str, date, str, dict[str, Any]]]:
        sql = "SELECT strategy, session, symbol, payload_json FROM decisions"
        rows = (
            self._rows(sql + " WHERE session = ? ORDER BY 1, 2, 3", (session.isoformat(),))
            if session is not None
            else self._rows(sql + " ORDER BY 1, 2, 3")
        )
        return [(s, date.fromisoformat(d), sym, json.loads(p)) for s, d, sym, p in rows]

    def sizing_clips(self) -> list[tuple[date, str, dict[str, Any]]]:
        """``(session, symbol, payload["sizing"])`` of the decisions whose payload holds a sizing
        object (an order a limit clipped or dropped), in ``decisions()`` order. SQLite selects and
        extracts them, so a report over millions of decisions parses only the few that were clipped."""
        rows = self._rows(
            "SELECT session, symbol, json_extract(payload_json, '$.sizing') FROM decisions"
            " WHERE json_type(payload_json, '$.sizing') = 'object' ORDER BY strategy, session, symbol"
        )
        return [(date.fromisoformat(d), sym, json.loads(sizing)) for d, sym, sizing in rows]

    def route_results(self) -> list[RouteRecord]:
        rows = self._rows(
            "SELECT seq, client_order_id, action, strategy, session, symbol, side, quantity, limit_price,"
            " status, reason, values_json FROM route_results ORDER BY seq"
        )
        return [
            RouteRecord(
                seq, coid, action, strategy, _day(session), symbol, side, qty, price, status, reason,
                None if values is None else json.loads(values),
            )
            for seq, coid, action, strategy, session, symbol, side, qty, price, status, reason, values in rows
        ]  # fmt: skip

    def routed_client_order_ids(self) -> set[str]:
        """Every client order id the router has answered, accepted or not (dedup on resume)."""
        rows = self._rows("SELECT DISTINCT client_order_id FROM route_results WHERE action = 'submit'")
        return {r[0] for r in rows}

    def state_events(self) -> list[StateRecord]:
        rows = self._rows(
            "SELECT seq, ts_ns, from_state, to_state, reason, cause FROM trading_state_events ORDER BY seq"
        )
        return [
            StateRecord(
                seq,
                StateChanged(
                    TradingState(f), TradingState(t), r, ts, None if c is None else TransitionCause(c)
                ),
            )
            for seq, ts, f, t, r, c in rows
        ]

    def trading_state(self) -> TradingState:
        """The state the last journaled change left (ACTIVE if none)."""
        rows = self._rows("SELECT to_state FROM trading_state_events ORDER BY seq DESC LIMIT 1")
        return TradingState(rows[0][0]) if rows else TradingState.ACTIVE

    def breaker_events(self) -> list[BreakerRecord]:
        rows = self._rows("SELECT seq, ts_ns, breaker, event, data_json FROM breaker_events ORDER BY seq")
        return [BreakerRecord(seq, ts, b, e, json.loads(d)) for seq, ts, b, e, d in rows]

    def breaker_state(self) -> dict[str, Any] | None:
        """The saved ``BreakerBoard.to_dict()``, None before the first session committed."""
        rows = self._rows("SELECT board_json FROM breaker_state WHERE id = 1")
        return json.loads(rows[0][0]) if rows else None

    def run_events(self, kind: str | None = None) -> list[RunEvent]:
        sql = "SELECT seq, ts_ns, kind, data_json FROM run_events"
        rows = (
            self._rows(sql + " WHERE kind = ? ORDER BY seq", (kind,))
            if kind is not None
            else self._rows(sql + " ORDER BY seq")
        )
        return [RunEvent(seq, ts, k, json.loads(d)) for seq, ts, k, d in rows]
