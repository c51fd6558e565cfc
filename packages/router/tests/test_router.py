"""Each pre-trade check: exact reason code and values on both sides of its boundary."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from aurora_broker import Bar, OrderStatus, Side
from aurora_router import JournalSink, RouteAction, RouteStatus
from aurora_safety import (
    BreakerTripped,
    Limits,
    ReasonCode,
    Rejection,
    StateChanged,
    TradingGovernor,
    TradingState,
    TransitionCause,
)
from router_factories import NOW_NS, REF, SESSION, Rig, RigFactory, make_order, move_to

NS = 10**9
PREV = date(2013, 2, 27)


def hold_long(rig: Rig, quantity: int) -> None:
    """Fill a buy at the next session so the account really holds ``quantity`` AAPL."""
    assert rig.router.submit(make_order(coid="seed", quantity=quantity, session=PREV), NOW_NS).accepted
    rig.broker.process_session(SESSION, {s: Bar(REF, REF, REF, REF, 1e6) for s in ("AAPL", "MSFT", "IBM")})
    assert rig.broker.positions() == {"AAPL": quantity}


def reason(rig: Rig, **fields: object) -> str:
    return rig.router.submit(make_order(**fields), NOW_NS).reason  # type: ignore[arg-type]


class TestKillSwitch:
    @pytest.mark.parametrize("watch", [True, False])
    def test_kill_file_mid_stream_stops_every_later_order(self, make_rig: RigFactory, watch: bool) -> None:
        rig = make_rig(watch=watch)
        assert rig.router.kill_watch.mode == ("inotify" if watch else "stat")
        assert rig.router.submit(make_order(coid="a"), NOW_NS).accepted
        (rig.run_dir / "kill.flag").write_text("stop")
        result = rig.router.submit(make_order(coid="b"), NOW_NS)
        assert result.rejection == Rejection.of(
            ReasonCode.KILL_SWITCH, trigger=f"file:{rig.run_dir / 'kill.flag'}"
        )
        # the router acts on the kill it saw: "a" is cancelled and the governor halted, once
        assert rig.broker.order_state("a").status is OrderStatus.CANCELLED  # type: ignore[union-attr]
        assert [(r.client_order_id, r.action, r.status) for r, _ in rig.sink.results[1:]] == [
            ("b", RouteAction.SUBMIT, RouteStatus.REJECTED),
            ("a", RouteAction.CANCEL, RouteStatus.ACCEPTED),
        ]
        (halt,) = rig.sink.events
        assert (halt.to_state, halt.cause) == (TradingState.HALTED, TransitionCause.KILL_SWITCH)  # type: ignore[union-attr]
        assert halt.reason == f"kill switch: file:{rig.run_dir / 'kill.flag'}"  # type: ignore[union-attr]
        (rig.run_dir / "kill.flag").unlink()  # removing the file never restarts trading
        assert rig.router.submit(make_order(coid="c"), NOW_NS).reason == "KILL_SWITCH"
        assert rig.router.cancel("a").accepted  # cancels always pass
        assert len(rig.sink.events) == 1  # no second halt

    def test_kill_file_renamed_into_place(self, rig: Rig) -> None:
        tmp = rig.run_dir / ".kill.tmp"
        tmp.write_text("x")
        assert rig.router.submit(make_order(coid="a"), NOW_NS).accepted  # an unrelated name: still clear
        os.replace(tmp, rig.run_dir / "kill.flag")
        assert reason(rig, coid="b") == "KILL_SWITCH"

    def test_symlink_loop_fails_closed(self, rig: Rig) -> None:
        os.symlink("kill.flag", rig.run_dir / "kill.flag")
        result = rig.router.submit(make_order(), NOW_NS)
        assert result.reason == "KILL_SWITCH"
        assert str(result.rejection.value("trigger")).startswith("file-unreadable:")  # type: ignore[union-attr]

    def test_run_dir_swapped_under_the_watch(self, rig: Rig) -> None:
        moved = rig.run_dir.with_name("moved")
        rig.run_dir.rename(moved)
        rig.run_dir.mkdir()
        (rig.run_dir / "kill.flag").write_text("x")
        assert reason(rig) == "KILL_SWITCH"

    def test_kill_file_present_at_start(self, make_rig: RigFactory, tmp_path: Path) -> None:
        rig = make_rig()
        (rig.run_dir / "kill.flag").write_text("x")
        rig2 = make_rig()
        assert rig2.router.kill_status().active is False
        assert rig.router.kill_status().active is True


class TestState:
    def test_halted_allows_only_cancels(self, rig: Rig) -> None:
        hold_long(rig, 100)
        rig.router.submit(make_order(coid="open"), NOW_NS)
        move_to(rig.governor, TradingState.HALTED)
        result = rig.router.submit(make_order(coid="new", side=Side.SELL), NOW_NS)
        assert result.rejection == Rejection.of(ReasonCode.BREAKER_OPEN, state="HALTED", effect="REDUCES")
        assert rig.router.cancel("open").accepted

    def test_reducing_blocks_increases_only(self, rig: Rig) -> None:
        hold_long(rig, 100)
        move_to(rig.governor, TradingState.REDUCING)
        assert reason(rig, coid="more") == "REDUCE_ONLY"
        assert reason(rig, coid="cut", side=Side.SELL, quantity=100) == ""
        # a second sell would flip the worst case short: it grows exposure
        assert reason(rig, coid="flip", side=Side.SELL, quantity=1) == "REDUCE_ONLY"

    def test_unfilled_buy_does_not_make_a_sell_reducing(self, rig: Rig) -> None:
        rig.router.submit(make_order(coid="buy", quantity=100), NOW_NS)  # open, not held
        move_to(rig.governor, TradingState.REDUCING)
        # if the buy expired and the sell filled, the account would be short: it increases
        assert reason(rig, coid="sell", side=Side.SELL, quantity=100) == "REDUCE_ONLY"

    def test_tripped_breaker_gates_even_if_state_was_not_moved(self, make_rig: RigFactory) -> None:
        """A journal may hold a tripped board beside an ACTIVE state (a saved board is restored
        as saved): the router gates on the governor's effective state, not the recorded one."""
        tripped = TradingGovernor.from_limits(Limits())
        tripped.on_equity(100.0, SESSION, 1)
        tripped.on_equity(10.0, SESSION, 2)  # drawdown trips: HALTED required
        first = make_rig()
        with first.journal.session_transaction():
            tripped.save_board(first.journal)
        saved = first.journal.read.breaker_state()
        rig = make_rig(governor=TradingGovernor.restore(saved, TradingState.ACTIVE, Limits()))
        assert rig.governor.state is TradingState.ACTIVE
        assert rig.governor.standing().effective is TradingState.HALTED
        assert reason(rig) == "BREAKER_OPEN"

    def test_consecutive_rejects_halt_through_the_sink(self, make_rig: RigFactory) -> None:
        rig = make_rig(max_consecutive_rejects=2)
        for i in range(3):
            assert reason(rig, coid=f"bad{i}", quantity=0) == "INVALID_ORDER"
        assert rig.governor.state is TradingState.HALTED
        kinds = [type(e) for e in rig.sink.events]
        assert kinds == [BreakerTripped, StateChanged]
        assert reason(rig, coid="good") == "BREAKER_OPEN"


class TestDedupAndValidity:
    def test_duplicate_of_accepted_and_of_rejected(self, rig: Rig) -> None:
        assert reason(rig, coid="a") == ""
        assert rig.router.submit(make_order(coid="a"), NOW_NS).rejection == Rejection.of(
            ReasonCode.DUPLICATE_ORDER, client_order_id="a"
        )
        assert reason(rig, coid="b", quantity=0) == "INVALID_ORDER"
        assert reason(rig, coid="b") == "DUPLICATE_ORDER"

    def test_known_to_broker_or_seeded(self, rig: Rig) -> None:
        rig.broker.submit(make_order(coid="direct"))
        rig.router.seed(["from-journal"])
        assert reason(rig, coid="direct") == "DUPLICATE_ORDER"
        assert reason(rig, coid="from-journal") == "DUPLICATE_ORDER"

    @pytest.mark.parametrize(
        ("fields", "values"),
        [
            ({"quantity": 0}, {"quantity": 0, "expected": "integer > 0"}),
            ({"quantity": 1.5}, {"quantity": 1.5, "expected": "integer > 0"}),
            ({"limit_price": float("inf")}, {"price": float("inf"), "expected": "finite number > 0"}),
            ({"limit_price": -1.0}, {"price": -1.0, "expected": "finite number > 0"}),
            ({"symbol": "TSLA"}, {"symbol": "TSLA", "expected": "known symbol"}),
            ({"side": "HOLD"}, {"side": "HOLD", "expected": "BUY or SELL"}),
            ({"coid": ""}, {"client_order_id": "''", "expected": "non-empty string"}),
        ],
    )
    def test_invalid(self, rig: Rig, fields: dict, values: dict) -> None:
        result = rig.router.submit(make_order(**fields), NOW_NS)
        assert result.rejection == Rejection.of(ReasonCode.INVALID_ORDER, **values)


class TestReference:
    def test_missing_reference(self, make_rig: RigFactory) -> None:
        rig = make_rig()
        rig.book._prices.pop("IBM")
        assert rig.router.submit(make_order(symbol="IBM"), NOW_NS).rejection == Rejection.of(
            ReasonCode.NO_REFERENCE_PRICE, reference_price="None"
        )

    def test_stale_boundary_in_event_time(self, make_rig: RigFactory) -> None:
        rig = make_rig(stale_after_secs=60.0)
        assert rig.router.submit(make_order(coid="a"), NOW_NS + 60 * NS).accepted  # exactly 60 s: fresh
        result = rig.router.submit(make_order(coid="b"), NOW_NS + 60 * NS + 1)
        assert result.reason == "STALE_REFERENCE"
        assert result.rejection.value("age_secs") == 60.000000001  # type: ignore[union-attr]

    def test_price_band_boundary(self, make_rig: RigFactory) -> None:
        rig = make_rig(price_band_bps=100.0)
        assert reason(rig, coid="a", limit_price=101.0) == ""
        assert reason(rig, coid="b", limit_price=99.0) == ""
        result = rig.router.submit(make_order(coid="c", limit_price=101.02), NOW_NS)
        assert result.rejection == Rejection.of(
            ReasonCode.PRICE_BAND,
            price_band_bps=100.0,
            deviation_bps=result.rejection.value("deviation_bps"),  # type: ignore[union-attr]
            limit_price=101.02,
            reference_price=REF,
        )


class TestLimits:
    def test_max_order_qty(self, make_rig: RigFactory) -> None:
        rig = make_rig(max_order_qty_shares=50)
        assert reason(rig, coid="a", quantity=50) == ""
        assert rig.router.submit(make_order(coid="b", quantity=51), NOW_NS).rejection == Rejection.of(
            ReasonCode.MAX_ORDER_QTY, max_order_qty_shares=50, quantity=51
        )

    def test_max_order_notional(self, make_rig: RigFactory) -> None:
        rig = make_rig(max_order_notional_usd=5_000.0)
        assert reason(rig, coid="a", quantity=50) == ""
        assert rig.router.submit(make_order(coid="b", quantity=51), NOW_NS).rejection == Rejection.of(
            ReasonCode.MAX_ORDER_NOTIONAL, max_order_notional_usd=5_000.0, notional=5_100.0
        )

    def test_max_position_notional_counts_in_flight(self, make_rig: RigFactory) -> None:
        rig = make_rig(max_position_notional_usd=10_000.0)
        assert reason(rig, coid="a", quantity=60) == ""
        assert reason(rig, coid="b", quantity=40) == ""  # 100 x 100 = the limit exactly
        assert rig.router.submit(make_order(coid="c", quantity=1), NOW_NS).rejection == Rejection.of(
            ReasonCode.MAX_POSITION_NOTIONAL,
            max_position_notional_usd=10_000.0,
            position_notional=10_100.0,
            position_qty=101,
        )

    def test_max_gross_exposure(self, make_rig: RigFactory) -> None:
        rig = make_rig(max_gross_exposure_usd=20_000.0, allow_short=True)
        assert reason(rig, coid="a", symbol="AAPL", quantity=100) == ""
        assert reason(rig, coid="b", symbol="MSFT", side=Side.SELL, quantity=100) == ""
        result = rig.router.submit(make_order(coid="c", symbol="IBM", quantity=1), NOW_NS)
        assert result.rejection == Rejection.of(
            ReasonCode.MAX_GROSS_EXPOSURE,
            max_gross_exposure_usd=20_000.0,
            gross_exposure=20_100.0,
            used=20_000.0,
            added=100.0,
        )
        assert reason(rig, coid="d", symbol="AAPL", side=Side.SELL, quantity=50) == ""  # reduces: passes

    def test_max_daily_notional_per_session(self, make_rig: RigFactory) -> None:
        rig = make_rig(max_daily_notional_usd=2_000.0, allow_short=True)
        assert reason(rig, coid="a", quantity=10) == ""
        assert reason(rig, coid="b", side=Side.SELL, quantity=10) == ""  # reducing still trades notional
        assert rig.router.submit(make_order(coid="c", quantity=1), NOW_NS).rejection == Rejection.of(
            ReasonCode.MAX_DAILY_NOTIONAL,
            max_daily_notional_usd=2_000.0,
            daily_notional=2_100.0,
            used=2_000.0,
            added=100.0,
        )
        assert rig.router.daily_notional_usd(SESSION) == 2_000.0

    def test_max_session_orders_counts_at_accept(self, make_rig: RigFactory) -> None:
        rig = make_rig(max_session_orders=2)
        assert reason(rig, coid="a") == ""
        assert reason(rig, coid="bad", quantity=0) == "INVALID_ORDER"  # rejections do not count
        assert reason(rig, coid="b") == ""
        assert rig.router.submit(make_order(coid="c"), NOW_NS).rejection == Rejection.of(
            ReasonCode.MAX_SESSION_ORDERS, max_session_orders=2, session_orders=2, session=str(SESSION)
        )

    def test_broker_defense_answer_is_passed_on(self, rig: Rig) -> None:
        rig.book.update("AAPL", 10.0, NOW_NS)  # the router values at 10, the broker at its own mark
        rig.broker._marks["AAPL"] = 100_000.0
        result = rig.router.submit(make_order(limit_price=10.0, quantity=10), NOW_NS)
        assert result.reason == "MAX_POSITION_NOTIONAL"
        assert result.order is not None
        assert result.order.status is OrderStatus.REJECTED


class TestRateLimit:
    def test_burst_at_twice_the_rate(self, make_rig: RigFactory) -> None:
        rig = make_rig(max_messages_per_sec=10.0, message_burst=5, allow_short=True)
        reasons = []
        for i in range(20):  # 20 msg/s for 1 s: burst 5 + 10/s x 1 s allowed at most
            rig.clock.advance(NS // 20)
            side = Side.BUY if i % 2 else Side.SELL
            reasons.append(rig.router.submit(make_order(coid=f"o{i}", side=side), NOW_NS).reason)
        # the bucket is full at t=0, so it mints nothing until the first message at 0.05 s:
        # 5 + 10/s x 0.95 s = 14.5 tokens by t = 1 s
        assert reasons.count("") == 14
        assert reasons[:9] == [""] * 9  # the burst drains while 0.5 token arrives per message
        assert reasons[9:] == ["RATE_LIMIT", ""] * 5 + ["RATE_LIMIT"]  # then one per 0.1 s
        assert set(reasons) == {"", "RATE_LIMIT"}

    def test_throttle_storm_halts(self, make_rig: RigFactory) -> None:
        rig = make_rig(max_messages_per_sec=1.0, message_burst=1)
        reasons = [reason(rig, coid=f"o{i}") for i in range(13)]
        assert reasons[0] == ""
        assert reasons[1:12] == ["RATE_LIMIT"] * 11
        assert reasons[12] == "BREAKER_OPEN"
        assert rig.governor.state is TradingState.HALTED

    def test_clock_jump_backwards_mints_nothing(self, make_rig: RigFactory) -> None:
        rig = make_rig(max_messages_per_sec=1.0, message_burst=1)
        rig.clock.set(10 * NS)
        assert reason(rig, coid="a") == ""
        rig.clock.set(0)
        assert reason(rig, coid="b") == "RATE_LIMIT"
        rig.clock.set(10 * NS + NS)
        assert reason(rig, coid="c") == ""

    def test_cancels_are_never_blocked_but_count(self, make_rig: RigFactory) -> None:
        rig = make_rig(max_messages_per_sec=1.0, message_burst=2, allow_short=True)
        assert reason(rig, coid="a") == ""
        assert reason(rig, coid="b", side=Side.SELL) == ""
        assert all(rig.router.cancel(c).accepted for c in ("a", "b", "a", "zzz"))
        rig.clock.advance(2 * NS)  # 2 tokens minted, but 4 cancels left the bucket at -2
        assert reason(rig, coid="c") == "RATE_LIMIT"


def test_results_are_journaled_with_reason_and_values(rig: Rig) -> None:
    rig.router._sink = JournalSink(rig.journal)
    with rig.journal.session_transaction():
        rig.router.submit(make_order(coid="a"), NOW_NS)
        rig.router.submit(make_order(coid="b", quantity=0), NOW_NS)
        rig.router.cancel("a")
    rows = rig.journal.read.route_results()
    assert [(r.client_order_id, r.action, r.status, r.reason) for r in rows] == [
        ("a", "submit", "accepted", None),
        ("b", "submit", "rejected", "INVALID_ORDER"),
        ("a", "cancel", "accepted", None),
    ]
    assert rows[1].values == {"expected": "integer > 0", "quantity": 0}
    assert rig.journal.read.routed_client_order_ids() == {"a", "b"}
    assert RouteStatus("accepted") is RouteStatus.ACCEPTED
