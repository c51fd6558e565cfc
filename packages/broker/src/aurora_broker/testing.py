"""Builders for tests of the broker and of the packages above it (the router's tests use them too).

Shipped with the package, like ``contract``, so a higher package's tests can
import them without the broker's tests being importable; nothing at runtime
uses this module.
"""

from __future__ import annotations

from datetime import date

from aurora_broker.messages import Side, SubmitOrder

__all__ = ["make_order"]


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
