"""The governor is the only door: its views refuse mutation, listeners add up, resets persist through it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest

from aurora_safety import (
    BoardView,
    BreakerReset,
    BreakerTripped,
    BreakerView,
    Limits,
    Standing,
    StateChanged,
    TradingGovernor,
    TradingState,
    TransitionCause,
    UnknownBreakerError,
)


class Recorder:
    """A listener and a board store that keep what they are given (the journal's two roles)."""

    def __init__(self) -> None:
        self.events: list[object] = []
        self.saved: list[dict[str, Any]] = []

    def state_changed(self, event: StateChanged) -> None:
        self.events.append(event)

    def breaker_tripped(self, event: BreakerTripped) -> None:
        self.events.append(event)

    def record_breaker_event(self, event: BreakerTripped | BreakerReset) -> None:
        self.events.append(event)

    def save_breaker_state(self, board: Mapping[str, Any]) -> None:
        self.saved.append(dict(board))


def tripped_governor() -> TradingGovernor:
    governor = TradingGovernor.from_limits(Limits(max_drawdown_pct=10.0, max_daily_loss_pct=90.0))
    governor.on_equity(100.0, "d1", 1)
    governor.on_equity(80.0, "d1", 2)  # a 20 % drawdown: HALTED
    return governor


def test_the_views_refuse_every_write() -> None:
    governor = tripped_governor()
    board = governor.board
    assert isinstance(board, BoardView)
    with pytest.raises(TypeError):
        board.breakers["drawdown"] = BreakerView("drawdown", TradingState.ACTIVE, None)  # type: ignore[index]
    with pytest.raises(TypeError):
        del board.breakers["drawdown"]  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        board.breakers = {}  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        board["drawdown"].trip = None  # type: ignore[misc]
    standing = governor.standing()
    with pytest.raises(dataclasses.FrozenInstanceError):
        standing.recorded = TradingState.ACTIVE  # type: ignore[misc]
    with pytest.raises(AttributeError):
        governor.state = TradingState.ACTIVE  # type: ignore[misc]
    with pytest.raises(AttributeError):
        governor.anything = 1  # type: ignore[attr-defined]
    for gone in ("machine", "listen"):  # the old mutable handle and the replacing listener
        assert not hasattr(governor, gone), gone
    # nothing above moved the governor
    assert governor.standing() == standing
    assert governor.board["drawdown"].tripped
    assert governor.effective_state() is TradingState.HALTED


def test_a_view_is_a_snapshot_and_names_its_breakers() -> None:
    governor = tripped_governor()
    before = governor.board
    governor.reset_breaker("drawdown", "checked the feed", 3)
    assert before["drawdown"].tripped
    assert not governor.board["drawdown"].tripped
    assert before.names == ("drawdown", "daily_loss", "consecutive_rejects", "order_rate")
    with pytest.raises(UnknownBreakerError):
        before["drawdwn"]


def test_standing_is_the_one_answer_live_or_from_the_saved_board() -> None:
    governor = tripped_governor()
    store = Recorder()
    governor.save_board(store)
    (saved,) = store.saved
    live = governor.standing()
    assert (live.recorded, live.required, live.effective) == (TradingState.HALTED,) * 3
    assert live.open_names == live.halting == ("drawdown",)
    assert live.reason().startswith("drawdown: drawdown 20% exceeds max_drawdown_pct 10%")
    assert Standing.from_saved(saved, governor.state) == live
    restored = TradingGovernor.restore(saved, TradingState.ACTIVE, Limits())
    assert restored.state is TradingState.ACTIVE  # a saved trip beside an ACTIVE record
    assert restored.effective_state() is TradingState.HALTED
    assert Standing.from_saved(None, TradingState.REDUCING) == Standing(TradingState.REDUCING)


def test_listeners_are_added_never_replaced() -> None:
    first, second = Recorder(), Recorder()
    governor = TradingGovernor.from_limits(Limits(max_drawdown_pct=10.0, max_daily_loss_pct=90.0))
    governor.subscribe(first)
    governor.subscribe(second)
    governor.subscribe(first)  # twice is once: no event is journaled twice
    governor.on_equity(100.0, "d1", 1)
    governor.on_equity(80.0, "d1", 2)
    assert first.events == second.events
    assert [type(e) for e in first.events] == [BreakerTripped, StateChanged]


def test_a_reset_is_journaled_and_the_board_saved_through_the_governor() -> None:
    governor = tripped_governor()
    store = Recorder()
    event = governor.reset_breaker("drawdown", "checked the feed", 3, store)
    assert store.events == [event]
    assert event == BreakerReset("drawdown", event.reason, 3, "checked the feed")
    (saved,) = store.saved
    assert saved["breakers"]["drawdown"]["trip"] is None
    # the state stays HALTED until an operator resume, which the reset allows
    assert governor.effective_state() is TradingState.HALTED
    resumed = governor.operator_resume(4)
    assert resumed is not None
    assert resumed.cause is TransitionCause.OPERATOR_RESUME
    assert governor.effective_state() is TradingState.ACTIVE
