import pytest

from aurora_safety import OrderEffect, StateChanged, TradingState, TradingStateMachine, severity

A, R, H = TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED


class TestTradingStateMachine:
    def test_starts_active_without_events(self):
        machine = TradingStateMachine()
        assert machine.state is A
        assert machine.events == ()

    def test_transition_records_event(self):
        machine = TradingStateMachine()
        event = machine.transition(H, "kill switch", 42)
        assert event == StateChanged(A, H, "kill switch", 42)
        assert machine.state is H
        assert machine.events == (event,)

    def test_no_change_returns_none_and_records_nothing(self):
        machine = TradingStateMachine(R)
        assert machine.transition(R, "again", 1) is None
        assert machine.events == ()

    def test_accepts_state_strings_but_refuses_unknown(self):
        machine = TradingStateMachine()
        assert machine.transition("HALTED", "x", 1) == StateChanged(A, H, "x", 1)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="PAUSED"):
            machine.transition("PAUSED", "x", 2)  # type: ignore[arg-type]

    def test_empty_reason_refused(self):
        with pytest.raises(ValueError, match="reason"):
            TradingStateMachine().transition(H, "  ", 1)

    def test_events_history_is_not_editable(self):
        machine = TradingStateMachine()
        machine.transition(H, "x", 1)
        history = machine.events
        assert isinstance(history, tuple)


class TestPermits:
    @pytest.mark.parametrize(
        ("state", "effect", "allowed"),
        [
            (A, OrderEffect.INCREASES, True),
            (A, OrderEffect.REDUCES, True),
            (A, OrderEffect.CANCEL, True),
            (R, OrderEffect.INCREASES, False),
            (R, OrderEffect.REDUCES, True),
            (R, OrderEffect.CANCEL, True),
            (H, OrderEffect.INCREASES, False),
            (H, OrderEffect.REDUCES, False),
            (H, OrderEffect.CANCEL, True),
        ],
    )
    def test_table(self, state, effect, allowed):
        assert TradingStateMachine(state).permits(effect) is allowed


def test_severity_orders_states():
    assert severity(A) < severity(R) < severity(H)
