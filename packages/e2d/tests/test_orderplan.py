"""plan_orders: from target weights to orders that a healthy run never sees rejected."""

from __future__ import annotations

import datetime as dt
import math

from hypothesis import given
from hypothesis import strategies as st

from aurora_broker import Side
from aurora_e2d.runtime.orderplan import HEADROOM, Target, limit_price, plan_orders
from aurora_safety import Limits

DAY = dt.date(2013, 1, 2)
LIMITS = Limits()


def plan(targets, closes, positions=None, equity=1_000_000.0, limits=LIMITS, used=0.0):
    return plan_orders(
        strategy="s",
        session=DAY,
        targets=targets,
        closes=closes,
        positions=positions or {},
        equity_usd=equity,
        limits=limits,
        offset_bps=50.0,
        daily_notional_used_usd=used,
    )


def test_limit_prices_are_rounded_to_the_cent_against_us() -> None:
    assert limit_price(100.0, Side.BUY, 50.0) == 100.5
    assert limit_price(100.0, Side.SELL, 50.0) == 99.5
    assert limit_price(33.333, Side.BUY, 50.0) == 33.49  # 33.4996... floored for a buy
    assert limit_price(33.333, Side.SELL, 50.0) == 33.17  # 33.1663... ceiled for a sell


def test_sells_come_first_and_ids_follow_the_decision_key() -> None:
    orders = plan([Target("AAA", 0.2)], {"AAA": 100.0, "BBB": 50.0}, positions={"BBB": 1000})
    assert [(o.side, o.symbol) for o in orders] == [(Side.SELL, "BBB"), (Side.BUY, "AAA")]
    assert orders[0].quantity == 1000
    assert orders[1].quantity == 2000
    assert orders[1].client_order_id.startswith("s-20130102-AAA-0-")


def test_a_position_is_capped_below_its_limit() -> None:
    orders = plan([Target("AAA", 0.9)], {"AAA": 100.0})
    bought = sum(o.quantity for o in orders)
    assert bought == math.floor(HEADROOM * LIMITS.max_position_notional_usd / 100.0)


def test_a_large_trade_is_cut_into_legs_under_the_order_limits() -> None:
    limits = Limits(max_order_notional_usd=50_000.0, max_order_qty_shares=300)
    orders = plan([Target("AAA", 0.1)], {"AAA": 100.0}, limits=limits)
    assert sum(o.quantity for o in orders) == 1000
    assert all(o.quantity <= 300 and o.quantity * o.limit_price <= 50_000.0 for o in orders)
    assert [o.client_order_id.split("-")[3] for o in orders] == [str(i) for i in range(len(orders))]


def test_no_bar_means_no_order_and_a_spent_daily_budget_means_none_at_all() -> None:
    assert plan([Target("ZZZ", 0.5)], {"AAA": 100.0}) == []
    assert plan([Target("AAA", 0.1)], {"AAA": 100.0}, used=LIMITS.max_daily_notional_usd) == []


@given(
    weights=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6),
    prices=st.lists(st.floats(1.0, 2_000.0), min_size=6, max_size=6),
    held=st.lists(st.integers(0, 3_000), min_size=6, max_size=6),
    equity=st.floats(10_000.0, 5_000_000.0),
)
def test_planned_orders_respect_every_limit_by_construction(weights, prices, held, equity) -> None:
    symbols = [f"S{i}" for i in range(6)]
    closes = dict(zip(symbols, prices, strict=True))
    positions = dict(zip(symbols, held, strict=True))
    targets = [Target(s, w) for s, w in zip(symbols, weights, strict=False)]
    orders = plan(targets, closes, positions=positions, equity=equity)
    traded = 0.0
    after = dict(positions)
    for order in orders:
        assert 0 < order.quantity <= LIMITS.max_order_qty_shares
        assert order.quantity * order.limit_price <= LIMITS.max_order_notional_usd
        traded += order.quantity * closes[order.symbol]
        after[order.symbol] += order.side.sign * order.quantity
        assert after[order.symbol] >= 0  # long-only: never sells more than it holds
    assert traded <= HEADROOM * LIMITS.max_daily_notional_usd + 1e-6
    for symbol, quantity in after.items():
        if quantity > positions[symbol]:  # grown positions stay inside the position limit
            assert quantity * closes[symbol] <= HEADROOM * LIMITS.max_position_notional_usd + 1e-6
