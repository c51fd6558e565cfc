"""From a session's target weights to limit orders that respect the limits by construction.

The router enforces every limit; the planner's job is to ask for orders that
a healthy run never sees rejected, so a rejection means something is wrong.
Targets are capped at `HEADROOM` of the position, gross and daily-notional
limits, and a large trade is cut into legs (leg number in the client order
id) that each stay under the per-order quantity and notional limits.
Sells go first: they free exposure for the buys.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from aurora_broker import Side, SubmitOrder
from aurora_router import client_order_id
from aurora_safety import Limits

HEADROOM = 0.98  # plan to at most 98 % of a limit: prices move between plan and check
CENT = 0.01


@dataclass(frozen=True, slots=True)
class Target:
    symbol: str
    weight: float  # fraction of equity, >= 0 (long-only strategy)


def limit_price(close: float, side: Side, offset_bps: float) -> float:
    """A marketable-at-the-open limit: close ± offset, rounded to the cent against us."""
    factor = 1.0 + side.sign * offset_bps / 10_000.0
    raw = close * factor
    cents = math.floor(raw * 100 + 1e-9) if side is Side.BUY else math.ceil(raw * 100 - 1e-9)
    return round(cents * CENT, 2)


def _legs(quantity: int, price: float, limits: Limits) -> list[int]:
    """Split a quantity into near-equal legs under the per-order qty and notional limits."""
    by_notional = math.ceil(quantity * price / (HEADROOM * limits.max_order_notional_usd))
    by_qty = math.ceil(quantity / limits.max_order_qty_shares)
    count = max(1, by_notional, by_qty)
    base, extra = divmod(quantity, count)
    return [base + (1 if leg < extra else 0) for leg in range(count) if base + (1 if leg < extra else 0) > 0]


def plan_orders(
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
) -> list[SubmitOrder]:
    """The orders that move today's positions to the target weights (deterministic order)."""
    wanted: dict[str, float] = {}
    for target in targets:
        if target.symbol not in closes:
            continue  # no bar today: nothing to price the trade with
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
        target_qty = math.floor(wanted.get(symbol, 0.0) / close)
        delta = target_qty - positions.get(symbol, 0)
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
        deltas = {s: d for s, d in deltas.items() if d}

    budget = HEADROOM * limits.max_daily_notional_usd - daily_notional_used_usd
    traded = sum(abs(d) * closes[s] for s, d in deltas.items())
    if traded > budget > 0:
        scale = budget / traded
        deltas = {s: int(math.copysign(math.floor(abs(d) * scale), d)) for s, d in deltas.items()}
    elif budget <= 0:
        deltas = {}

    orders: list[SubmitOrder] = []
    for side in (Side.SELL, Side.BUY):
        for symbol, delta in sorted(deltas.items()):
            if (delta > 0) != (side is Side.BUY) or delta == 0:
                continue
            price = limit_price(closes[symbol], side, offset_bps)
            for leg, quantity in enumerate(_legs(abs(delta), price, limits)):
                orders.append(
                    SubmitOrder(
                        client_order_id=client_order_id(strategy, session, symbol, leg),
                        symbol=symbol,
                        side=side,
                        quantity=quantity,
                        limit_price=price,
                        session=session,
                        strategy=strategy,
                    )
                )
    return orders
