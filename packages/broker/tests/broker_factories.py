"""Shared values and builders of the broker tests (a unique module name: tests of several
packages may run in one pytest process, where two ``conftest`` modules would clash)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from aurora_broker import PaperBroker, Side, SubmitOrder

D0 = date(2012, 1, 3)
D1 = date(2012, 1, 4)
D2 = date(2012, 1, 5)
D3 = date(2012, 1, 6)
HASH = "cfg-hash-1"

BrokerFactory = Callable[..., PaperBroker]


def make_order(
    coid: str = "o1",
    symbol: str = "AAPL",
    side: Side | str = Side.BUY,
    quantity: int = 100,
    limit_price: float = 100.0,
    session: date = D0,
    strategy: str | None = None,
) -> SubmitOrder:
    return SubmitOrder(
        client_order_id=coid,
        symbol=symbol,
        side=side,
        quantity=quantity,  # type: ignore[arg-type]
        limit_price=limit_price,
        session=session,
        strategy=strategy,
    )
