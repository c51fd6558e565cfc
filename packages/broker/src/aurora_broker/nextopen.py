"""A second, deliberately small broker: every order is a market order at the next session's open.

A reference implementation of the ``Broker`` interface, shipped so that the
broker seam is exercised by something other than the paper broker: the
contract suite runs against it, and a run selects it with ``[broker] kind =
"next_open"``. It is not a model of any real venue. It keeps the paper
broker's journal bookkeeping (orders, ledger, positions, snapshots, rollback)
and changes only how an order meets the market: an order placed at session t
is filled whole at t+1's raw open, its limit price ignored (it caps nothing),
with no slippage and no volume cap; commission as configured. An order whose
symbol has no bar at t+1 expires, as at the paper broker.

The latency is fixed at one session: with daily bars a shorter one cannot be
seen, and a longer one would keep orders open across a session, which the
run's planner (one order per name per session, ADR 0013) does not expect.
"""

from __future__ import annotations

from decimal import Decimal

from aurora_broker.fillmodel import PRICE_TICK, FillModel
from aurora_broker.messages import Bar, Side
from aurora_broker.money import dec
from aurora_broker.paper import PaperBroker

__all__ = ["NextOpenBroker", "OpenPriceFill"]


class OpenPriceFill(FillModel):
    """Every order crosses, at the raw open exactly (rounded to the price tick), with no capacity limit."""

    __slots__ = ()

    def crosses(self, side: Side, limit_price: float, bar: Bar) -> bool:
        return True

    def price(self, side: Side, limit_price: float, bar: Bar) -> Decimal:
        return dec(bar.open).quantize(PRICE_TICK)

    def capacity(self, bar: Bar) -> int | None:
        return None


class NextOpenBroker(PaperBroker):
    """The paper broker's books with the ``OpenPriceFill`` rule (see the module docstring)."""

    def fill_model(self) -> FillModel:
        return OpenPriceFill(self.config)
