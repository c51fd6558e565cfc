"""Long-only by default: a sell may not exceed the shares held minus those open sells already commit."""

from __future__ import annotations

from datetime import date

import pytest

from aurora_broker import Bar, Side
from aurora_router import Router
from aurora_safety import KillSwitch, ReasonCode, Rejection, TradingGovernor
from router_factories import NOW_NS, REF, SESSION, SYMBOLS, Rig, RigFactory, make_order

PREV = date(2013, 2, 27)


def hold(rig: Rig, quantity: int, symbol: str = "AAPL") -> None:
    """Really hold ``quantity`` shares: a buy at the previous session, filled at this one's open."""
    seed = make_order(coid=f"seed-{symbol}", symbol=symbol, quantity=quantity, session=PREV)
    assert rig.router.submit(seed, NOW_NS).accepted
    rig.broker.process_session(SESSION, {s: Bar(REF, REF, REF, REF, 1e6) for s in SYMBOLS})
    assert rig.broker.positions()[symbol] == quantity


def short_sale(position_qty: int, open_sell_qty: int, quantity: int) -> Rejection:
    return Rejection.of(
        ReasonCode.SHORT_SALE, position_qty=position_qty, open_sell_qty=open_sell_qty, quantity=quantity
    )


def test_sell_without_a_position_is_a_short_sale(rig: Rig) -> None:
    result = rig.router.submit(make_order(side=Side.SELL, quantity=5), NOW_NS)
    assert result.rejection == short_sale(0, 0, 5)
    assert result.detail == "position_qty=0 open_sell_qty=0 quantity=5"
    assert rig.broker.order_state("o1") is None  # never reached the broker


def test_open_sells_commit_the_position_and_open_buys_do_not_count(rig: Rig) -> None:
    hold(rig, 100)
    assert rig.router.submit(make_order(coid="b", quantity=50), NOW_NS).accepted  # open, may never fill
    assert rig.router.submit(make_order(coid="s1", side=Side.SELL, quantity=60), NOW_NS).accepted
    assert rig.router.submit(make_order(coid="s2", side=Side.SELL, quantity=41), NOW_NS).rejection == (
        short_sale(100, 60, 41)
    )
    assert rig.router.submit(make_order(coid="s3", side=Side.SELL, quantity=40), NOW_NS).accepted
    assert rig.router.submit(make_order(coid="s4", side=Side.SELL, quantity=1), NOW_NS).rejection == (
        short_sale(100, 100, 1)
    )
    rig.router.cancel("s1")  # a cancelled sell frees its shares
    assert rig.router.submit(make_order(coid="s5", side=Side.SELL, quantity=60), NOW_NS).accepted


def test_allow_short_lets_the_sell_through(make_rig: RigFactory) -> None:
    rig = make_rig(allow_short=True)
    assert rig.router.allow_short is True
    assert rig.router.submit(make_order(side=Side.SELL, quantity=5), NOW_NS).accepted
    assert rig.broker.exposures()["AAPL"].open_sell == 5


def test_comes_after_invalid_order_and_before_the_reference_checks(rig: Rig) -> None:
    assert (
        rig.router.submit(make_order(coid="a", side=Side.SELL, quantity=0), NOW_NS).reason == "INVALID_ORDER"
    )
    rig.book._prices.pop("IBM")  # no reference price: SHORT_SALE is decided first all the same
    assert rig.router.submit(make_order(coid="b", symbol="IBM", side=Side.SELL), NOW_NS).rejection == (
        short_sale(0, 0, 10)
    )
    assert rig.router.submit(make_order(coid="c", symbol="IBM"), NOW_NS).reason == "NO_REFERENCE_PRICE"
    # a sell far outside the band is refused for its size first
    assert rig.router.submit(make_order(coid="d", side=Side.SELL, limit_price=3 * REF), NOW_NS).reason == (
        "SHORT_SALE"
    )


def test_allow_short_must_be_a_bool(rig: Rig) -> None:
    with pytest.raises(TypeError, match=r"^'allow_short' must be a bool, was 'yes'$"):
        Router(
            rig.broker,
            rig.broker.limits,
            KillSwitch(run_dir=rig.run_dir, cwd=rig.run_dir, environ={}),
            TradingGovernor.from_limits(rig.broker.limits),
            rig.clock,
            rig.book,
            allow_short="yes",  # type: ignore[arg-type]
        )


def test_a_long_only_run_never_holds_a_short(rig: Rig) -> None:
    hold(rig, 30)
    for i in range(5):
        rig.router.submit(make_order(coid=f"s{i}", side=Side.SELL, quantity=10), NOW_NS)
    rig.broker.process_session(date(2013, 3, 1), {s: Bar(REF, REF, REF, REF, 1e6) for s in SYMBOLS})
    assert rig.broker.positions().get("AAPL", 0) == 0  # three sells filled, two refused
    assert [rig.broker.order_state(f"s{i}") is not None for i in range(5)] == [True] * 3 + [False] * 2
