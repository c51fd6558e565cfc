import json
import math

import pytest

from aurora_safety import (
    BreakerBoard,
    BreakerReset,
    ConfigError,
    ConsecutiveRejectsBreaker,
    DailyLossBreaker,
    DrawdownBreaker,
    Limits,
    RateBreaker,
    ReasonCode,
    Rejection,
    TradingState,
    UnknownBreakerError,
)

H, R = TradingState.HALTED, TradingState.REDUCING
REJ = Rejection.of(ReasonCode.MAX_ORDER_QTY, max_order_qty_shares=1, quantity=2)
RATE = Rejection(ReasonCode.RATE_LIMIT)


def roundtrip(breaker):
    data = json.loads(json.dumps(breaker.to_dict(), allow_nan=False))
    clone = type(breaker).from_dict(data)
    assert clone.to_dict() == breaker.to_dict()
    return clone


class TestDrawdownBreaker:
    def test_trips_when_drawdown_exceeds_max(self):
        b = DrawdownBreaker(25.0, H)
        assert b.update(100.0, 1) is None
        assert b.update(120.0, 2) is None
        assert b.update(90.0, 3) is None  # exactly 25 % from the 120 peak: tolerated
        event = b.update(89.0, 4)
        assert event is not None
        assert b.tripped
        assert b.trip == event
        assert event.breaker == "drawdown"
        assert event.action is H
        assert event.ts_ns == 4
        assert dict(event.values)["peak_equity"] == 120.0
        assert b.update(10.0, 5) is None  # one event per trip

    def test_reset_is_explicit_and_rebases_the_peak(self):
        b = DrawdownBreaker(10.0, R)
        b.update(100.0, 1)
        b.update(80.0, 2)
        reset = b.reset("risk reviewed", 3)
        assert reset == BreakerReset("drawdown", b_reason(80.0), 3, "risk reviewed")
        assert not b.tripped
        assert b.update(79.0, 4) is None  # measured from 80 now, not from 100

    def test_non_finite_equity_trips_at_once(self):
        for bad in (math.nan, math.inf, None):
            b = DrawdownBreaker(25.0)
            event = b.update(bad, 1)  # type: ignore[arg-type]
            assert event is not None
            assert event.reason == "equity is not a finite number"
            json.dumps(event.as_dict(), allow_nan=False)

    def test_zero_peak_equity_trips(self):
        assert DrawdownBreaker(25.0).update(0.0, 1) is not None

    def test_reset_needs_a_reason(self):
        with pytest.raises(ConfigError, match="operator reason"):
            DrawdownBreaker(25.0).reset(" ", 1)

    def test_reset_when_not_tripped(self):
        assert DrawdownBreaker(25.0).reset("test", 1).reason == "was not tripped"

    @pytest.mark.parametrize("pct", [0, -1, 101, math.nan, math.inf, True])
    def test_bad_threshold(self, pct):
        with pytest.raises(ConfigError):
            DrawdownBreaker(pct)

    def test_active_is_not_an_action(self):
        with pytest.raises(ConfigError, match="REDUCING"):
            DrawdownBreaker(10.0, TradingState.ACTIVE)

    def test_round_trip_keeps_trip_and_peak(self):
        b = DrawdownBreaker(10.0)
        b.update(100.0, 1)
        b.update(50.0, 2)
        clone = roundtrip(b)
        assert clone.tripped
        assert clone.trip == b.trip
        clone.reset("ok", 3)
        assert clone.update(50.0, 4) is None


def b_reason(equity):
    return f"drawdown {100 - equity:.4g}% exceeds max_drawdown_pct 10%"


class TestDailyLossBreaker:
    def test_measures_from_previous_session_close(self):
        b = DailyLossBreaker(10.0)
        assert b.update(100.0, "d1", 1) is None
        assert b.update(95.0, "d1", 2) is None
        # new session starts at the last equity of d1 (95): 86 is a 9.5 % loss
        assert b.update(86.0, "d2", 3) is None
        event = b.update(76.0, "d3", 4)  # 86 -> 76 is 11.6 %
        assert event is not None
        assert event.action is R
        assert dict(event.values)["day_start_equity"] == 86.0
        assert dict(event.values)["session"] == "d3"

    def test_stays_tripped_across_sessions_until_reset(self):
        b = DailyLossBreaker(10.0, H)
        b.update(100.0, "d1", 1)
        b.update(80.0, "d1", 2)
        assert b.tripped
        b.update(81.0, "d2", 3)
        assert b.tripped
        b.reset("new day reviewed", 4)
        assert not b.tripped
        assert b.update(80.0, "d2", 5) is None

    def test_round_trip(self):
        b = DailyLossBreaker(5.0)
        b.update(100.0, "d1", 1)
        clone = roundtrip(b)
        assert clone.update(94.0, "d1", 2) is not None


class TestConsecutiveRejectsBreaker:
    def test_trips_after_more_than_max_in_a_row(self):
        b = ConsecutiveRejectsBreaker(3)
        for _ in range(3):
            assert b.update(REJ, 1) is None
        event = b.update(REJ, 2)
        assert event is not None
        assert event.action is H
        assert event.values == (
            ("max_consecutive_rejects", 3),
            ("consecutive_rejects", 4),
            ("last_reason", "MAX_ORDER_QTY"),
        )

    def test_acceptance_clears_the_run(self):
        b = ConsecutiveRejectsBreaker(2)
        b.update(REJ, 1)
        b.update(REJ, 2)
        b.update(None, 3)
        b.update(REJ, 4)
        assert b.update(REJ, 5) is None

    def test_gate_rejections_do_not_count(self):
        b = ConsecutiveRejectsBreaker(1)
        for code in (ReasonCode.KILL_SWITCH, ReasonCode.BREAKER_OPEN, ReasonCode.REDUCE_ONLY):
            for _ in range(5):
                assert b.update(Rejection(code), 1) is None
        assert not b.tripped

    def test_round_trip_and_fixed_action(self):
        b = ConsecutiveRejectsBreaker(5)
        b.update(REJ, 1)
        assert roundtrip(b).to_dict()["state"] == {"count": 1}
        data = b.to_dict()
        data["params"]["action"] = "REDUCING"
        with pytest.raises(ConfigError, match="must be 'HALTED'"):
            ConsecutiveRejectsBreaker.from_dict(data)


class TestRateBreaker:
    def test_counts_rate_limits_per_session(self):
        b = RateBreaker(2)
        assert b.update(RATE, "d1", 1) is None
        assert b.update(RATE, "d1", 2) is None
        assert b.update(REJ, "d1", 3) is None  # other reasons do not count
        assert b.update(RATE, "d2", 4) is None  # new session starts over
        assert b.update(RATE, "d2", 5) is None
        event = b.update(RATE, "d2", 6)
        assert event is not None
        assert event.breaker == "order_rate"
        assert event.action is H

    def test_default_threshold(self):
        assert RateBreaker().max_rate_limited == 10


class TestBreakerBoard:
    def test_from_limits_and_names(self, limits):
        board = BreakerBoard.from_limits(limits)
        assert board.names == ("drawdown", "daily_loss", "consecutive_rejects", "order_rate")
        assert board["drawdown"].max_drawdown_pct == 25.0
        assert board.state_required() is TradingState.ACTIVE

    def test_most_severe_action_wins(self):
        board = BreakerBoard.from_limits(Limits(max_daily_loss_pct=1.0, max_drawdown_pct=50.0))
        board.on_equity(100.0, "d1", 1)
        trips = board.on_equity(98.0, "d1", 2)
        assert [t.breaker for t in trips] == ["daily_loss"]
        assert board.state_required() is TradingState.REDUCING
        board.on_equity(40.0, "d1", 3)
        assert board.state_required() is TradingState.HALTED
        board.reset("drawdown", "reviewed", 4)
        assert board.state_required() is TradingState.REDUCING

    def test_order_results_feed_reject_and_rate_breakers(self):
        board = BreakerBoard.from_limits(Limits(max_consecutive_rejects=1))
        board.on_order_result(RATE, "d1", 1)
        trips = board.on_order_result(RATE, "d1", 2)
        assert [t.breaker for t in trips] == ["consecutive_rejects"]

    def test_unknown_breaker(self, limits):
        with pytest.raises(UnknownBreakerError) as info:
            BreakerBoard.from_limits(limits).reset("drawdwn", "x", 1)
        assert str(info.value) == (
            "unknown breaker 'drawdwn' (known: consecutive_rejects, daily_loss, drawdown, order_rate)"
        )

    def test_survives_a_restart(self, limits):
        board = BreakerBoard.from_limits(limits)
        board.on_equity(100.0, "d1", 1)
        board.on_equity(60.0, "d2", 2)
        text = json.dumps(board.to_dict(), sort_keys=True, allow_nan=False)
        restored = BreakerBoard.from_dict(json.loads(text))
        assert json.dumps(restored.to_dict(), sort_keys=True) == text
        assert restored.state_required() is TradingState.HALTED
        assert restored.tripped() == board.tripped()

    @pytest.mark.parametrize(
        ("mutate", "match"),
        [
            (lambda d: d.update(version=2), "'board.version' must be 1"),
            (lambda d: d["breakers"].pop("drawdown"), "'board.breakers.drawdown' is required"),
            (
                lambda d: d["breakers"]["drawdown"]["state"].update(peak_equity="x"),
                "'drawdown.state.peak_equity' must be a finite number or null",
            ),
            (
                lambda d: d["breakers"]["order_rate"]["state"].update(count=-1),
                "'order_rate.state.count' must be an integer >= 0",
            ),
            (lambda d: d["breakers"]["drawdown"].update(extra=1), "unknown field 'drawdown.extra'"),
        ],
    )
    def test_corrupt_state_is_refused(self, limits, mutate, match):
        data = BreakerBoard.from_limits(limits).to_dict()
        mutate(data)
        with pytest.raises(ConfigError, match=match):
            BreakerBoard.from_dict(data)
