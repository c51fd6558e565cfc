"""The one owner of trading-state transitions: kill, breaker trip, reconciliation halt, operator resume.

Everything that may stop or restart trading goes through a ``TradingGovernor``:
the breakers report to it, the kill switch and the reconciliation halt through
it, and only an operator's explicit resume lowers the state again. Each
change is a ``StateChanged`` event carrying its ``TransitionCause`` and is
handed to the listener (the journal, the trace and the alert log), so there
is exactly one writer of trading state and one record of why it moved.
"""

from __future__ import annotations

from typing import Protocol

from aurora_safety.board import BreakerBoard
from aurora_safety.errors import AuroraError
from aurora_safety.events import BreakerReset, BreakerTripped, Rejection, StateChanged, TransitionCause
from aurora_safety.state import TradingState, TradingStateMachine, severity

__all__ = ["BreakerStillOpenError", "GovernorListener", "NotTrippedError", "TradingGovernor"]


class GovernorListener(Protocol):
    """Receives every event the governor decides, in order (journal, trace, alerts)."""

    def state_changed(self, event: StateChanged) -> None: ...

    def breaker_tripped(self, event: BreakerTripped) -> None: ...


class BreakerStillOpenError(AuroraError, RuntimeError):
    """An operator resume while a breaker still requires HALTED: reset it first."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        joined = ", ".join(names)
        super().__init__(
            f"circuit breaker open ({joined}); reset it with `aurora breaker reset NAME --reason TEXT` first"
        )


class NotTrippedError(AuroraError, ValueError):
    """A reset of a breaker that is not tripped: nothing to reset, nothing is written."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"breaker '{name}' is not tripped; nothing to reset")


class _Silent:
    def state_changed(self, event: StateChanged) -> None:
        return None

    def breaker_tripped(self, event: BreakerTripped) -> None:
        return None


class TradingGovernor:
    """Holds the trading state and the breaker board; the only code that changes either."""

    __slots__ = ("_board", "_listener", "_machine")

    def __init__(
        self,
        board: BreakerBoard,
        state: TradingState = TradingState.ACTIVE,
        listener: GovernorListener | None = None,
    ) -> None:
        self._board = board
        self._machine = TradingStateMachine(TradingState(state))
        self._listener: GovernorListener = _Silent() if listener is None else listener

    # ---------------------------------------------------------------- queries
    @property
    def state(self) -> TradingState:
        """The recorded state (what the journal's last state event says)."""
        return self._machine.state

    @property
    def machine(self) -> TradingStateMachine:
        """The state machine this governor drives (the router reads it; only the governor moves it)."""
        return self._machine

    @property
    def board(self) -> BreakerBoard:
        return self._board

    @property
    def events(self) -> tuple[StateChanged, ...]:
        """State changes made by this instance, oldest first."""
        return self._machine.events

    def effective_state(self) -> TradingState:
        """The stricter of the recorded state and what the open breakers require."""
        required = self._board.state_required()
        current = self._machine.state
        return required if severity(required) > severity(current) else current

    def listen(self, listener: GovernorListener) -> None:
        """Replace the listener (the runtime attaches its journal sink after assembly)."""
        self._listener = listener

    # --------------------------------------------------------------- inputs
    def on_equity(self, equity: float, session: object, ts_ns: int) -> list[BreakerTripped]:
        """Feed the session's equity to the drawdown and daily-loss breakers; apply any trip."""
        trips = self._board.on_equity(equity, session, ts_ns)
        self._apply_trips(trips, ts_ns)
        return trips

    def on_order_result(
        self, rejection: Rejection | None, session: object, ts_ns: int
    ) -> list[BreakerTripped]:
        """Feed an order outcome (None = accepted) to the reject and rate breakers; apply any trip."""
        trips = self._board.on_order_result(rejection, session, ts_ns)
        if trips:
            self._apply_trips(trips, ts_ns)
        return trips

    def halt_for_kill(self, trigger: str, ts_ns: int) -> StateChanged | None:
        """The kill switch fired: HALTED (the caller cancels open orders)."""
        return self._move(TradingState.HALTED, TransitionCause.KILL_SWITCH, f"kill switch: {trigger}", ts_ns)

    def halt(self, cause: TransitionCause, reason: str, ts_ns: int) -> StateChanged | None:
        """HALTED for ``cause`` (e.g. a reconciliation mismatch); only an operator resume lifts it."""
        return self._move(TradingState.HALTED, cause, reason, ts_ns)

    def operator_resume(self, ts_ns: int) -> StateChanged | None:
        """An operator's explicit resume: back to what the breakers require (ACTIVE if none is open).

        Refused while a breaker requires HALTED; the caller must also have
        checked that the kill switch is clear.
        """
        required = self._board.state_required()
        if required is TradingState.HALTED:
            raise BreakerStillOpenError(tuple(t.breaker for t in self._board.tripped()))
        return self._move(required, TransitionCause.OPERATOR_RESUME, "operator resume", ts_ns)

    def reset_breaker(self, name: str, operator_reason: str, ts_ns: int) -> BreakerReset:
        """Close one tripped breaker (state is lowered only by the next ``operator_resume``)."""
        if not self._board[name].tripped:
            raise NotTrippedError(name)
        return self._board.reset(name, operator_reason, ts_ns)

    # --------------------------------------------------------------- internals
    def _apply_trips(self, trips: list[BreakerTripped], ts_ns: int) -> None:
        for trip in trips:
            self._listener.breaker_tripped(trip)
        if not trips:
            return
        required = self._board.state_required()
        if severity(required) > severity(self._machine.state):
            reason = "; ".join(f"{t.breaker}: {t.reason}" for t in self._board.tripped())
            self._move(required, TransitionCause.BREAKER_TRIP, reason, ts_ns)

    def _move(self, to: TradingState, cause: TransitionCause, reason: str, ts_ns: int) -> StateChanged | None:
        event = self._machine.transition(to, reason, ts_ns, cause=TransitionCause(cause))
        if event is not None:
            self._listener.state_changed(event)
        return event
