"""How large an order, and how many orders, the pre-trade checks allow: asked of the checks.

A planner that sizes orders must not restate the router's limits: here each
cap is the largest value its own check passes (``check_order_qty``,
``check_order_notional``, the session counter and the burst of the token
bucket), so the planner and the router cannot drift apart. Which limits
bound the book (position, gross, daily notional) is declared here too, for
the planner and for the report that names the limit that bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from aurora_safety.checks import check_order_notional
from aurora_safety.config import Limits

__all__ = ["BOOK_LIMITS", "Cap", "limit_label", "order_cap", "order_count_cap"]

BOOK_LIMITS = ("max_position_notional_usd", "max_gross_exposure_usd", "max_daily_notional_usd")
"""The limits on what the book holds and trades in a session, in the order a planner applies them."""

# Start a hair under limit / price, then step down until the check passes: never above what the
# check allows, and one share below it when the quotient is exact (the planner always sized so;
# the bundled run's orders, pinned by the goldens, depend on it).
_QUOTIENT_SLACK = 1.0 - 1e-12


@dataclass(frozen=True, slots=True)
class Cap:
    """The largest quantity (or count) one limit allows, the ``Limits`` field and its value."""

    field: str
    value: int | float
    allows: int


def limit_label(field: str) -> str:
    """``max_gross_exposure_usd`` -> ``gross exposure``: a limit's name for people."""
    words = field.removeprefix("max_").removesuffix("_usd").removesuffix("_shares")
    return words.replace("_", " ")


def _largest_notional(price: float, limit: float) -> int:
    quantity = math.floor(limit / price * _QUOTIENT_SLACK)
    while quantity > 0 and check_order_notional(quantity, price, limit) is not None:
        quantity -= 1
    return quantity


def order_cap(price: float, limits: Limits) -> Cap:
    """The per-order check that binds first at ``price``: the fewest shares allowed (ties: check order).

    ``price`` must be finite and positive (the planner prices on the tick grid).
    """
    max_qty = limits.max_order_qty_shares  # check_order_qty passes exactly quantity <= max_qty
    caps = (
        Cap("max_order_qty_shares", max_qty, max_qty),
        Cap(
            "max_order_notional_usd",
            limits.max_order_notional_usd,
            _largest_notional(price, limits.max_order_notional_usd),
        ),
    )
    return min(caps, key=lambda cap: cap.allows)


def order_count_cap(limits: Limits, session_orders_used: int) -> Cap:
    """How many more orders this session may place: the session count or the message burst.

    Every session starts with a full token bucket (a replay's clock moves a day between
    sessions), so the burst is what the throttle admits at once. Ties go to the session count.
    """
    caps = (
        Cap("max_session_orders", limits.max_session_orders, limits.max_session_orders - session_orders_used),
        Cap("message_burst", limits.message_burst, limits.message_burst),
    )
    return min(caps, key=lambda cap: cap.allows)
