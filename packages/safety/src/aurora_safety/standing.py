"""Which breakers are open and which trading state applies: the one answer every reader uses.

The governor, the router's pre-trade gate, the run loop, `aurora status`,
the halt refusal and the report all ask a ``Standing`` (live from the
governor, or rebuilt from what the journal saved), so "what stops trading"
is derived once and cannot drift between them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aurora_safety.board import BreakerBoard
from aurora_safety.events import BreakerTripped
from aurora_safety.state import TradingState, strictest

__all__ = ["Standing"]


@dataclass(frozen=True, slots=True)
class Standing:
    """The recorded trading state and the trips of the open breakers, in board order."""

    recorded: TradingState
    open: tuple[BreakerTripped, ...] = ()

    @property
    def required(self) -> TradingState:
        """What the open breakers require: ACTIVE when none is open."""
        return strictest(trip.action for trip in self.open)

    @property
    def effective(self) -> TradingState:
        """The stricter of the recorded state and what the open breakers require."""
        return strictest((self.recorded, self.required))

    @property
    def open_names(self) -> tuple[str, ...]:
        return tuple(trip.breaker for trip in self.open)

    @property
    def halting(self) -> tuple[str, ...]:
        """Open breakers that require HALTED: each must be reset before an operator resume."""
        return tuple(trip.breaker for trip in self.open if trip.action is TradingState.HALTED)

    def reason(self) -> str:
        """``name: why`` of every open breaker, ``; ``-joined (empty when none is open)."""
        return "; ".join(f"{trip.breaker}: {trip.reason}" for trip in self.open)

    @classmethod
    def from_saved(cls, board: Mapping[str, Any] | None, recorded: TradingState) -> Standing:
        """From a saved board (``TradingGovernor.save_board``; None: nothing saved yet) and the
        last recorded state, as a journal reader finds them."""
        trips = BreakerBoard.from_dict(board).tripped() if board else ()
        return cls(TradingState(recorded), trips)
