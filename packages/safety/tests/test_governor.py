"""TradingGovernor: the one owner of trading-state transitions, each with its cause."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aurora_safety import (
    BreakerBoard,
    BreakerStillOpenError,
    BreakerTripped,
    Limits,
    NotTrippedError,
    ReasonCode,
    Rejection,
    StateChanged,
    TradingGovernor,
    TradingState,
    TransitionCause,
    severity,
)


class Recorder:
    def __init__(self) -> None:
        self.events: list[StateChanged | BreakerTripped] = []

    def state_changed(self, event: StateChanged) -> None:
        self.events.append(event)

    def breaker_tripped(self, event: BreakerTripped) -> None:
        self.events.append(event)


def governor(**limits: object) -> tuple[TradingGovernor, Recorder]:
    recorder = Recorder()
    board = BreakerBoard.from_limits(Limits(**limits))  # type: ignore[arg-type]
    return TradingGovernor(board, listener=recorder), recorder


def test_kill_halts_with_its_cause_and_reason() -> None:
    gov, seen = governor()
    event = gov.halt_for_kill("file:/tmp/kill.flag", 5)
    assert event == StateChanged(
        TradingState.ACTIVE,
        TradingState.HALTED,
        "kill switch: file:/tmp/kill.flag",
        5,
        TransitionCause.KILL_SWITCH,
    )
    assert seen.events == [event]
    assert gov.state is TradingState.HALTED
    assert gov.halt_for_kill("again", 6) is None  # no event for a non-change
    assert seen.events == [event]


def test_drawdown_trip_moves_state_once_and_reports_trip_first() -> None:
    gov, seen = governor(max_drawdown_pct=10.0, max_daily_loss_pct=90.0)
    assert gov.on_equity(100.0, "d1", 1) == []
    trips = gov.on_equity(85.0, "d2", 2)
    assert [t.breaker for t in trips] == ["drawdown"]
    assert [type(e).__name__ for e in seen.events] == ["BreakerTripped", "StateChanged"]
    change = seen.events[1]
    assert isinstance(change, StateChanged)
    assert (change.to_state, change.cause) == (TradingState.HALTED, TransitionCause.BREAKER_TRIP)
    assert change.reason.startswith("drawdown: drawdown 15% exceeds max_drawdown_pct 10%")
    gov.on_equity(80.0, "d3", 3)
    assert len(seen.events) == 2  # tripped breakers do not trip again


def test_daily_loss_reduces_and_a_later_halt_wins() -> None:
    gov, seen = governor(max_daily_loss_pct=5.0, max_drawdown_pct=20.0)
    gov.on_equity(100.0, "d1", 1)
    gov.on_equity(94.0, "d2", 2)
    assert gov.state is TradingState.REDUCING
    gov.on_equity(75.0, "d3", 3)
    assert gov.state is TradingState.HALTED
    causes = [e.cause for e in seen.events if isinstance(e, StateChanged)]
    assert causes == [TransitionCause.BREAKER_TRIP, TransitionCause.BREAKER_TRIP]


def test_a_trip_never_lowers_a_kill_halt() -> None:
    gov, seen = governor(max_daily_loss_pct=5.0)
    gov.halt_for_kill("env:AURORA_KILL=1", 1)
    gov.on_equity(100.0, "d1", 2)
    gov.on_equity(90.0, "d2", 3)  # daily loss requires REDUCING: less severe than HALTED
    assert gov.state is TradingState.HALTED
    assert [e.to_state for e in seen.events if isinstance(e, StateChanged)] == [TradingState.HALTED]


def test_consecutive_rejects_trip_through_order_results() -> None:
    gov, _ = governor(max_consecutive_rejects=2)
    rejection = Rejection.of(ReasonCode.PRICE_BAND, price_band_bps=100.0)
    assert gov.on_order_result(rejection, "d1", 1) == []
    assert gov.on_order_result(rejection, "d1", 2) == []
    trips = gov.on_order_result(rejection, "d1", 3)
    assert [t.breaker for t in trips] == ["consecutive_rejects"]
    assert gov.state is TradingState.HALTED


def test_operator_resume_refused_while_a_halting_breaker_is_open() -> None:
    gov, _ = governor(max_drawdown_pct=10.0, max_daily_loss_pct=90.0)
    gov.on_equity(100.0, "d1", 1)
    gov.on_equity(50.0, "d2", 2)
    with pytest.raises(BreakerStillOpenError, match=r"^circuit breaker open \(drawdown\); reset it with"):
        gov.operator_resume(3)
    assert gov.state is TradingState.HALTED


def test_reset_then_resume_is_journaled_as_operator_resume() -> None:
    gov, _seen = governor(max_drawdown_pct=10.0, max_daily_loss_pct=90.0)
    gov.on_equity(100.0, "d1", 1)
    gov.on_equity(50.0, "d2", 2)
    reset = gov.reset_breaker("drawdown", "books checked", 3)
    assert reset.operator_reason == "books checked"
    event = gov.operator_resume(4)
    assert event is not None
    assert (event.from_state, event.to_state, event.cause) == (
        TradingState.HALTED,
        TradingState.ACTIVE,
        TransitionCause.OPERATOR_RESUME,
    )
    assert gov.operator_resume(5) is None


def test_resume_with_a_reducing_breaker_goes_to_reducing() -> None:
    gov, _ = governor(max_daily_loss_pct=5.0)
    gov.halt_for_kill("file:k", 1)
    gov.on_equity(100.0, "d1", 2)
    gov.on_equity(90.0, "d2", 3)
    event = gov.operator_resume(4)
    assert event is not None
    assert event.to_state is TradingState.REDUCING


def test_resetting_a_breaker_that_is_not_tripped_is_refused() -> None:
    gov, seen = governor()
    with pytest.raises(NotTrippedError, match=r"^breaker 'drawdown' is not tripped; nothing to reset$"):
        gov.reset_breaker("drawdown", "why not", 1)
    assert seen.events == []


def test_reconciliation_halt_carries_its_cause() -> None:
    gov, _ = governor()
    event = gov.halt(TransitionCause.RECONCILIATION, "positions differ: AAPL journal 10 broker 0", 9)
    assert event is not None
    assert event.cause is TransitionCause.RECONCILIATION


def test_effective_state_is_the_stricter_of_state_and_breakers() -> None:
    board = BreakerBoard.from_limits(Limits(max_drawdown_pct=10.0))
    board.on_equity(100.0, "d1", 1)
    board.on_equity(50.0, "d2", 2)
    gov = TradingGovernor(board)  # restored from a journal whose last state event said ACTIVE
    assert gov.state is TradingState.ACTIVE
    assert gov.effective_state() is TradingState.HALTED


@given(st.lists(st.floats(min_value=1.0, max_value=1e6), min_size=1, max_size=40))
def test_state_only_rises_until_an_operator_resumes(equities: list[float]) -> None:
    gov, seen = governor(max_drawdown_pct=20.0, max_daily_loss_pct=10.0)
    last = 0
    for i, equity in enumerate(equities):
        gov.on_equity(equity, i, i)
        assert severity(gov.state) >= last
        last = severity(gov.state)
    changes = [e for e in seen.events if isinstance(e, StateChanged)]
    assert all(e.cause is TransitionCause.BREAKER_TRIP for e in changes)
    assert all(severity(e.to_state) > severity(e.from_state) for e in changes)
