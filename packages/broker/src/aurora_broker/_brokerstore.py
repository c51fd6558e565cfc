"""Rows of the broker's tables: orders, order events, fills, cash, positions, snapshots.

Kept apart from ``journal.py`` so the file-level concerns (opening,
transactions, run-loop records) and the ledger's row mapping stay small.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aurora_broker.journal import Journal, dumps
from aurora_broker.messages import Account, Fill, Order, Position
from aurora_broker.reader import _ORDER_COLS
from aurora_safety import Rejection


def _iso(session: date | None) -> str | None:
    return None if session is None else session.isoformat()


def _rejection_json(rejection: Rejection | None) -> str | None:
    return None if rejection is None else dumps(rejection.as_dict())


class BrokerStore:
    """Reads and writes the paper broker's state through one ``Journal``."""

    __slots__ = ("journal",)

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    # account and cash
    def load_account(self) -> tuple[int, int, date | None] | None:
        return self.journal.read.account()

    def init_account(self, starting_cash_cents: int) -> None:
        self.journal.execute(
            "INSERT INTO account VALUES (1, ?, ?, NULL)", (starting_cash_cents, starting_cash_cents)
        )

    def post_cash(self, session: date | None, kind: str, ref: str, amount_cents: int) -> None:
        """Append a ledger line; the balance is stored once per session by ``close_session``."""
        self.journal.execute(
            "INSERT INTO cash_ledger (session, kind, ref, amount_cents) VALUES (?, ?, ?, ?)",
            (_iso(session), kind, ref, amount_cents),
        )

    def close_session(self, session: date, cash_cents: int) -> None:
        """The balance after every posting of ``session``, and the session as the last processed."""
        self.journal.execute(
            "UPDATE account SET cash_cents = ?, last_session = ? WHERE id = 1",
            (cash_cents, session.isoformat()),
        )

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
        return self.journal.read.orders()

    def order_events(self, client_order_id: str | None = None) -> list[dict[str, Any]]:
        return self.journal.read.order_events(client_order_id)

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
        return self.journal.read.fills()

    # positions and snapshots
    def save_position(self, position: Position, mark_session: date | None) -> None:
        self.journal.execute(
            "INSERT INTO positions VALUES (?, ?, ?, ?) ON CONFLICT (symbol) DO UPDATE SET"
            " quantity = excluded.quantity, mark_price = excluded.mark_price,"
            " mark_session = excluded.mark_session",
            (position.symbol, position.quantity, position.mark_price, _iso(mark_session)),
        )

    def load_positions(self) -> list[Position]:
        return self.journal.read.positions()

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
