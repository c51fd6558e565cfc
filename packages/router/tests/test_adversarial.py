"""Hypothesis: random streams, prices, splits and clock jumps never breach a limit.

Every accepted order is checked against an independent model of what the
limits allow (worst-case positions with in-flight orders, gross exposure,
daily notional, session count); nothing is accepted while HALTED or killed;
cancels always pass.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aurora_broker import Bar, OrderStatus, Side, Split
from aurora_safety import Limits, TradingState
from router_factories import NOW_NS, SESSION, SYMBOLS, RigFactory, make_order, move_to

LIMITS = Limits(
    max_order_qty_shares=300,
    max_order_notional_usd=20_000.0,
    max_position_notional_usd=30_000.0,
    max_gross_exposure_usd=60_000.0,
    max_daily_notional_usd=80_000.0,
    max_session_orders=12,
    price_band_bps=500.0,
    max_messages_per_sec=5.0,
    message_burst=8,
    max_consecutive_rejects=15,
)

submit_st = st.tuples(
    st.just("submit"),
    st.sampled_from((*SYMBOLS, "TSLA")),
    st.sampled_from([Side.BUY, Side.SELL]),
    st.integers(-5, 400),
    st.floats(0.8, 1.2) | st.just(float("nan")),
)
action_st = st.one_of(
    submit_st,
    st.tuples(st.just("cancel"), st.integers(0, 50)),
    st.tuples(st.just("clock"), st.integers(-3 * 10**9, 3 * 10**9)),
    st.tuples(st.just("price"), st.sampled_from(SYMBOLS), st.floats(10.0, 200.0)),
    st.tuples(st.just("session"), st.sampled_from([None, 2.0, 0.5])),
    st.tuples(st.just("state"), st.sampled_from(list(TradingState))),
    st.tuples(st.just("kill")),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(action_st, max_size=60), watch=st.booleans())
def test_no_stream_breaches_a_limit(make_rig: RigFactory, actions: list, watch: bool) -> None:
    rig = make_rig(LIMITS, watch=watch)
    session, now_ns, n, killed = SESSION, NOW_NS, 0, False
    daily: dict[date, float] = {}
    counts: dict[date, int] = {}
    for action in actions:
        kind = action[0]
        if kind == "clock":
            rig.clock.advance(action[1])
        elif kind == "price":
            rig.book.update(action[1], action[2], now_ns)
        elif kind == "state":
            if rig.governor.state is not action[1]:
                move_to(rig.governor, action[1])
        elif kind == "kill":
            (rig.run_dir / "kill.flag").write_text("x")
            killed = True
        elif kind == "session":
            session += timedelta(days=1)
            now_ns += 86_400 * 10**9
            bars = {s: Bar(p, p, p, p, 1e6) for s in SYMBOLS if (p := rig.book.price(s)) is not None}
            splits = [] if action[1] is None else [Split(symbol="AAPL", ex_date=session, ratio=action[1])]
            rig.broker.process_session(session, bars, splits)
            if action[1] is not None:
                rig.book.update("AAPL", rig.book.price("AAPL") / action[1], now_ns)  # type: ignore[operator]
            rig.book.update_many({s: rig.book.price(s) for s in SYMBOLS}, now_ns)  # type: ignore[misc]
        elif kind == "cancel":
            result = rig.router.cancel(f"o{action[1]}")
            assert result.accepted  # cancels always pass
        else:
            _, symbol, side, qty, factor = action
            ref = rig.book.price(symbol) if symbol in SYMBOLS else 100.0
            before = {s: rig.broker.exposures().get(s) for s in SYMBOLS}
            state = rig.router.trading_state()
            order = make_order(
                coid=f"o{n}",
                symbol=symbol,
                side=side,
                quantity=qty,
                limit_price=round(ref * factor, 2) if factor == factor else factor,
                session=session,
            )
            n += 1
            result = rig.router.submit(order, now_ns)
            if not result.accepted:
                continue
            assert not killed, "accepted after the kill file appeared"
            assert state is not TradingState.HALTED
            assert result.order is not None
            assert result.order.status is OrderStatus.ACCEPTED
            notional = qty * order.limit_price
            assert 0 < qty <= LIMITS.max_order_qty_shares
            assert notional <= LIMITS.max_order_notional_usd
            daily[session] = daily.get(session, 0.0) + notional
            counts[session] = counts.get(session, 0) + 1
            assert daily[session] <= LIMITS.max_daily_notional_usd + 1e-6
            assert counts[session] <= LIMITS.max_session_orders
            exposures = rig.broker.exposures()
            prices = {s: rig.book.price(s) for s in SYMBOLS}
            held = exposures[symbol]
            grew = held.worst_abs > (before[symbol].worst_abs if before[symbol] else 0)
            if state is TradingState.REDUCING:
                base = before[symbol].base_for(side) if before[symbol] else 0
                assert abs(base + side.sign * qty) <= abs(base)
            if grew:
                assert held.worst_abs * prices[symbol] <= LIMITS.max_position_notional_usd + 1e-6
                gross = sum(e.worst_abs * prices[s] for s, e in exposures.items())  # type: ignore[operator]
                assert gross <= LIMITS.max_gross_exposure_usd + 1e-6
