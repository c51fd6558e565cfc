"""From a session's target weights to limit orders that respect the limits by construction.

The router enforces every limit; the planner's job is to ask for orders that
a healthy run never sees rejected, so a rejection means something is wrong.
Targets are fractions of equity, capped at `HEADROOM` of the position, gross
and daily-notional limits (checked at reference prices, which move between
plan and check). Each name gets at most ONE order per session: a trade beyond
a per-order limit is clipped to it, and orders beyond the session's order
count or message burst are dropped; each such cut is a `Clip` the loop
journals with the decision. How far each limit allows is asked of the
checks themselves (`aurora_safety.order_cap`, `order_count_cap`), never
restated here, so the planner cannot drift from the router.
Slicing into child orders is what halted real books: $500k at $0.09 is 5.5 M
shares, hundreds of children, a session-order limit and a rejection streak.
Limit prices lie on the Rule 612 tick grid (`aurora_safety.ticks`).
Sells go first: they free exposure for the buys.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from aurora_broker import Side, SubmitOrder
from aurora_router import client_order_id
from aurora_safety import Limits, order_cap, order_count_cap, round_to_tick

__all__ = [
    "HEADROOM",
    "Clip",
    "ClipReason",
    "OrderPlan",
    "Target",
    "limit_price",
    "plan_orders",
    "plan_session",
]

HEADROOM = 0.98  # plan to at most 98 % of a limit checked at reference prices (they move)


@dataclass(frozen=True, slots=True)
class Target:
    symbol: str
    weight: float  # fraction of equity, >= 0 (long-only strategy)


class ClipReason(StrEnum):
    """Why an order is smaller than its trade (or absent): the config field that decided."""

    MAX_ORDER_QTY = "max_order_qty_shares"
    MAX_ORDER_NOTIONAL = "max_order_notional_usd"
    MAX_SESSION_ORDERS = "max_session_orders"
    MESSAGE_BURST = "message_burst"
    BELOW_ONE_TICK = "below_one_tick"  # the limit price rounds to $0 on the tick grid


@dataclass(frozen=True, slots=True)
class Clip:
    """One order cut to a limit: the trade wanted, the order sent (0: none), the limit's value."""

    symbol: str
    side: Side
    wanted_qty: int
    ordered_qty: int
    reason: ClipReason
    limit: float

    def as_payload(self) -> dict[str, Any]:
        """The journaled form (inside the decision's payload, under ``sizing``)."""
        return {
            "reason": self.reason.value,
            "side": self.side.value,
            "wanted_qty": self.wanted_qty,
            "ordered_qty": self.ordered_qty,
            "limit": self.limit,
        }


@dataclass(frozen=True, slots=True)
class OrderPlan:
    orders: tuple[SubmitOrder, ...]
    clips: tuple[Clip, ...]

    def clips_by_symbol(self) -> dict[str, Clip]:
        return {clip.symbol: clip for clip in self.clips}


def limit_price(close: float, side: Side, offset_bps: float) -> float:
    """A marketable-at-the-open limit: close ± offset, on the tick grid, rounded toward the close.

    0.0 when the close is so low that a buy rounds below one tick (no order can be priced).
    """
    factor = 1.0 + side.sign * offset_bps / 10_000.0
    return round_to_tick(close * factor, up=side is Side.SELL)


def _deltas(
    targets: Sequence[Target],
    closes: Mapping[str, float],
    positions: Mapping[str, int],
    equity_usd: float,
    limits: Limits,
) -> dict[str, int]:
    """Shares to trade per symbol before per-order limits: position, gross and room caps."""
    wanted: dict[str, float] = {}
    for target in targets:
        if target.symbol in closes:  # no bar today: nothing to price the trade with
            notional = min(target.weight * equity_usd, HEADROOM * limits.max_position_notional_usd)
            wanted[target.symbol] = max(notional, 0.0)
    gross = sum(wanted.values())
    gross_cap = HEADROOM * limits.max_gross_exposure_usd
    if gross > gross_cap:
        wanted = {s: v * gross_cap / gross for s, v in wanted.items()}
    deltas: dict[str, int] = {}
    for symbol in sorted(set(wanted) | {s for s, q in positions.items() if q}):
        close = closes.get(symbol)
        if close is None:
            continue
        delta = math.floor(wanted.get(symbol, 0.0) / close) - positions.get(symbol, 0)
        if delta:
            deltas[symbol] = delta
    # The router counts exposure worst-case: a pending sell does not free gross
    # exposure until it fills, so buys must fit beside today's whole book.
    held = sum(abs(q) * closes[s] for s, q in positions.items() if q and s in closes)
    buys = sum(d * closes[s] for s, d in deltas.items() if d > 0)
    room = max(gross_cap - held, 0.0)
    if buys > room:
        scale = room / buys
        deltas = {s: (math.floor(d * scale) if d > 0 else d) for s, d in deltas.items()}
    return {s: d for s, d in deltas.items() if d}


def plan_session(
    *,
    strategy: str,
    session: date,
    targets: Sequence[Target],
    closes: Mapping[str, float],
    positions: Mapping[str, int],
    equity_usd: float,
    limits: Limits,
    offset_bps: float,
    daily_notional_used_usd: float = 0.0,
    session_orders_used: int = 0,
) -> OrderPlan:
    """The orders that move today's positions toward the target weights, and every clip made."""
    deltas = _deltas(targets, closes, positions, equity_usd, limits)
    clips: list[Clip] = []
    prices: dict[str, float] = {}
    for symbol, delta in deltas.items():
        side = Side.BUY if delta > 0 else Side.SELL
        price = limit_price(closes[symbol], side, offset_bps)
        if price <= 0.0:
            clips.append(Clip(symbol, side, abs(delta), 0, ClipReason.BELOW_ONE_TICK, 0.0))
            continue
        prices[symbol] = price
    deltas = {s: d for s, d in deltas.items() if s in prices}

    # the daily notional, counted by the router at the limit price
    budget = HEADROOM * limits.max_daily_notional_usd - daily_notional_used_usd
    traded = sum(abs(d) * prices[s] for s, d in deltas.items())
    if budget <= 0:
        deltas = {}
    elif traded > budget:
        scale = budget / traded
        deltas = {s: int(math.copysign(math.floor(abs(d) * scale), d)) for s, d in deltas.items()}

    count = order_count_cap(limits, session_orders_used)
    max_orders, count_reason, count_limit = count.allows, ClipReason(count.field), float(count.value)
    orders: list[SubmitOrder] = []
    for side in (Side.SELL, Side.BUY):
        for symbol, delta in sorted(deltas.items()):
            if delta == 0 or (delta > 0) != (side is Side.BUY):
                continue
            wanted, price = abs(delta), prices[symbol]
            if len(orders) >= max_orders:
                clips.append(Clip(symbol, side, wanted, 0, count_reason, count_limit))
                continue
            quantity, clip = _clip_to_order_limits(symbol, side, wanted, price, limits)
            if clip is not None:
                clips.append(clip)
            if quantity <= 0:
                continue
            orders.append(
                SubmitOrder(
                    client_order_id=client_order_id(strategy, session, symbol, 0),
                    symbol=symbol,
                    side=side,
                    quantity=quantity,
                    limit_price=price,
                    session=session,
                    strategy=strategy,
                )
            )
    return OrderPlan(tuple(orders), tuple(sorted(clips, key=lambda c: c.symbol)))


def _clip_to_order_limits(
    symbol: str, side: Side, wanted: int, price: float, limits: Limits
) -> tuple[int, Clip | None]:
    """The one order's quantity under the per-order checks (asked, not restated), and its clip."""
    cap = order_cap(price, limits)
    if wanted <= cap.allows:
        return wanted, None
    return cap.allows, Clip(symbol, side, wanted, cap.allows, ClipReason(cap.field), cap.value)


def plan_orders(**kwargs: Any) -> list[SubmitOrder]:
    """The orders of ``plan_session`` alone (what-if planning in the report)."""
    return list(plan_session(**kwargs).orders)
