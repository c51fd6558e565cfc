"""Builders for tests of the broker and of the packages above it (the router's tests use them too).

Shipped with the package, like ``contract``, so a higher package's tests can
import them without the broker's tests being importable; nothing at runtime
uses this module.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from aurora_broker.messages import Side, SubmitOrder

__all__ = ["flip_index_byte", "make_order"]


def make_order(
    coid: str = "o1",
    symbol: str = "AAPL",
    side: Side | str = Side.BUY,
    quantity: int = 100,
    limit_price: float = 100.0,
    session: date = date(2012, 1, 3),
    strategy: str | None = None,
) -> SubmitOrder:
    """A day limit order; ``side`` may be text and ``quantity`` anything, to build invalid orders too."""
    return SubmitOrder(
        client_order_id=coid,
        symbol=symbol,
        side=side,  # type: ignore[arg-type]
        quantity=quantity,
        limit_price=limit_price,
        session=session,
        strategy=strategy,
    )


def flip_index_byte(journal: Path) -> None:
    """Damage a journal the way SQLite's quick_check misses and integrity_check finds (issue 18):
    flip one bit of the last key in the orders' unique index root page (it holds every key of a
    small table), so a row goes missing from the index while the table is intact."""
    conn = sqlite3.connect(journal)
    try:
        root = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_orders_1'"
        ).fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    data = bytearray(journal.read_bytes())
    data[(root - 1) * size + size - 4] ^= 0x01
    journal.write_bytes(bytes(data))
