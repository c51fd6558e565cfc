"""Explicit trading state: ACTIVE, REDUCING (only shrinking orders) or HALTED (only cancels).

Every change is a ``StateChanged`` event with a reason and an event time, so
the journal can show why trading stopped and who let it start again.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import assert_never

from aurora_safety.events import StateChanged, TransitionCause

__all__ = ["OrderEffect", "TradingState", "TradingStateMachine", "severity", "strictest"]


class TradingState(StrEnum):
    """What trading may do right now; ordered by severity in ``severity``."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


class OrderEffect(StrEnum):
    """What a request does to exposure; decided by the caller from position and side."""

    INCREASES = "INCREASES"
    REDUCES = "REDUCES"
    CANCEL = "CANCEL"


def severity(state: TradingState) -> int:
    """0 for ACTIVE, 1 for REDUCING, 2 for HALTED: the larger wins when combining."""
    match state:
        case TradingState.ACTIVE:
            return 0
        case TradingState.REDUCING:
            return 1
        case TradingState.HALTED:
            return 2
        case _:
            assert_never(state)


def strictest(states: Iterable[TradingState]) -> TradingState:
    """The most severe of ``states`` (ACTIVE for none): how open breakers and a recorded state combine."""
    return max(states, key=severity, default=TradingState.ACTIVE)


def _permits(state: TradingState, effect: OrderEffect) -> bool:
    if effect is OrderEffect.CANCEL:
        return True  # cancels always pass: they can only reduce risk
    match state:
        case TradingState.ACTIVE:
            return True
        case TradingState.REDUCING:
            return effect is OrderEffect.REDUCES
        case TradingState.HALTED:
            return False
        case _:
            assert_never(state)


class TradingStateMachine:
    """Holds the current state and the events of every change."""

    __slots__ = ("_events", "_state")

    def __init__(self, initial: TradingState = TradingState.ACTIVE) -> None:
        self._state = TradingState(initial)
        self._events: list[StateChanged] = []

    @property
    def state(self) -> TradingState:
        return self._state

    @property
    def events(self) -> tuple[StateChanged, ...]:
        """Every change so far, oldest first (a copy: history is not editable)."""
        return tuple(self._events)

    def transition(
        self, to: TradingState, reason: str, ts_ns: int, *, cause: TransitionCause | None = None
    ) -> StateChanged | None:
        """Move to ``to``; None when already there (no event for a non-change).

        An unknown state raises ValueError rather than guessing; an empty
        reason is refused because the journal must say why. In a run, only
        ``TradingGovernor`` calls this, always with a ``cause``.
        """
        target = TradingState(to)
        if not reason.strip():
            raise ValueError("transition reason must be a non-empty string, was ''")
        if target is self._state:
            return None
        event = StateChanged(
            self._state, target, reason, int(ts_ns), None if cause is None else TransitionCause(cause)
        )
        self._state = target
        self._events.append(event)
        return event

    def permits(self, effect: OrderEffect) -> bool:
        """CANCEL always; ACTIVE everything; REDUCING only REDUCES; HALTED nothing else."""
        return _permits(self._state, OrderEffect(effect))
