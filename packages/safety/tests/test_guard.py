from hypothesis import given
from hypothesis import strategies as st

from aurora_safety import (
    KillStatus,
    OrderEffect,
    ReasonCode,
    Rejection,
    TradingState,
    TradingStateMachine,
    gate_order,
)

KILLED = KillStatus(active=True, trigger="file:/run/kill.flag")
CLEAR = KillStatus(active=False)


class TestGateOrder:
    def test_active_state_passes(self):
        assert gate_order(CLEAR, TradingStateMachine(), OrderEffect.INCREASES) is None

    def test_kill_rejects_with_trigger(self):
        assert gate_order(KILLED, TradingState.ACTIVE, OrderEffect.REDUCES) == Rejection.of(
            ReasonCode.KILL_SWITCH, trigger="file:/run/kill.flag"
        )

    def test_halted_is_breaker_open(self):
        rej = gate_order(CLEAR, TradingState.HALTED, OrderEffect.REDUCES)
        assert rej is not None
        assert rej.message == "BREAKER_OPEN: state='HALTED', effect='REDUCES'"

    def test_reducing_blocks_only_increases(self):
        rej = gate_order(CLEAR, TradingState.REDUCING, OrderEffect.INCREASES)
        assert rej is not None
        assert rej.message == "REDUCE_ONLY: state='REDUCING', effect='INCREASES'"
        assert gate_order(CLEAR, TradingState.REDUCING, OrderEffect.REDUCES) is None

    def test_cancel_passes_even_when_killed_and_halted(self):
        assert gate_order(KILLED, TradingState.HALTED, OrderEffect.CANCEL) is None

    @given(
        state=st.sampled_from(TradingState),
        effect=st.sampled_from(OrderEffect),
        trigger=st.text(min_size=1, max_size=30),
    )
    def test_kill_always_wins(self, state, effect, trigger):
        """With the kill switch active, whatever the state, only cancels pass."""
        kill = KillStatus(active=True, trigger=trigger)
        machine = TradingStateMachine(state)
        rej = gate_order(kill, machine, effect)
        if effect is OrderEffect.CANCEL:
            assert rej is None
        else:
            assert rej is not None
            assert rej.reason is ReasonCode.KILL_SWITCH

    @given(state=st.sampled_from(TradingState), effect=st.sampled_from(OrderEffect))
    def test_agrees_with_state_machine_when_not_killed(self, state, effect):
        machine = TradingStateMachine(state)
        assert (gate_order(CLEAR, machine, effect) is None) is machine.permits(effect)
