"""The one owner of trading-state transitions: kill, breaker trip, reconciliation halt, operator resume.

Everything that may stop or restart trading goes through a ``TradingGovernor``:
the breakers report to it, the kill switch and the reconciliation halt through
it, and only an operator's explicit resume lowers the state again. Each
change is a ``StateChanged`` event carrying its ``TransitionCause`` and is
handed to every subscribed listener (the journal, the trace and the alert
log), so there is exactly one writer of trading state and one record of why
it moved. Callers see only read-only views (``standing``, ``board``), and a
breaker reset or the board's persistence are governor methods too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from aurora_safety.board import BreakerBoard
from aurora_safety.config import Limits
from aurora_safety.errors import AuroraError
from aurora_safety.events import BreakerReset, BreakerTripped, Rejection, StateChanged, TransitionCause
from aurora_safety.standing import Standing
from aurora_safety.state import TradingState, TradingStateMachine, severity
from aurora_safety.views import BoardView

__all__ = ["BoardStore", "BreakerStillOpenError", "GovernorListener", "NotTrippedError", "TradingGovernor"]


class GovernorListener(Protocol):
    """Receives every event the governor decides, in order (journal, trace, alerts)."""

    def state_changed(self, event: StateChanged) -> None: ...

    def breaker_tripped(self, event: BreakerTripped) -> None: ...


class BoardStore(Protocol):
    """Where the board is persisted (the journal): breaker events and the saved board."""

    def record_breaker_event(self, event: BreakerTripped | BreakerReset) -> None: ...

    def save_breaker_state(self, board: Mapping[str, Any]) -> None: ...


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


class TradingGovernor:
    """Holds the trading state and the breaker board; the only code that changes either."""

    __slots__ = ("_board", "_effective", "_listeners", "_machine")

    def __init__(
        self,
        board: BreakerBoard,
        state: TradingState = TradingState.ACTIVE,
        listener: GovernorListener | None = None,
    ) -> None:
        self._board = board
        self._machine = TradingStateMachine(TradingState(state))
        self._listeners: tuple[GovernorListener, ...] = () if listener is None else (listener,)
        self._effective = self.standing().effective

    @classmethod
    def from_limits(cls, limits: Limits, state: TradingState = TradingState.ACTIVE) -> TradingGovernor:
        """A fresh governor: every breaker closed, parameters from ``limits``."""
        return cls(BreakerBoard.from_limits(limits), state)

    @classmethod
    def restore(cls, saved: Mapping[str, Any] | None, state: TradingState, limits: Limits) -> TradingGovernor:
        """As a journal left it: the saved board (None: a fresh one from ``limits``) and last state."""
        board = BreakerBoard.from_dict(saved) if saved else BreakerBoard.from_limits(limits)
        return cls(board, state)

    # ---------------------------------------------------------------- queries
    @property
    def state(self) -> TradingState:
        """The recorded state (what the journal's last state event says)."""
        return self._machine.state

    @property
    def board(self) -> BoardView:
        """A read-only snapshot of every breaker (only the governor trips or resets them)."""
        return BoardView.of(self._board)

    @property
    def events(self) -> tuple[StateChanged, ...]:
        """State changes made by this instance, oldest first."""
        return self._machine.events

    def standing(self) -> Standing:
        """The recorded state and the open breakers: the one answer to "what stops trading"."""
        return Standing(self._machine.state, self._board.tripped())

    def effective_state(self) -> TradingState:
        """``standing().effective``, kept current by every change (the router asks per order)."""
        return self._effective

    def subscribe(self, listener: GovernorListener) -> None:
        """Add a listener; every listener hears every later event. Subscribing twice is once."""
        if not any(known is listener for known in self._listeners):
            self._listeners = (*self._listeners, listener)

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
        """The kill switch fired: HALTED (the router that saw it cancels open orders)."""
        return self._move(TradingState.HALTED, TransitionCause.KILL_SWITCH, f"kill switch: {trigger}", ts_ns)

    def halt(self, cause: TransitionCause, reason: str, ts_ns: int) -> StateChanged | None:
        """HALTED for ``cause`` (e.g. a reconciliation mismatch); only an operator resume lifts it."""
        return self._move(TradingState.HALTED, cause, reason, ts_ns)

    def operator_resume(self, ts_ns: int) -> StateChanged | None:
        """An operator's explicit resume: back to what the breakers require (ACTIVE if none is open).

        Refused while a breaker requires HALTED; the caller must also have
        checked that the kill switch is clear.
        """
        standing = self.standing()
        if standing.required is TradingState.HALTED:
            raise BreakerStillOpenError(standing.open_names)
        return self._move(standing.required, TransitionCause.OPERATOR_RESUME, "operator resume", ts_ns)

    def reset_breaker(
        self, name: str, operator_reason: str, ts_ns: int, store: BoardStore | None = None
    ) -> BreakerReset:
        """Close one tripped breaker; with ``store``, journal the reset and save the board.

        The state is lowered only by the next ``operator_resume``.
        """
        if not self._board[name].tripped:
            raise NotTrippedError(name)
        event = self._board.reset(name, operator_reason, ts_ns)
        self._effective = self.standing().effective
        if store is not None:
            store.record_breaker_event(event)
            self.save_board(store)
        return event

    def save_board(self, store: BoardStore) -> None:
        """Persist the board (tripped breakers and their measurements survive a restart)."""
        store.save_breaker_state(self._board.to_dict())

    # --------------------------------------------------------------- internals
    def _apply_trips(self, trips: list[BreakerTripped], ts_ns: int) -> None:
        for trip in trips:
            for listener in self._listeners:
                listener.breaker_tripped(trip)
        if not trips:
            return
        standing = self.standing()
        if severity(standing.required) > severity(self._machine.state):
            self._move(standing.required, TransitionCause.BREAKER_TRIP, standing.reason(), ts_ns)
        self._effective = self.standing().effective

    def _move(self, to: TradingState, cause: TransitionCause, reason: str, ts_ns: int) -> StateChanged | None:
        event = self._machine.transition(to, reason, ts_ns, cause=TransitionCause(cause))
        self._effective = self.standing().effective
        if event is not None:
            for listener in self._listeners:
                listener.state_changed(event)
        return event
