"""Events the broker emits, past tense, each JSON-able through ``as_dict``.

The journal stores them as order events; the run loop derives the
``orders``/``fills`` artifacts from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from aurora_broker.messages import Fill, Order
from aurora_safety import Rejection

__all__ = [
    "BrokerEvent",
    "DividendCredited",
    "ExpiryReason",
    "OrderAccepted",
    "OrderAdjusted",
    "OrderCancelled",
    "OrderDenied",
    "OrderExpired",
    "OrderFilled",
    "PositionDelisted",
    "SplitApplied",
]


class ExpiryReason(StrEnum):
    """Why (part of) an order ended unfilled."""

    LIMIT_NOT_REACHED = "LIMIT_NOT_REACHED"  # the next open was outside the limit
    NO_BAR = "NO_BAR"  # the symbol did not trade in the fill session
    PARTICIPATION_CAP = "PARTICIPATION_CAP"  # the volume cap left this much unfilled
    SPLIT_NO_WHOLE_SHARE = "SPLIT_NO_WHOLE_SHARE"  # a reverse split left less than one share
    DELISTED = "DELISTED"  # the symbol stopped trading before the order could meet an open


@dataclass(frozen=True, slots=True)
class OrderAccepted:
    order: Order

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": "OrderAccepted",
            "quantity": self.order.quantity,
            "limit_price": self.order.limit_price,
        }


@dataclass(frozen=True, slots=True)
class OrderDenied:
    """The broker's own defense-in-depth checks refused the order."""

    order: Order
    rejection: Rejection

    def as_dict(self) -> dict[str, Any]:
        return {"event": "OrderDenied", **self.rejection.as_dict()}


@dataclass(frozen=True, slots=True)
class OrderFilled:
    fill: Fill

    def as_dict(self) -> dict[str, Any]:
        f = self.fill
        return {
            "event": "OrderFilled",
            "fill_id": f.fill_id,
            "quantity": f.quantity,
            "price": f.price,
            "gross_cents": f.gross_cents,
            "commission_cents": f.commission_cents,
        }


@dataclass(frozen=True, slots=True)
class OrderExpired:
    client_order_id: str
    session: date
    unfilled_quantity: int
    reason: ExpiryReason
    detail: tuple[tuple[str, float | int | str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": "OrderExpired",
            "unfilled_quantity": self.unfilled_quantity,
            "reason": str(self.reason),
            "detail": dict(self.detail),
        }


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    client_order_id: str
    session: date | None
    unfilled_quantity: int

    def as_dict(self) -> dict[str, Any]:
        return {"event": "OrderCancelled", "unfilled_quantity": self.unfilled_quantity}


@dataclass(frozen=True, slots=True)
class OrderAdjusted:
    """A split between order and fill rescaled an open order's quantity and limit."""

    client_order_id: str
    session: date
    ratio: float
    quantity_before: int
    quantity_after: int
    limit_before: float
    limit_after: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": "OrderAdjusted",
            "ratio": self.ratio,
            "quantity_before": self.quantity_before,
            "quantity_after": self.quantity_after,
            "limit_before": self.limit_before,
            "limit_after": self.limit_after,
        }


@dataclass(frozen=True, slots=True)
class SplitApplied:
    symbol: str
    session: date
    ratio: float
    position_before: int
    position_after: int
    cash_in_lieu_cents: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": "SplitApplied",
            "symbol": self.symbol,
            "session": self.session.isoformat(),
            "ratio": self.ratio,
            "position_before": self.position_before,
            "position_after": self.position_after,
            "cash_in_lieu_cents": self.cash_in_lieu_cents,
        }


@dataclass(frozen=True, slots=True)
class PositionDelisted:
    """A position settled in cash at its last mark because its symbol stopped trading."""

    symbol: str
    session: date
    position: int
    last_mark: float
    cash_cents: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": "PositionDelisted",
            "symbol": self.symbol,
            "session": self.session.isoformat(),
            "position": self.position,
            "last_mark": self.last_mark,
            "cash_cents": self.cash_cents,
        }


@dataclass(frozen=True, slots=True)
class DividendCredited:
    symbol: str
    session: date
    amount_per_share_usd: float
    position: int
    cash_cents: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": "DividendCredited",
            "symbol": self.symbol,
            "session": self.session.isoformat(),
            "amount_per_share_usd": self.amount_per_share_usd,
            "position": self.position,
            "cash_cents": self.cash_cents,
        }


BrokerEvent = (
    OrderAccepted
    | OrderDenied
    | OrderFilled
    | OrderExpired
    | OrderCancelled
    | OrderAdjusted
    | SplitApplied
    | DividendCredited
    | PositionDelisted
)
