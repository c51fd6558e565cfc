"""The paper broker: day limit orders filled at the next session's raw open.

State lives in memory for cheap checks and is written to the journal before
memory changes; an outer rollback reloads memory from the journal, so the
two never disagree after a failed session. The broker re-checks the notional
limits itself (defense in depth): a bug in the router must not be able to
put an over-limit order on the book.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from types import MappingProxyType

from aurora_broker._brokerstore import BrokerStore
from aurora_broker._session import SessionProcessor
from aurora_broker.config import BrokerConfig
from aurora_broker.corpactions import CorporateAction
from aurora_broker.errors import JournalError, SessionOrderError
from aurora_broker.events import BrokerEvent, OrderAccepted, OrderCancelled, OrderDenied, OrderExpired
from aurora_broker.exposure import SymbolExposure
from aurora_broker.fillmodel import FillModel
from aurora_broker.interface import Broker, SessionReport
from aurora_broker.journal import Journal
from aurora_broker.messages import (
    Account,
    Bar,
    Fill,
    Order,
    OrderStatus,
    Position,
    SubmitOrder,
    session_closes,
)
from aurora_broker.money import dec, mul, to_cents
from aurora_safety import (
    Clock,
    Limits,
    ReasonCode,
    Rejection,
    check_gross_exposure,
    check_order_notional,
    check_position_notional,
    check_valid,
)

__all__ = ["PaperBroker"]

_EMPTY = SymbolExposure()


class _AnySymbol:
    """The broker trades any non-empty symbol; the router owns the universe."""

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and item != ""


_ANY_SYMBOL = _AnySymbol()


class PaperBroker(Broker):
    """A ``Broker`` over a ``Journal``; see the module docstring for the fill rules."""

    def __init__(self, journal: Journal, config: BrokerConfig, limits: Limits, clock: Clock) -> None:
        self.journal = journal
        self.config = config
        self.limits = limits
        self.clock = clock
        self.store = BrokerStore(journal)
        saved = self.store.load_account()
        if saved is None:
            self.store.init_account(config.starting_cash_cents)
        elif saved[0] != config.starting_cash_cents:
            raise JournalError(
                journal.path,
                f"journal started with {saved[0]} cents of cash, config says "
                f"{config.starting_cash_cents}; use the run's original config",
            )
        self._orders: dict[str, Order] = {}
        self._open: dict[str, Order] = {}
        self._positions: dict[str, int] = {}
        self._marks: dict[str, float] = {}
        self._exposure: dict[str, SymbolExposure] = {}
        self._exposure_view = MappingProxyType(self._exposure)
        self._cash_cents = 0
        self._last_session: date | None = None
        self._processor = SessionProcessor(self, self.fill_model())
        self.reload()
        journal.on_rollback(self.reload)

    def fill_model(self) -> FillModel:
        """How an order meets the open (``fillmodel``); another broker over this journal may change it."""
        return FillModel(self.config)

    # ----------------------------------------------------------------- state
    def reload(self) -> None:
        """Rebuild memory from the journal (at start, and after a rolled-back transaction)."""
        # The account row exists: __init__ creates it before the first reload.
        _, self._cash_cents, self._last_session = self.store.load_account()  # type: ignore[misc]
        self._positions = {p.symbol: p.quantity for p in self.store.load_positions() if p.quantity}
        self._marks = {
            p.symbol: p.mark_price for p in self.store.load_positions() if p.mark_price is not None
        }
        self._orders = {o.client_order_id: o for o in self.store.load_orders()}
        self._open = {c: o for c, o in self._orders.items() if o.status.is_open}
        self._exposure.clear()
        for symbol in {*self._positions, *(o.symbol for o in self._open.values())}:
            self.refresh_exposure(symbol)

    def refresh_exposure(self, symbol: str) -> None:
        """Recompute one symbol's exposure from its position and open orders."""
        buy = sum(o.open_quantity for o in self._open.values() if o.symbol == symbol and o.side.sign > 0)
        sell = sum(o.open_quantity for o in self._open.values() if o.symbol == symbol and o.side.sign < 0)
        exposure = SymbolExposure(self._positions.get(symbol, 0), buy, sell)
        if exposure == _EMPTY:
            self._exposure.pop(symbol, None)
        else:
            self._exposure[symbol] = exposure

    def set_order(self, order: Order, event: BrokerEvent | None, session: date | None) -> None:
        """Journal an order change (and its event), then apply it in memory."""
        with self.journal.atomic():
            if order.client_order_id in self._orders:
                self.store.update_order(order)
            else:
                self.store.insert_order(order)
            if event is not None:
                self.store.order_event(order.client_order_id, session, self.clock.time_ns(), event.as_dict())
        self._orders[order.client_order_id] = order
        if order.status.is_open:
            self._open[order.client_order_id] = order
        else:
            self._open.pop(order.client_order_id, None)

    # --------------------------------------------------------------- Broker
    def submit(self, order: SubmitOrder) -> Order:
        known = self._orders.get(order.client_order_id)
        if known is not None:
            return known  # idempotent: never a second order, never a second fill
        rejection = self._check(order)
        state = Order(
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            quantity=order.quantity,
            limit_price=order.limit_price,
            session=order.session,
            strategy=order.strategy,
            status=OrderStatus.ACCEPTED if rejection is None else OrderStatus.REJECTED,
            rejection=rejection,
        )
        if rejection is not None:
            if rejection.reason is ReasonCode.INVALID_ORDER:
                return state  # not an order at all: nothing to journal or to answer later
            self.set_order(state, OrderDenied(state, rejection), order.session)
            return state
        self.set_order(state, OrderAccepted(state), order.session)
        exposure = self._exposure.get(order.symbol, _EMPTY)
        self._exposure[order.symbol] = exposure.with_open(order.side, order.quantity)
        if order.symbol not in self._marks:
            self._marks[order.symbol] = order.limit_price  # valuation until the first close
        return state

    def _check(self, order: SubmitOrder) -> Rejection | None:
        if not isinstance(order.client_order_id, str) or not order.client_order_id:
            return Rejection.of(
                ReasonCode.INVALID_ORDER,
                client_order_id=repr(order.client_order_id),
                expected="non-empty string",
            )
        # check_valid only tests membership (`in`); its parameter should be a Container[str].
        invalid = check_valid(order.quantity, order.limit_price, order.symbol, order.side, _ANY_SYMBOL)  # type: ignore[arg-type]
        if invalid is not None:
            return invalid
        if type(order.session) is not date:  # a datetime is a date too, but not a session
            return Rejection.of(ReasonCode.INVALID_ORDER, session=repr(order.session), expected="a date")
        if self._last_session is not None and order.session < self._last_session:
            return Rejection.of(
                ReasonCode.INVALID_ORDER,
                session=order.session.isoformat(),
                expected=f"session >= {self._last_session.isoformat()} (last processed)",
            )
        limits = self.limits
        rejection = check_order_notional(order.quantity, order.limit_price, limits.max_order_notional_usd)
        if rejection is not None:
            return rejection
        exposure = self._exposure.get(order.symbol, _EMPTY)
        price = self._marks.get(order.symbol, order.limit_price)
        rejection = check_position_notional(
            exposure.base_for(order.side),
            order.side.sign * order.quantity,
            price,
            limits.max_position_notional_usd,
        )
        if rejection is not None:
            return rejection
        gross = sum(e.worst_abs * self._marks.get(s, price) for s, e in self._exposure.items())
        added = exposure.added_abs(order.side, order.quantity) * price
        return check_gross_exposure(gross, added, limits.max_gross_exposure_usd)

    def cancel(self, client_order_id: str) -> Order | None:
        order = self._open.get(client_order_id)
        if order is None:
            return self._orders.get(client_order_id)
        cancelled = replace(order, status=OrderStatus.CANCELLED)
        event = OrderCancelled(client_order_id, self._last_session, order.open_quantity)
        self.set_order(cancelled, event, self._last_session)
        self.refresh_exposure(order.symbol)
        return cancelled

    def open_orders(self) -> tuple[Order, ...]:
        return tuple(self._open.values())

    def positions(self) -> Mapping[str, int]:
        return MappingProxyType(dict(self._positions))

    def account(self) -> Account:
        positions = tuple(
            Position(symbol=s, quantity=q, mark_price=self._marks.get(s))
            for s, q in sorted(self._positions.items())
            if q
        )
        value = sum(
            (mul(dec(p.quantity), dec(p.mark_price)) for p in positions if p.mark_price is not None),
            start=dec(0),
        )
        return Account(
            cash_cents=self._cash_cents,
            market_value_cents=to_cents(value),
            positions=positions,
            session=self._last_session,
        )

    def order_state(self, client_order_id: str) -> Order | None:
        return self._orders.get(client_order_id)

    def fills_since(self, session: date | None) -> tuple[Fill, ...]:
        return tuple(self.journal.read.fills(since_session=session))

    def exposures(self) -> Mapping[str, SymbolExposure]:
        return self._exposure_view

    def valuation_price(self, symbol: str) -> float | None:
        return self._marks.get(symbol)

    @property
    def last_session(self) -> date | None:
        """The last session processed (fills and marks applied), None before the first."""
        return self._last_session

    @property
    def cash_cents(self) -> int:
        return self._cash_cents

    def orders(self) -> tuple[Order, ...]:
        """Every order this broker knows, in submission order (rejected ones included)."""
        return tuple(self._orders.values())

    # --------------------------------------------------------------- sessions
    def process_session(
        self, session: date, bars: Mapping[str, Bar], actions: Sequence[CorporateAction] = ()
    ) -> SessionReport:
        """Apply ``session``: corporate actions at its open, then fills of earlier orders, then marks.

        Orders created before ``session`` meet its open once: filled (maybe
        partly) or expired. Sessions must strictly increase; one journal
        transaction (joined into the caller's session transaction) holds it all.
        """
        if self._last_session is not None and session <= self._last_session:
            raise SessionOrderError(
                f"session {session.isoformat()} is not after the last processed "
                f"session {self._last_session.isoformat()}"
            )
        for action in actions:
            if action.ex_date != session:
                raise ValueError(
                    f"corporate action {action!r} has ex_date {action.ex_date.isoformat()}, "
                    f"not the processed session {session.isoformat()}"
                )
        with self.journal.atomic():
            held_before = set(self._positions)
            events, fills = self._processor.run(session, bars, actions)
            self._marks.update(session_closes(bars))
            # Rows only for what is held or was (a sell to zero, a delisting): marks of other
            # symbols live in memory; persisting 2,000 marks a session cost more than trading.
            touched = held_before | set(self._positions) | {a.symbol for a in actions}
            for symbol in sorted(touched):
                qty = self._positions.get(symbol, 0)
                self.store.save_position(
                    Position(symbol=symbol, quantity=qty, mark_price=self._marks.get(symbol)), session
                )
            self._last_session = session
            self.store.close_session(session, self._cash_cents)
            account = self.account()
            self.store.write_snapshot(session, account)
        expired = tuple(e for e in events if isinstance(e, OrderExpired))
        return SessionReport(session, tuple(events), tuple(fills), expired, account)
