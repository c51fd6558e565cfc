"""Circuit breakers compared whole: every trip event, every refusal message, every saved state.

Written for the mutation run (nox -s l1): a breaker's event and its
persisted state are what the journal keeps and an operator reads, so each is
asserted exactly rather than by a substring.
"""

from __future__ import annotations

import math

import pytest

from aurora_safety import (
    BreakerBoard,
    BreakerTripped,
    ConfigError,
    ConsecutiveRejectsBreaker,
    DailyLossBreaker,
    DrawdownBreaker,
    Limits,
    RateBreaker,
    ReasonCode,
    Rejection,
    TradingState,
)
from aurora_safety import breakers as breakers_module

H, R = TradingState.HALTED, TradingState.REDUCING
RATE = Rejection(ReasonCode.RATE_LIMIT)
QTY = Rejection.of(ReasonCode.MAX_ORDER_QTY, max_order_qty_shares=1, quantity=2)


def config_error(call, *args, **kwargs) -> str:
    with pytest.raises(ConfigError) as info:
        call(*args, **kwargs)
    return str(info.value)


def tripped(breaker: str, reason: str, ts_ns: int, action: TradingState, **values) -> BreakerTripped:
    return BreakerTripped(breaker, reason, tuple(values.items()), ts_ns, action)


class TestConstruction:
    @pytest.mark.parametrize(
        ("build", "message"),
        [
            (
                lambda: DrawdownBreaker(0),
                "'drawdown.max_drawdown_pct' must be a finite number > 0 and <= 100, was 0",
            ),
            (
                lambda: DailyLossBreaker(101),
                "'daily_loss.max_daily_loss_pct' must be a finite number > 0 and <= 100, was 101",
            ),
            (
                lambda: ConsecutiveRejectsBreaker(0),
                "'consecutive_rejects.max_rejects' must be an integer > 0, was 0",
            ),
            (lambda: RateBreaker(0), "'order_rate.max_rate_limited' must be an integer > 0, was 0"),
            (
                lambda: DrawdownBreaker(10.0, TradingState.ACTIVE),
                "'drawdown.action' must be one of 'REDUCING', 'HALTED', was 'ACTIVE'",
            ),
        ],
    )
    def test_bad_parameters_name_the_field(self, build, message):
        assert config_error(build) == message + " (breaker state)"

    def test_fresh_state(self):
        assert DailyLossBreaker(5.0).to_dict()["state"] == {
            "session": None,
            "day_start_equity": None,
            "last_equity": None,
        }
        assert RateBreaker().to_dict()["state"] == {"session": None, "count": 0}

    def test_board_takes_the_actions_from_the_limits(self):
        board = BreakerBoard.from_limits(Limits(drawdown_action="REDUCING", daily_loss_action="HALTED"))
        assert (board.drawdown.action, board.daily_loss.action) == (R, H)

    def test_the_module_still_offers_the_board_and_nothing_else(self):
        assert breakers_module.BreakerBoard is BreakerBoard
        with pytest.raises(
            AttributeError, match=r"^module 'aurora_safety.breakers' has no attribute 'Board'$"
        ):
            _ = breakers_module.Board


class TestDrawdownEvents:
    def test_the_trip_event(self):
        b = DrawdownBreaker(25.0, H)
        b.update(120.0, 1)
        assert b.update(89.0, 4) == tripped(
            "drawdown",
            "drawdown 25.83% exceeds max_drawdown_pct 25%",
            4,
            H,
            max_drawdown_pct=25.0,
            drawdown_pct=(120.0 - 89.0) / 120.0 * 100.0,
            peak_equity=120.0,
            equity=89.0,
        )
        assert b.to_dict()["state"] == {"peak_equity": 120.0, "last_equity": 89.0}

    @pytest.mark.parametrize(("equity", "shown"), [(math.nan, "nan"), (None, "None"), ("x", "'x'")])
    def test_a_non_finite_equity_event(self, equity, shown):
        assert DrawdownBreaker(25.0, R).update(equity, 3) == tripped(
            "drawdown", "equity is not a finite number", 3, R, equity=shown
        )

    def test_a_second_bad_equity_adds_no_event(self):
        b = DrawdownBreaker(25.0)
        assert b.update(math.nan, 1) is not None
        assert b.update(math.nan, 2) is None

    def test_a_peak_under_one_is_measured(self):
        assert DrawdownBreaker(10.0).update(0.5, 1) is None

    def test_reset_measures_from_the_last_equity(self):
        b = DrawdownBreaker(10.0)
        b.update(100.0, 1)
        b.update(80.0, 2)
        b.reset("reviewed", 3)
        assert b.to_dict()["state"] == {"peak_equity": 80.0, "last_equity": 80.0}

    def test_reset_without_a_reason_names_the_breaker(self):
        assert config_error(DrawdownBreaker(10.0).reset, "", 1) == (
            "'drawdown.reset' needs a non-empty operator reason, was '' (operator)"
        )


class TestDailyLossEvents:
    def test_the_trip_event(self):
        b = DailyLossBreaker(5.0, R)
        b.update(100.0, "d1", 1)
        assert b.update(90.0, "d1", 2) == tripped(
            "daily_loss",
            "daily loss 10% exceeds max_daily_loss_pct 5%",
            2,
            R,
            max_daily_loss_pct=5.0,
            daily_loss_pct=10.0,
            day_start_equity=100.0,
            equity=90.0,
            session="d1",
        )

    def test_a_loss_equal_to_the_limit_is_tolerated(self):
        b = DailyLossBreaker(10.0)
        b.update(100.0, "d1", 1)
        assert b.update(90.0, "d1", 2) is None

    def test_each_session_starts_from_the_previous_close(self):
        b = DailyLossBreaker(10.0)
        b.update(100.0, "d1", 1)
        b.update(95.0, "d1", 2)
        assert b.update(89.0, "d2", 3) is None  # 6.3 % below d1's close (95), not 11 % below 100
        assert b.to_dict()["state"] == {"session": "d2", "day_start_equity": 95.0, "last_equity": 89.0}

    def test_losses_within_one_session_add_up(self):
        b = DailyLossBreaker(10.0)
        b.update(100.0, "d1", 1)
        assert b.update(95.0, "d1", 2) is None
        assert b.update(89.0, "d1", 3) is not None  # 11 % below the session's start, not 6 % below 95

    def test_a_start_of_zero_trips_and_under_one_does_not(self):
        event = DailyLossBreaker(10.0).update(0.0, "d1", 1)
        assert event is not None
        assert dict(event.values)["daily_loss_pct"] == "inf"
        assert DailyLossBreaker(10.0).update(0.5, "d1", 1) is None

    @pytest.mark.parametrize(("equity", "shown"), [(math.inf, "inf"), (None, "None")])
    def test_a_non_finite_equity_event(self, equity, shown):
        b = DailyLossBreaker(5.0, H)
        assert b.update(equity, "d1", 7) == tripped(
            "daily_loss", "equity is not a finite number", 7, H, equity=shown
        )
        assert b.update(equity, "d1", 8) is None


class TestRejectAndRateEvents:
    def test_consecutive_rejects_event_and_reset(self):
        b = ConsecutiveRejectsBreaker(1)
        b.update(QTY, 1)
        assert b.update(QTY, 2) == tripped(
            "consecutive_rejects",
            "2 consecutive rejections exceed max_consecutive_rejects 1",
            2,
            H,
            max_consecutive_rejects=1,
            consecutive_rejects=2,
            last_reason="MAX_ORDER_QTY",
        )
        b.reset("fixed", 3)
        assert b.to_dict()["state"] == {"count": 0}
        assert b.update(QTY, 4) is None

    def test_rate_event_and_reset(self):
        b = RateBreaker(1)
        b.update(RATE, "d1", 1)
        assert b.update(RATE, "d1", 2) == tripped(
            "order_rate",
            "2 RATE_LIMIT rejections in session d1 exceed 1",
            2,
            H,
            max_rate_limited=1,
            rate_limited=2,
            session="d1",
        )
        b.reset("fixed", 3)
        assert b.to_dict()["state"] == {"session": "d1", "count": 0}
        assert b.update(RATE, "d1", 4) is None

    def test_a_restored_rate_breaker_keeps_counting_its_session(self):
        b = RateBreaker(2)
        b.update(RATE, "d1", 1)
        b.update(RATE, "d1", 2)
        clone = RateBreaker.from_dict(b.to_dict())
        assert clone.update(RATE, "d1", 3) is not None

    def test_the_board_feeds_the_rate_breaker_the_rejection_and_session(self):
        board = BreakerBoard(
            DrawdownBreaker(10.0), DailyLossBreaker(5.0), ConsecutiveRejectsBreaker(100), RateBreaker(1)
        )
        assert board.on_order_result(RATE, "d1", 1) == []
        [event] = board.on_order_result(RATE, "d1", 2)
        assert event == tripped(
            "order_rate",
            "2 RATE_LIMIT rejections in session d1 exceed 1",
            2,
            H,
            max_rate_limited=1,
            rate_limited=2,
            session="d1",
        )

    def test_the_board_feeds_the_daily_loss_breaker_the_session(self):
        board = BreakerBoard.from_limits(Limits(max_daily_loss_pct=10.0))
        board.on_equity(100.0, "d1", 1)
        board.on_equity(95.0, "d1", 2)
        assert board.on_equity(89.0, "d2", 3) == []


class TestSavedStateRefusals:
    @pytest.mark.parametrize(
        ("kind", "state", "message"),
        [
            (
                DrawdownBreaker(10.0),
                {"last_equity": "x"},
                "'drawdown.state.last_equity' must be a finite number or null, was 'x'",
            ),
            (
                DailyLossBreaker(10.0),
                {"session": 3},
                "'daily_loss.state.session' must be a string or null, was 3",
            ),
            (
                DailyLossBreaker(10.0),
                {"day_start_equity": "x"},
                "'daily_loss.state.day_start_equity' must be a finite number or null, was 'x'",
            ),
            (
                DailyLossBreaker(10.0),
                {"last_equity": math.inf},
                "'daily_loss.state.last_equity' must be a finite number or null, was inf",
            ),
            (
                ConsecutiveRejectsBreaker(3),
                {"count": -1},
                "'consecutive_rejects.state.count' must be an integer >= 0, was -1",
            ),
            (RateBreaker(3), {"session": 3}, "'order_rate.state.session' must be a string or null, was 3"),
        ],
    )
    def test_a_bad_state_value_names_its_field(self, kind, state, message):
        data = kind.to_dict()
        data["state"].update(state)
        assert config_error(type(kind).from_dict, data) == message + " (breaker state)"

    def test_another_breakers_record(self):
        data = DrawdownBreaker(10.0).to_dict()
        assert config_error(DailyLossBreaker.from_dict, data) == (
            "'daily_loss.breaker' must be 'daily_loss', was 'drawdown' (breaker state)"
        )

    def test_an_unknown_param(self):
        data = DrawdownBreaker(10.0).to_dict()
        data["params"]["speed"] = 1
        assert config_error(DrawdownBreaker.from_dict, data) == (
            "unknown field 'drawdown.params.speed' (allowed: action, max_drawdown_pct), was 1 (breaker state)"
        )

    def test_a_missing_state_key(self):
        data = DrawdownBreaker(10.0).to_dict()
        del data["state"]["peak_equity"]
        assert (
            config_error(DrawdownBreaker.from_dict, data)
            == "'drawdown.state.peak_equity' is required (breaker state)"
        )

    def test_a_fixed_action_that_was_changed(self):
        data = RateBreaker(3).to_dict()
        data["params"]["action"] = "REDUCING"
        assert config_error(RateBreaker.from_dict, data) == (
            "'order_rate.params.action' must be 'HALTED', was 'REDUCING' (breaker state)"
        )

    def test_a_trip_that_is_not_a_record(self):
        data = DrawdownBreaker(10.0).to_dict()
        data["trip"] = {"breaker": "drawdown"}
        assert config_error(DrawdownBreaker.from_dict, data) == (
            "'drawdown.trip' must be a BreakerTripped record, was {'breaker': 'drawdown'} (breaker state)"
        )

    def test_a_board_that_is_not_a_mapping_or_of_another_version(self, limits):
        assert config_error(BreakerBoard.from_dict, []) == "'board' must be a mapping, was [] (breaker state)"
        data = BreakerBoard.from_limits(limits).to_dict()
        data["version"] = 2
        assert (
            config_error(BreakerBoard.from_dict, data) == "'board.version' must be 1, was 2 (breaker state)"
        )
