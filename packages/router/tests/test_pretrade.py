"""The hot path answers exactly what the pure checks answer, one after another.

``PreTrade.check`` decides most orders with inlined comparisons. Here an
independent oracle - the DESIGN.md §3 sequence written with nothing but the
pure checks of ``aurora_safety``, the broker's exposures and a from-scratch
gross exposure - is asked first, and the router must give the identical
rejection (or None) for random orders of every type (NaN, inf, bools,
strings, huge integers, numpy-like floats) against random account states
(positions, open orders, missing/stale/non-finite prices, used limits).
"""

from __future__ import annotations

import gc
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from aurora_broker import Bar, Side, Split, SubmitOrder, SymbolExposure
from aurora_safety import (
    Limits,
    ReasonCode,
    Rejection,
    check_daily_notional,
    check_gross_exposure,
    check_order_notional,
    check_order_qty,
    check_position_notional,
    check_price_band,
    check_reference,
    check_short_sale,
    check_valid,
)
from router_factories import NOW_NS, REF, SESSION, SYMBOLS, Rig, RigFactory

DAY_NS = 86_400 * 10**9
# Each example opens a real journal, and the streams are long: on a loaded 2-core machine
# generating and running them can trip Hypothesis' too_slow check; the rig is a
# function-scoped fixture on purpose (a fresh journal per example).
SLOW_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
LIMITS = Limits(
    max_order_qty_shares=300,
    max_order_notional_usd=20_000.0,
    max_position_notional_usd=30_000.0,
    max_gross_exposure_usd=60_000.0,
    max_daily_notional_usd=40_000.0,
    max_session_orders=8,
    price_band_bps=500.0,
    stale_after_secs=2 * 86_400.0,
    max_messages_per_sec=1e6,
    message_burst=10**6,
    max_consecutive_rejects=10**6,
)


def scratch_gross(rig: Rig) -> float:
    """Sum of worst_abs x price from scratch, exactly; inf when a held symbol has no usable price."""
    total = Fraction(0)
    for symbol, exposure in rig.broker.exposures().items():
        found = rig.book.get(symbol)
        price = None if found is None else found[0]
        if not (isinstance(price, int | float) and 0 < price < float("inf")):
            return float("inf")
        total += exposure.worst_abs * Fraction(price)
    return float(total)


def oracle(rig: Rig, order: SubmitOrder, now_ns: object, allow_short: bool) -> Rejection | None:
    """DESIGN.md §3 from INVALID_ORDER to MAX_SESSION_ORDERS, with the pure checks only."""
    qty, price, symbol, side, session = (
        order.quantity,
        order.limit_price,
        order.symbol,
        order.side,
        order.session,
    )
    rejection = check_valid(qty, price, symbol, side, rig.book.symbols)
    if rejection is not None:
        return rejection
    if not isinstance(session, date) or isinstance(session, datetime):  # an instant is not a trading day
        return Rejection.of(ReasonCode.INVALID_ORDER, session=repr(session), expected="a date")
    assert isinstance(side, Side)
    exposure = rig.broker.exposures().get(symbol, SymbolExposure())
    if side is Side.SELL and not allow_short:
        rejection = check_short_sale(exposure.position, exposure.open_sell, qty)
        if rejection is not None:
            return rejection
    found = rig.book.get(symbol)
    ref_price, ref_ts = (None, None) if found is None else found
    rejection = (
        check_reference(ref_price, ref_ts, now_ns, LIMITS.stale_after_secs)  # type: ignore[arg-type]
        or check_price_band(price, ref_price, LIMITS.price_band_bps)  # type: ignore[arg-type]
        or check_order_qty(qty, LIMITS.max_order_qty_shares)
        or check_order_notional(qty, price, LIMITS.max_order_notional_usd)
        or check_position_notional(
            exposure.base_for(side),
            side.sign * qty,
            ref_price,
            LIMITS.max_position_notional_usd,  # type: ignore[arg-type]
        )
        or check_gross_exposure(
            scratch_gross(rig),
            exposure.added_abs(side, qty) * ref_price,  # type: ignore[operator]
            LIMITS.max_gross_exposure_usd,
        )
        or check_daily_notional(
            rig.router.daily_notional_usd(session), qty * price, LIMITS.max_daily_notional_usd
        )
    )
    if rejection is not None:
        return rejection
    used = rig.router.session_orders(session)
    if used + 1 > LIMITS.max_session_orders:
        return Rejection.of(
            ReasonCode.MAX_SESSION_ORDERS,
            max_session_orders=LIMITS.max_session_orders,
            session_orders=used,
            session=str(session),
        )
    return None


class Float(float):
    """A float subclass (numpy's float64 is one): not the exact type the fast path takes."""


def mostly(valid: st.SearchStrategy, odd: st.SearchStrategy) -> st.SearchStrategy:
    """``valid`` nine times in ten: most orders must get past validation to test the limits."""
    return st.integers(0, 9).flatmap(lambda k: odd if k == 0 else valid)


quantities = mostly(
    st.integers(1, 350),
    st.sampled_from([0, -3, 400, True, 10.0, "10", None, 10**400, Float(5)])
    | st.floats(allow_nan=True, allow_infinity=True),
)
prices = mostly(
    mostly(st.floats(97.0, 103.0), st.floats(80.0, 120.0)),
    st.sampled_from([float("nan"), float("inf"), -100.0, 0.0, 100, Float(100.0), "100", None, True]),
)
orders = st.tuples(
    mostly(st.sampled_from(SYMBOLS), st.sampled_from(["TSLA", 7, ""])),
    mostly(st.sampled_from([Side.BUY, Side.SELL]), st.sampled_from(["sell", "HOLD", None])),
    quantities,
    prices,
    mostly(st.just("today"), st.sampled_from(["tomorrow", "datetime", "text"])),
    mostly(st.integers(0, 10**9), st.sampled_from([-1, 3 * DAY_NS, 1.5, "now"])),
)
actions = st.integers(0, 3).flatmap(
    lambda k: (
        st.tuples(st.sampled_from(["submit", "submit", "check"]), orders)
        if k
        else st.one_of(
            st.tuples(
                st.just("price"),
                st.sampled_from(SYMBOLS),
                st.floats(50.0, 150.0)
                | st.sampled_from([float("nan"), 0.0, -5.0, float("inf"), 100, Float(90.0)]),
            ),
            st.tuples(st.just("stale"), st.sampled_from(SYMBOLS)),
            st.tuples(st.just("session"), st.booleans(), st.sampled_from([None, None, 2.0, 0.5, 3.0])),
            st.tuples(st.just("cancel"), st.integers(0, 40)),
            st.tuples(st.just("hold"), st.sampled_from(SYMBOLS), st.integers(1, 150)),
        )
    )
)


valid_orders = st.tuples(
    st.sampled_from(SYMBOLS),
    st.sampled_from([Side.BUY, Side.SELL]),
    st.integers(1, 120),
    st.floats(98.0, 102.0),
    st.just("today"),
    st.integers(0, 10**9),
)
limit_streams = st.lists(
    st.integers(0, 5).flatmap(
        lambda k: (
            st.tuples(st.just("submit"), valid_orders)
            if k
            else st.one_of(
                st.tuples(st.just("session"), st.booleans(), st.sampled_from([None, None, 2.0])),
                st.tuples(st.just("cancel"), st.integers(0, 40)),
                st.tuples(st.just("price"), st.sampled_from(SYMBOLS), st.floats(90.0, 110.0)),
            )
        )
    ),
    min_size=10,
    max_size=60,
)


@settings(max_examples=80, deadline=None, suppress_health_check=SLOW_OK)
@given(steps=st.lists(actions, min_size=5, max_size=50), allow_short=st.booleans(), watch=st.booleans())
def test_router_answers_what_the_pure_checks_answer(
    make_rig: RigFactory, steps: list, allow_short: bool, watch: bool
) -> None:
    """Odd inputs of every kind mixed with valid ones, against changing prices and positions."""
    run_stream(make_rig(LIMITS, watch=watch, allow_short=allow_short), steps, allow_short)


@settings(max_examples=60, deadline=None, suppress_health_check=SLOW_OK)
@given(steps=limit_streams, allow_short=st.booleans())
def test_every_limit_is_decided_as_the_pure_checks_decide(
    make_rig: RigFactory, steps: list, allow_short: bool
) -> None:
    """Valid orders only, many per session, so the size, gross, daily and session limits are reached."""
    run_stream(make_rig(LIMITS, allow_short=allow_short), steps, allow_short)


def run_stream(rig: Rig, steps: list, allow_short: bool) -> None:
    day, now_ns, n = SESSION, NOW_NS, 0
    hold_every_symbol(rig, 80)
    for step in steps:
        kind = step[0]
        if kind == "price":
            rig.book.update(step[1], step[2], now_ns)
        elif kind == "stale":
            rig.book.update(step[1], 100.0, now_ns - 3 * DAY_NS)
        elif kind == "hold":  # a direct broker order, then a fill: the router is told to re-sync
            rig.broker.submit(
                SubmitOrder(
                    client_order_id=f"h{n}",
                    symbol=step[1],
                    side=Side.BUY,
                    quantity=step[2],
                    limit_price=100.0,
                    session=day,
                )
            )
            n += 1
            rig.router.sync_exposures()
        elif kind == "session":
            day += timedelta(days=1)
            now_ns += DAY_NS
            bars = {
                s: Bar(p, p, p, p, 1e6)
                for s in SYMBOLS
                if isinstance(p := rig.book.price(s), float) and 0 < p < float("inf")
            }
            split = [] if step[2] is None else [Split(symbol="AAPL", ex_date=day, ratio=step[2])]
            rig.broker.process_session(day, bars, split)  # splits, fills and expiries
            if step[1]:  # the run loop's order: fills first, then the session's closes
                rig.book.update_many({s: b.close for s, b in bars.items()}, now_ns)
        elif kind == "cancel":
            assert rig.router.cancel(f"o{step[1]}").accepted
        else:
            symbol, side, qty, price, when, offset = step[1]
            session = {
                "today": day,
                "tomorrow": day + timedelta(days=1),
                "datetime": datetime(day.year, day.month, day.day, tzinfo=UTC),
                "text": day.isoformat(),
            }[when]
            if offset == "now":
                at: object = str(now_ns)
            elif offset == 1.5:
                at = now_ns * 1.0
            else:
                at = now_ns + offset
            order = SubmitOrder(
                client_order_id=f"o{n}",
                symbol=symbol,
                side=side,
                quantity=qty,
                limit_price=price,
                session=session,
            )
            n += 1
            expected = oracle(rig, order, at, allow_short)
            event("accepted" if expected is None else str(expected.reason))
            assert rig.router.check(order, at) == expected, order  # type: ignore[arg-type]
            if kind == "submit" and expected is None:
                assert rig.router.submit(order, at).rejection in (None, *broker_defense(rig, order))  # type: ignore[arg-type]
        assert rig.router.gross_exposure_usd() == scratch_gross(rig)


def hold_every_symbol(rig: Rig, quantity: int) -> None:
    """A long position in every symbol, filled at the session the orders are placed in."""
    for symbol in SYMBOLS:
        rig.broker.submit(
            SubmitOrder(
                client_order_id=f"seed-{symbol}",
                symbol=symbol,
                side=Side.BUY,
                quantity=quantity,
                limit_price=REF,
                session=SESSION - timedelta(days=1),
            )
        )
    rig.broker.process_session(SESSION, {s: Bar(REF, REF, REF, REF, 1e6) for s in SYMBOLS})
    assert dict(rig.broker.positions()) == dict.fromkeys(SYMBOLS, quantity)


def broker_defense(rig: Rig, order: SubmitOrder) -> tuple[Rejection | None, ...]:
    """The broker re-checks notional limits at its own marks: its answer may differ from the router's."""
    placed = rig.broker.order_state(order.client_order_id)
    return () if placed is None else (placed.rejection,)


def test_a_passing_check_leaves_nothing_for_the_garbage_collector(make_rig: RigFactory) -> None:
    """The hot path allocates no object the GC tracks that outlives the call, so checks alone
    never trigger a collection (the tail is not the GC's)."""
    rig = make_rig(message_burst=10_000, max_session_orders=10_000)
    hold_every_symbol(rig, 500)
    orders = [
        SubmitOrder(
            client_order_id=f"c{i}",
            symbol=SYMBOLS[i % 3],
            side=(Side.BUY, Side.SELL)[i % 2],
            quantity=1,
            limit_price=REF,
            session=SESSION,
        )
        for i in range(3000)
    ]
    assert rig.router.check(orders[0], NOW_NS) is None  # warm: the gross re-syncs once after the fills
    check, rest, answers = rig.router.check, orders[1:], set()
    gc.collect()
    collections = sum(g["collections"] for g in gc.get_stats())
    count = gc.get_count()[0]
    for order in rest:
        answers.add(check(order, NOW_NS))
    assert gc.get_count()[0] - count <= 1  # at most get_count's own tuple, after 2,999 checks
    assert answers == {None}
    assert sum(g["collections"] for g in gc.get_stats()) == collections
