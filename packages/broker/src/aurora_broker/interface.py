"""The broker interface: what the router and the run loop may ask of any broker.

The verbs real brokers share: submit with a client order id (a known id
returns that order, never a second one -- Alpaca dedups on
``client_order_id`` the same way), cancel, open orders, positions, account,
fills since a session, and a mass status for reconciliation (Interactive
Brokers syncs positions, orders and executions on connect). A real adapter
implements the same methods and must pass the contract suite in
``aurora_broker.contract``; nothing above the broker reaches into the paper
broker's internals. ``exposures`` is the read-only facade the router's
pre-trade checks use (in-flight orders included), so a check costs a
dictionary lookup, not a query.

The run loop needs three things beyond trading verbs, one method each:
a session's market reaching the broker (``process_session``: corporate
actions, then earlier orders meet the open, then marks; it answers a
``SessionReport``; ``last_session`` reads back how far it got), the fills
(``fills_since``) and reconciliation (``mass_status``). Which broker a run trades through is a config value
(``aurora_broker.registry``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from aurora_broker.corpactions import CorporateAction
from aurora_broker.events import BrokerEvent, OrderExpired
from aurora_broker.exposure import SymbolExposure
from aurora_broker.messages import Account, Bar, Fill, MassStatus, Order, SubmitOrder

__all__ = ["Broker", "SessionReport"]


@dataclass(frozen=True, slots=True)
class SessionReport:
    """What one ``process_session`` did, in order, and the account at the close."""

    session: date
    events: tuple[BrokerEvent, ...]
    fills: tuple[Fill, ...]
    expired: tuple[OrderExpired, ...]
    account: Account


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
    def fills_since(self, session: date | None) -> tuple[Fill, ...]:
        """Executions of sessions after ``session`` (all of them for None), in booking order."""

    def mass_status(self) -> MassStatus:
        """Positions, open orders and cash in one consistent answer (reconciliation reads this)."""
        account = self.account()
        return MassStatus(
            as_of=account.session,
            positions=tuple(p for p in account.positions if p.quantity),
            open_orders=self.open_orders(),
            cash_cents=account.cash_cents,
        )

    @abstractmethod
    def exposures(self) -> Mapping[str, SymbolExposure]:
        """Live read-only view: symbol -> position and open quantities."""

    @abstractmethod
    def valuation_price(self, symbol: str) -> float | None:
        """The raw price the broker values ``symbol`` at (its last mark), None if unknown."""

    @abstractmethod
    def process_session(
        self, session: date, bars: Mapping[str, Bar], actions: Sequence[CorporateAction] = ()
    ) -> SessionReport:
        """Let ``session``'s market reach the broker: its corporate actions at the open, then orders
        of earlier sessions meet the open (fill or expire), then marks to the close.

        Sessions strictly increase (an earlier or repeated one raises ``SessionOrderError``); the
        report's ``account`` is the account at the close, as ``account()`` answers afterwards.
        """

    @property
    @abstractmethod
    def last_session(self) -> date | None:
        """The last session processed (fills and marks applied), None before the first."""
