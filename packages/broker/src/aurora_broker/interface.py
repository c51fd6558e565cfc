"""The broker interface: what the router and the run loop may ask of any broker.

A real broker adapter would implement the same methods; nothing above the
broker may reach into the paper broker's internals. ``exposures`` is the
read-only facade the router's pre-trade checks use (in-flight orders
included), so a check costs a dictionary lookup, not a query.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping

from aurora_broker.exposure import SymbolExposure
from aurora_broker.messages import Account, Order, SubmitOrder

__all__ = ["Broker"]


class Broker(ABC):
    """Submit, cancel and inspect orders; read positions and the account."""

    @abstractmethod
    def submit(self, order: SubmitOrder) -> Order:
        """Place an order; a known ``client_order_id`` returns that order's current state unchanged."""

    @abstractmethod
    def cancel(self, client_order_id: str) -> Order | None:
        """Cancel an open order; never refused. Returns its state (None if unknown)."""

    def cancel_all(self) -> list[Order]:
        """Cancel every open order (the kill switch's first action)."""
        cancelled = []
        for order in self.open_orders():
            result = self.cancel(order.client_order_id)
            if result is not None:
                cancelled.append(result)
        return cancelled

    @abstractmethod
    def open_orders(self) -> tuple[Order, ...]:
        """Orders that may still fill, in submission order."""

    @abstractmethod
    def positions(self) -> Mapping[str, int]:
        """Non-zero positions in shares by symbol (negative = short)."""

    @abstractmethod
    def account(self) -> Account:
        """Cash, marked positions and equity now."""

    @abstractmethod
    def order_state(self, client_order_id: str) -> Order | None:
        """The current state of an order, None if this broker never saw it."""

    @abstractmethod
    def exposures(self) -> Mapping[str, SymbolExposure]:
        """Live read-only view: symbol -> position and open quantities."""

    @abstractmethod
    def valuation_price(self, symbol: str) -> float | None:
        """The raw price the broker values ``symbol`` at (its last mark), None if unknown."""
