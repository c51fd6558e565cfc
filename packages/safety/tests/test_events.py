import dataclasses
import json

import pytest

from aurora_safety import (
    BreakerReset,
    BreakerTripped,
    ReasonCode,
    Rejection,
    StateChanged,
    TradingState,
    TransitionCause,
)


class TestRejection:
    def test_message_lists_values_in_order(self):
        rej = Rejection.of(ReasonCode.MAX_ORDER_NOTIONAL, max_order_notional_usd=100000.0, notional=120000.0)
        assert rej.message == ("MAX_ORDER_NOTIONAL: max_order_notional_usd=100000.0, notional=120000.0")

    def test_strings_are_quoted_and_no_values_is_just_the_code(self):
        assert Rejection.of(ReasonCode.KILL_SWITCH, trigger="env:AURORA_KILL=1").message == (
            "KILL_SWITCH: trigger='env:AURORA_KILL=1'"
        )
        assert Rejection(ReasonCode.DUPLICATE_ORDER).message == "DUPLICATE_ORDER"

    def test_as_dict_is_strict_json_even_for_nan(self):
        rej = Rejection.of(ReasonCode.INVALID_ORDER, price=float("nan"), expected="x")
        data = rej.as_dict()
        assert data == {
            "reason": "INVALID_ORDER",
            "values": [["price", "nan"], ["expected", "x"]],
            "message": "INVALID_ORDER: price=nan, expected='x'",
        }
        json.dumps(data, allow_nan=False)

    def test_values_may_be_named_reason(self):
        rej = Rejection.of(ReasonCode.DUPLICATE_ORDER, reason="x", cls="y")
        assert rej.message == "DUPLICATE_ORDER: reason='x', cls='y'"

    def test_value_lookup(self):
        rej = Rejection.of(ReasonCode.MAX_ORDER_QTY, max_order_qty_shares=10, quantity=11)
        assert rej.value("quantity") == 11
        with pytest.raises(KeyError):
            rej.value("nope")

    def test_frozen(self):
        rej = Rejection(ReasonCode.RATE_LIMIT)
        with pytest.raises(dataclasses.FrozenInstanceError):
            rej.reason = ReasonCode.KILL_SWITCH  # type: ignore[misc]


class TestEvents:
    def test_state_changed_as_dict(self):
        event = StateChanged(TradingState.ACTIVE, TradingState.HALTED, "kill", 7, TransitionCause.KILL_SWITCH)
        assert event.as_dict() == {
            "event": "StateChanged",
            "from_state": "ACTIVE",
            "to_state": "HALTED",
            "reason": "kill",
            "ts_ns": 7,
            "cause": "kill_switch",
        }

    def test_breaker_tripped_round_trips(self):
        event = BreakerTripped(
            "drawdown", "too deep", (("drawdown_pct", 30.0), ("x", "inf")), 9, TradingState.HALTED
        )
        data = event.as_dict()
        assert data == {
            "event": "BreakerTripped",
            "breaker": "drawdown",
            "reason": "too deep",
            "values": [["drawdown_pct", 30.0], ["x", "inf"]],
            "ts_ns": 9,
            "action": "HALTED",
        }
        assert BreakerTripped.from_dict(json.loads(json.dumps(data))) == event

    def test_breaker_reset_as_dict(self):
        event = BreakerReset("drawdown", "too deep", 3, "checked the books")
        assert event.as_dict() == {
            "event": "BreakerReset",
            "breaker": "drawdown",
            "reason": "too deep",
            "ts_ns": 3,
            "operator_reason": "checked the books",
        }

    def test_as_dict_is_deterministic(self):
        event = StateChanged(TradingState.ACTIVE, TradingState.REDUCING, "loss", 1)
        assert json.dumps(event.as_dict()) == json.dumps(event.as_dict())
