"""order_cap / order_count_cap: how far each limit allows, asked of the checks themselves."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aurora_safety import (
    BOOK_LIMITS,
    Cap,
    Limits,
    ReasonCode,
    check_order_notional,
    check_order_qty,
    limit_label,
    order_cap,
    order_count_cap,
)


def test_the_share_limit_binds_cheap_names_and_wins_a_tie() -> None:
    assert order_cap(0.09, Limits()) == Cap("max_order_qty_shares", 10_000, 10_000)
    tie = Limits(max_order_qty_shares=2_500, max_order_notional_usd=250_000.0)
    assert order_cap(99.0, tie).field == "max_order_qty_shares"  # 2,525 by notional: qty binds
    assert order_cap(100.5, Limits()) == Cap("max_order_notional_usd", 250_000.0, 2_487)


def test_the_notional_cap_is_the_largest_quantity_the_check_passes() -> None:
    cap = order_cap(100.5, Limits())
    assert check_order_notional(cap.allows, 100.5, 250_000.0) is None
    rejected = check_order_notional(cap.allows + 1, 100.5, 250_000.0)
    assert rejected is not None
    assert rejected.reason is ReasonCode.MAX_ORDER_NOTIONAL
    assert order_cap(300_000.0, Limits()).allows == 0  # one share is already too much
    # an exact quotient (250,000 / 100 = 2,500) plans one share below it, as the planner always did
    assert order_cap(100.0, Limits()).allows == 2_499


@given(
    price=st.floats(0.0001, 100_000.0),
    max_qty=st.integers(1, 1_000_000),
    max_usd=st.floats(1.0, 1e9),
)
def test_the_cap_passes_both_checks_and_two_more_shares_fail_one(
    price: float, max_qty: int, max_usd: float
) -> None:
    limits = Limits(max_order_qty_shares=max_qty, max_order_notional_usd=max_usd)
    cap = order_cap(price, limits)
    assert cap.allows >= 0
    if cap.allows:
        assert check_order_qty(cap.allows, max_qty) is None
        assert check_order_notional(cap.allows, price, max_usd) is None
    # never above what the checks pass; at most one share below (an exact quotient, see room.py)
    over = cap.allows + 2
    assert (
        check_order_qty(over, max_qty) is not None or check_order_notional(over, price, max_usd) is not None
    )


def test_the_order_count_is_the_session_room_or_the_burst() -> None:
    limits = Limits(max_session_orders=50, message_burst=20)
    assert order_count_cap(limits, 0) == Cap("message_burst", 20, 20)
    assert order_count_cap(limits, 35) == Cap("max_session_orders", 50, 15)
    assert order_count_cap(limits, 30).field == "max_session_orders"  # a tie: the session count


def test_book_limits_and_their_labels() -> None:
    assert [limit_label(f) for f in BOOK_LIMITS] == ["position notional", "gross exposure", "daily notional"]
    assert all(f in Limits.model_fields for f in BOOK_LIMITS)
    assert limit_label("max_order_qty_shares") == "order qty"
