"""Fill model: a limit order from session t meets session t+1's raw open, once.

Buy fills when ``open <= limit``, sell when ``open >= limit`` (equality
fills); otherwise the order expires. Slippage moves the price against the
trader by ``slippage_bps`` of the open, rounded to $0.0001 against the
trader, but never past the limit: a limit order cannot execute worse than
its limit. An optional participation cap fills at most that percentage of
the session's volume per symbol (shared by every order on it, in order);
the rest expires. Commission is per share with a minimum per fill.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from aurora_broker.config import BrokerConfig
from aurora_broker.messages import Bar, Side
from aurora_broker.money import dec, mul, to_cents

__all__ = ["PRICE_TICK", "FillModel", "FillPlan"]

PRICE_TICK = Decimal("0.0001")  # USD: fill prices are rounded to this, against the trader
_BPS = Decimal(10_000)


@dataclass(frozen=True, slots=True)
class FillPlan:
    """What one order gets at the open: shares, price and the cash amounts it moves."""

    quantity: int
    price: Decimal
    gross_cents: int
    commission_cents: int


class FillModel:
    """Matches orders against a bar under one ``BrokerConfig``."""

    __slots__ = ("_config", "_min_cents", "_per_share", "_slip")

    def __init__(self, config: BrokerConfig) -> None:
        self._config = config
        self._slip = dec(float(config.slippage_bps)) / _BPS
        self._per_share = dec(float(config.commission_per_share_usd))
        self._min_cents = to_cents(dec(float(config.min_commission_usd)))

    def crosses(self, side: Side, limit_price: float, bar: Bar) -> bool:
        """True when the open is within the limit (equality included)."""
        return bar.open <= limit_price if side is Side.BUY else bar.open >= limit_price

    def price(self, side: Side, limit_price: float, bar: Bar) -> Decimal:
        """Open plus slippage against the trader, capped at the limit."""
        open_, limit = dec(bar.open), dec(limit_price)
        if side is Side.BUY:
            slipped = mul(open_, 1 + self._slip).quantize(PRICE_TICK, rounding=ROUND_CEILING)
            return min(slipped, limit)
        slipped = mul(open_, 1 - self._slip).quantize(PRICE_TICK, rounding=ROUND_FLOOR)
        return max(slipped, limit)

    def capacity(self, bar: Bar) -> int | None:
        """Shares the participation cap allows this session per symbol; None when uncapped."""
        cap = self._config.participation_cap_pct
        if cap is None:
            return None
        return int(mul(dec(float(bar.volume)), dec(float(cap))) / 100)

    def commission_cents(self, quantity: int) -> int:
        """Per-share commission in whole cents, at least the minimum."""
        return max(to_cents(mul(Decimal(quantity), self._per_share)), self._min_cents)

    def plan(
        self, side: Side, quantity: int, limit_price: float, bar: Bar, available: int | None
    ) -> FillPlan | None:
        """The fill for an order of ``quantity`` with ``available`` shares of capacity, or None."""
        if not self.crosses(side, limit_price, bar):
            return None
        qty = quantity if available is None else min(quantity, available)
        if qty <= 0:
            return None
        price = self.price(side, limit_price, bar)
        return FillPlan(qty, price, to_cents(mul(Decimal(qty), price)), self.commission_cents(qty))
