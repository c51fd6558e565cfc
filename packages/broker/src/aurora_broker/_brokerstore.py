"""Rows of the broker's tables: orders, order events, fills, cash, positions, snapshots.

Kept apart from ``journal.py`` so the file-level concerns (opening,
transactions, run-loop records) and the ledger's row mapping stay small.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from aurora_broker.journal import Journal, dumps
from aurora_broker.messages import Account, Fill, Order, OrderStatus, Position, Side
from aurora_safety import ReasonCode, Rejection

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


def _iso(session: date | None) -> str | None:
    return None if session is None else session.isoformat()


def _rejection_json(rejection: Rejection | None) -> str | None:
    return None if rejection is None else dumps(rejection.as_dict())


def _rejection(text: str | None) -> Rejection | None:
    if text is None:
        return None
    data = json.loads(text)
    return Rejection(ReasonCode(data["reason"]), tuple(data["values"].items()))


def _side(text: str) -> Side | str:
    return Side(text) if text in Side.__members__ else text  # a rejected order may carry a bad side


class BrokerStore:
    """Reads and writes the paper broker's state through one ``Journal``."""

    __slots__ = ("journal",)

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    # account and cash
    def load_account(self) -> tuple[int, int, date | None] | None:
        rows = self.journal.query("SELECT starting_cash_cents, cash_cents, last_session FROM account")
        if not rows:
            return None
        start, cash, last = rows[0]
        return start, cash, None if last is None else date.fromisoformat(last)

    def init_account(self, starting_cash_cents: int) -> None:
        self.journal.execute(
            "INSERT INTO account VALUES (1, ?, ?, NULL)", (starting_cash_cents, starting_cash_cents)
        )

    def post_cash(
        self, session: date | None, kind: str, ref: str, amount_cents: int, cash_cents: int
    ) -> None:
        """Append a ledger line and store the new balance (same transaction)."""
        with self.journal.transaction():
            self.journal.execute(
                "INSERT INTO cash_ledger (session, kind, ref, amount_cents) VALUES (?, ?, ?, ?)",
                (_iso(session), kind, ref, amount_cents),
            )
            self.journal.execute("UPDATE account SET cash_cents = ? WHERE id = 1", (cash_cents,))

    def set_last_session(self, session: date) -> None:
        self.journal.execute("UPDATE account SET last_session = ? WHERE id = 1", (session.isoformat(),))

    def cash_ledger(self) -> list[tuple[str | None, str, str, int]]:
        return [
            tuple(r)
            for r in self.journal.query(
                "SELECT session, kind, ref, amount_cents FROM cash_ledger ORDER BY seq"
            )
        ]

    # orders
    def insert_order(self, order: Order) -> None:
        self.journal.execute(
            f"INSERT INTO orders ({', '.join(_ORDER_COLS)}) VALUES ({', '.join('?' * len(_ORDER_COLS))})",
            (
                order.client_order_id,
                order.strategy,
                order.session.isoformat(),
                str(order.symbol),
                str(order.side),
                order.quantity,
                order.limit_price,
                str(order.status),
                order.filled_quantity,
                _rejection_json(order.rejection),
            ),
        )

    def update_order(self, order: Order) -> None:
        self.journal.execute(
            "UPDATE orders SET quantity = ?, limit_price = ?, status = ?, filled_quantity = ?"
            " WHERE client_order_id = ?",
            (
                order.quantity,
                order.limit_price,
                str(order.status),
                order.filled_quantity,
                order.client_order_id,
            ),
        )

    def order_event(
        self, client_order_id: str, session: date | None, ts_ns: int, data: dict[str, Any]
    ) -> None:
        self.journal.execute(
            "INSERT INTO order_events (client_order_id, session, ts_ns, event, data_json)"
            " VALUES (?, ?, ?, ?, ?)",
            (client_order_id, _iso(session), ts_ns, data["event"], dumps(data)),
        )

    def load_orders(self) -> list[Order]:
        rows = self.journal.query(f"SELECT {', '.join(_ORDER_COLS)} FROM orders ORDER BY seq")
        return [
            Order(
                client_order_id=c,
                strategy=st,
                session=date.fromisoformat(se),
                symbol=sy,
                # A rejected order keeps the side it was given, valid or not (_side).
                side=_side(si),  # type: ignore[arg-type]
                quantity=q,
                limit_price=lp,
                status=OrderStatus(s),
                filled_quantity=f,
                rejection=_rejection(rj),
            )
            for c, st, se, sy, si, q, lp, s, f, rj in rows
        ]

    def order_events(self, client_order_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT client_order_id, session, data_json FROM order_events"
        rows = (
            self.journal.query(sql + " WHERE client_order_id = ? ORDER BY seq", (client_order_id,))
            if client_order_id is not None
            else self.journal.query(sql + " ORDER BY seq")
        )
        return [{"client_order_id": c, "session": s, **json.loads(d)} for c, s, d in rows]

    # fills
    def insert_fill(self, fill: Fill) -> None:
        self.journal.execute(
            "INSERT INTO fills (fill_id, client_order_id, session, symbol, side, quantity, price,"
            " gross_cents, commission_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                fill.fill_id,
                fill.client_order_id,
                fill.session.isoformat(),
                fill.symbol,
                str(fill.side),
                fill.quantity,
                fill.price,
                fill.gross_cents,
                fill.commission_cents,
            ),
        )

    def load_fills(self) -> list[Fill]:
        rows = self.journal.query(
            "SELECT fill_id, client_order_id, session, symbol, side, quantity, price,"
            " gross_cents, commission_cents FROM fills ORDER BY seq"
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

    # positions and snapshots
    def save_position(self, position: Position, mark_session: date | None) -> None:
        self.journal.execute(
            "INSERT INTO positions VALUES (?, ?, ?, ?) ON CONFLICT (symbol) DO UPDATE SET"
            " quantity = excluded.quantity, mark_price = excluded.mark_price,"
            " mark_session = excluded.mark_session",
            (position.symbol, position.quantity, position.mark_price, _iso(mark_session)),
        )

    def load_positions(self) -> list[Position]:
        rows = self.journal.query("SELECT symbol, quantity, mark_price FROM positions ORDER BY symbol")
        return [Position(symbol=s, quantity=q, mark_price=m) for s, q, m in rows]

    def write_snapshot(self, session: date, account: Account) -> None:
        """Per-session positions and equity: the ``positions``/``equity`` artifacts come from these."""
        day = session.isoformat()
        for p in account.positions:
            self.journal.execute(
                "INSERT INTO position_snapshots VALUES (?, ?, ?, ?)",
                (day, p.symbol, p.quantity, p.mark_price),
            )
        self.journal.execute(
            "INSERT INTO equity_snapshots VALUES (?, ?, ?, ?)",
            (day, account.cash_cents, account.market_value_cents, account.equity_cents),
        )

    def corporate_action(self, session: date, symbol: str, data: dict[str, Any]) -> None:
        self.journal.execute(
            "INSERT INTO corporate_action_events (session, symbol, data_json) VALUES (?, ?, ?)",
            (session.isoformat(), symbol, dumps(data)),
        )

    def equity_snapshots(self) -> list[tuple[date, int, int, int]]:
        rows = self.journal.query(
            "SELECT session, cash_cents, market_value_cents, equity_cents"
            " FROM equity_snapshots ORDER BY session"
        )
        return [(date.fromisoformat(s), c, m, e) for s, c, m, e in rows]
