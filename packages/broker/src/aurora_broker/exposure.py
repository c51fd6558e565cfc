"""Worst-case exposure per symbol, in-flight orders included.

An accepted order counts against the limits at once, before it fills. With
open buys ``b`` and open sells ``s`` on a position ``p``, any subset of fills
leaves the position within ``[p - s, p + b]``; limits are checked against
those two ends, so no combination of fills can breach them.
"""

from __future__ import annotations

from dataclasses import dataclass

from aurora_broker.messages import Side
from aurora_safety import OrderEffect

__all__ = ["SymbolExposure"]


@dataclass(frozen=True, slots=True)
class SymbolExposure:
    """Filled position and open (unfilled) quantities of one symbol, in shares."""

    position: int = 0
    open_buy: int = 0
    open_sell: int = 0

    @property
    def worst_abs(self) -> int:
        """Largest absolute position any subset of the open orders could leave."""
        return max(abs(self.position + self.open_buy), abs(self.position - self.open_sell))

    def base_for(self, side: Side) -> int:
        """The worst-case position a new order on ``side`` would add to."""
        return self.position + self.open_buy if side is Side.BUY else self.position - self.open_sell

    def effect(self, side: Side, quantity: int) -> OrderEffect:
        """INCREASES when the order could grow the absolute position, else REDUCES."""
        base = self.base_for(side)
        after = base + side.sign * quantity
        return OrderEffect.INCREASES if abs(after) > abs(base) else OrderEffect.REDUCES

    def with_open(self, side: Side, quantity: int) -> SymbolExposure:
        """After ``quantity`` more (or, negative, fewer) shares are open on ``side``."""
        if side is Side.BUY:
            return SymbolExposure(self.position, self.open_buy + quantity, self.open_sell)
        return SymbolExposure(self.position, self.open_buy, self.open_sell + quantity)

    def added_abs(self, side: Side, quantity: int) -> int:
        """Growth of ``worst_abs`` if the order is accepted (never negative)."""
        return self.with_open(side, quantity).worst_abs - self.worst_abs
