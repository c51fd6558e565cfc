"""Read-only views of the breaker board: what callers may see of the governor's state.

The governor keeps the live board private; ``TradingGovernor.board`` hands
out a ``BoardView`` snapshot (frozen dataclasses over a ``MappingProxyType``),
so reading a breaker can never trip, reset or rebase it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from aurora_safety.board import BreakerBoard
from aurora_safety.errors import UnknownBreakerError
from aurora_safety.events import BreakerTripped
from aurora_safety.state import TradingState

__all__ = ["BoardView", "BreakerView"]


@dataclass(frozen=True, slots=True)
class BreakerView:
    """One breaker as it stands: its action when tripped and its open trip (None: closed)."""

    name: str
    action: TradingState
    trip: BreakerTripped | None

    @property
    def tripped(self) -> bool:
        return self.trip is not None


@dataclass(frozen=True, slots=True)
class BoardView:
    """Every breaker by name, in board order; a snapshot taken when the governor was asked."""

    breakers: Mapping[str, BreakerView]

    @classmethod
    def of(cls, board: BreakerBoard) -> BoardView:
        views = {name: BreakerView(name, board[name].action, board[name].trip) for name in board.names}
        return cls(MappingProxyType(views))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.breakers)

    def __getitem__(self, name: str) -> BreakerView:
        if name not in self.breakers:
            raise UnknownBreakerError(name, sorted(self.breakers))
        return self.breakers[name]

    def tripped(self) -> tuple[BreakerTripped, ...]:
        """Trip events of the open breakers, in board order."""
        return tuple(view.trip for view in self.breakers.values() if view.trip is not None)
