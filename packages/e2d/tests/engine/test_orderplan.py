"""plan_session: from target weights to ONE order per name that a healthy run never sees rejected.

That every planned order passes the real router, on random books and limits, is
test_orderplan_router.py's property."""

from __future__ import annotations

import datetime as dt
import math

from aurora_broker import Side
from aurora_e2d.engine.orderplan import HEADROOM, ClipReason, Target, limit_price, plan_orders, plan_session
from aurora_safety import Limits, ReasonCode, check_order_notional

DAY = dt.date(2013, 1, 2)
LIMITS = Limits()


def plan(targets, closes, positions=None, equity=1_000_000.0, limits=LIMITS, used=0.0, orders_used=0):
    return plan_session(
        strategy="s",
        session=DAY,
        targets=targets,
        closes=closes,
        positions=positions or {},
        equity_usd=equity,
        limits=limits,
        offset_bps=50.0,
        daily_notional_used_usd=used,
        session_orders_used=orders_used,
    )


class TestLimitPrice:
    def test_at_or_above_a_dollar_prices_are_whole_cents_rounded_toward_the_close(self) -> None:
        assert limit_price(100.0, Side.BUY, 50.0) == 100.5
        assert limit_price(100.0, Side.SELL, 50.0) == 99.5
        assert limit_price(33.333, Side.BUY, 50.0) == 33.49  # 33.4996... floored for a buy
        assert limit_price(33.333, Side.SELL, 50.0) == 33.17  # 33.1663... ceiled for a sell

    def test_below_a_dollar_prices_are_hundredths_of_a_cent(self) -> None:
        assert limit_price(0.09, Side.BUY, 50.0) == 0.0904  # 0.09045 floored
        assert limit_price(0.09, Side.SELL, 50.0) == 0.0896  # 0.08955 ceiled
        assert limit_price(0.995, Side.BUY, 50.0) == 0.9999  # 0.999975 is still below a dollar
        assert limit_price(0.999, Side.BUY, 50.0) == 1.0  # 1.003995: the cent grid from $1 on

    def test_a_close_below_one_tick_has_no_buy_price(self) -> None:
        assert limit_price(0.00005, Side.BUY, 50.0) == 0.0


def test_sells_come_first_and_ids_follow_the_decision_key() -> None:
    orders = plan([Target("AAA", 0.2)], {"AAA": 100.0, "BBB": 50.0}, positions={"BBB": 1000}).orders
    assert [(o.side, o.symbol) for o in orders] == [(Side.SELL, "BBB"), (Side.BUY, "AAA")]
    assert orders[0].quantity == 1000
    assert orders[1].quantity == 2000
    assert orders[1].client_order_id.startswith("s-20130102-AAA-0-")


def test_a_position_is_capped_below_its_limit_and_its_order_clipped_to_the_order_notional() -> None:
    limits = Limits(max_order_notional_usd=1_000_000.0)
    bought = sum(o.quantity for o in plan([Target("AAA", 0.9)], {"AAA": 100.0}, limits=limits).orders)
    assert bought == math.floor(HEADROOM * LIMITS.max_position_notional_usd / 100.0)
    result = plan([Target("AAA", 0.9)], {"AAA": 100.0})
    (order,) = result.orders
    # as many shares as the router's notional check passes, and not one more
    assert check_order_notional(order.quantity, order.limit_price, LIMITS.max_order_notional_usd) is None
    too_many = check_order_notional(order.quantity + 1, order.limit_price, LIMITS.max_order_notional_usd)
    assert too_many is not None
    assert too_many.reason is ReasonCode.MAX_ORDER_NOTIONAL
    (clip,) = result.clips
    assert (clip.symbol, clip.reason, clip.wanted_qty, clip.ordered_qty) == (
        "AAA",
        ClipReason.MAX_ORDER_NOTIONAL,
        4900,
        order.quantity,
    )
    assert clip.as_payload() == {
        "reason": "max_order_notional_usd",
        "side": "BUY",
        "wanted_qty": 4900,
        "ordered_qty": order.quantity,
        "limit": 250_000.0,
    }


def test_a_penny_target_is_one_order_clipped_to_the_share_limit_not_hundreds_of_children() -> None:
    """The issue's case: $490k at $0.09 is 5.4 M shares; the default limits once cut it into ~550 legs."""
    result = plan([Target("NVDA", 0.5)], {"NVDA": 0.09})
    (order,) = result.orders
    assert order.quantity == LIMITS.max_order_qty_shares
    assert order.limit_price == 0.0904
    (clip,) = result.clips
    assert clip.reason is ClipReason.MAX_ORDER_QTY
    assert clip.wanted_qty == math.floor(HEADROOM * LIMITS.max_position_notional_usd / 0.09)


def test_orders_beyond_the_session_count_are_dropped_and_say_so() -> None:
    limits = Limits(max_session_orders=3)
    closes = {f"S{i}": 10.0 for i in range(5)}
    result = plan([Target(s, 0.1) for s in closes], closes, limits=limits, orders_used=1)
    assert [o.symbol for o in result.orders] == ["S0", "S1"]
    assert [(c.symbol, c.reason, c.ordered_qty) for c in result.clips] == [
        ("S2", ClipReason.MAX_SESSION_ORDERS, 0),
        ("S3", ClipReason.MAX_SESSION_ORDERS, 0),
        ("S4", ClipReason.MAX_SESSION_ORDERS, 0),
    ]
    burst = plan([Target(s, 0.1) for s in closes], closes, limits=Limits(message_burst=2))
    assert len(burst.orders) == 2
    assert {c.reason for c in burst.clips} == {ClipReason.MESSAGE_BURST}


def test_no_bar_means_no_order_and_a_spent_daily_budget_means_none_at_all() -> None:
    assert (
        plan_orders(
            strategy="s",
            session=DAY,
            targets=[Target("ZZZ", 0.5)],
            closes={"AAA": 100.0},
            positions={},
            equity_usd=1e6,
            limits=LIMITS,
            offset_bps=50.0,
        )
        == []
    )
    assert plan([Target("AAA", 0.1)], {"AAA": 100.0}, used=LIMITS.max_daily_notional_usd).orders == ()


def test_a_held_name_below_one_tick_is_reported_not_priced_at_zero() -> None:
    result = plan([Target("AAA", 0.5)], {"AAA": 0.00004})
    assert result.orders == ()
    assert [(c.reason, c.ordered_qty) for c in result.clips] == [(ClipReason.BELOW_ONE_TICK, 0)]
