"""One session's work inside the paper broker: corporate actions, then fills at the open.

Private to ``paper``: it mutates the broker's memory only after the journal
write for the same change, inside the broker's session transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from aurora_broker.corpactions import (
    CashDividend,
    CorporateAction,
    Delisting,
    Split,
    split_order,
    split_position,
)
from aurora_broker.events import (
    BrokerEvent,
    DividendCredited,
    ExpiryReason,
    OrderAdjusted,
    OrderExpired,
    OrderFilled,
    PositionDelisted,
    SplitApplied,
)
from aurora_broker.fillmodel import FillModel
from aurora_broker.messages import Bar, Fill, Order, OrderStatus
from aurora_broker.money import dec, div, mul, to_cents

if TYPE_CHECKING:
    from aurora_broker.paper import PaperBroker


class SessionProcessor:
    """Applies corporate actions and fills for one session on behalf of a ``PaperBroker``."""

    __slots__ = ("_broker", "_model")

    def __init__(self, broker: PaperBroker, model: FillModel) -> None:
        self._broker = broker
        self._model = model

    def run(
        self, session: date, bars: Mapping[str, Bar], actions: Sequence[CorporateAction]
    ) -> tuple[list[BrokerEvent], list[Fill]]:
        events: list[BrokerEvent] = []
        for split in (a for a in actions if isinstance(a, Split)):
            events.extend(self._split(split, session, bars.get(split.symbol)))
        for dividend in (a for a in actions if isinstance(a, CashDividend)):
            event = self._dividend(dividend, session)
            if event is not None:
                events.append(event)
        for delisting in (a for a in actions if isinstance(a, Delisting)):
            events.extend(self._delist(delisting, session))
        fills: list[Fill] = []
        capacity: dict[str, int | None] = {}
        for order in list(self._broker._open.values()):
            if order.session >= session:
                continue  # placed this session (or later): its opportunity is the next open
            events.extend(self._match(order, session, bars.get(order.symbol), capacity, fills))
        return events, fills

    def _post(self, session: date, kind: str, ref: str, amount_cents: int) -> None:
        broker = self._broker
        new_cash = broker._cash_cents + amount_cents
        broker.store.post_cash(session, kind, ref, amount_cents)
        broker._cash_cents = new_cash

    def _split(self, split: Split, session: date, bar: Bar | None) -> list[BrokerEvent]:
        broker, symbol = self._broker, split.symbol
        events: list[BrokerEvent] = []
        before = broker._positions.get(symbol, 0)
        old_mark = broker._marks.get(symbol)
        if old_mark is not None:
            broker._marks[symbol] = float(div(dec(old_mark), dec(float(split.ratio))))
        whole, fraction = split_position(before, split.ratio)
        in_lieu = 0
        if fraction:
            price = bar.close if bar is not None else broker._marks.get(symbol)
            if price is None:
                raise ValueError(
                    f"split of {symbol} on {session.isoformat()} leaves a fractional share "
                    "but there is no price to pay it at"
                )
            in_lieu = to_cents(mul(fraction, dec(price)))
            self._post(session, "CASH_IN_LIEU", f"{symbol}:{session.isoformat()}", in_lieu)
        if whole:
            broker._positions[symbol] = whole
        else:
            broker._positions.pop(symbol, None)
        applied = SplitApplied(symbol, session, split.ratio, before, whole, in_lieu)
        broker.store.corporate_action(session, symbol, applied.as_dict())
        events.append(applied)
        for order in [o for o in broker._open.values() if o.symbol == symbol]:
            qty, limit = split_order(order.quantity, order.limit_price, split.ratio)
            adjusted = OrderAdjusted(
                order.client_order_id, session, split.ratio, order.quantity, qty, order.limit_price, limit
            )
            if qty <= 0:
                broker.set_order(replace(order, status=OrderStatus.EXPIRED), adjusted, session)
                expired = OrderExpired(
                    order.client_order_id,
                    session,
                    order.quantity,
                    ExpiryReason.SPLIT_NO_WHOLE_SHARE,
                    (("ratio", split.ratio),),
                )
                broker.store.order_event(
                    order.client_order_id, session, broker.clock.time_ns(), expired.as_dict()
                )
                events.extend((adjusted, expired))
            else:
                broker.set_order(replace(order, quantity=qty, limit_price=limit), adjusted, session)
                events.append(adjusted)
        broker.refresh_exposure(symbol)
        return events

    def _delist(self, delisting: Delisting, session: date) -> list[BrokerEvent]:
        """Settle the position at its last mark and expire the symbol's open orders (corpactions.py)."""
        broker, symbol = self._broker, delisting.symbol
        events: list[BrokerEvent] = []
        for order in [o for o in broker._open.values() if o.symbol == symbol]:
            events.append(
                self._expire(
                    order, session, order.open_quantity, ExpiryReason.DELISTED, (), OrderStatus.EXPIRED
                )
            )
        held = broker._positions.pop(symbol, 0)
        if held:
            mark = broker._marks.get(symbol)
            if mark is None:
                raise ValueError(
                    f"{symbol} stopped trading on {session.isoformat()} with no price to settle it at"
                )
            cash = to_cents(mul(dec(held), dec(mark)))
            self._post(session, "DELISTING", f"{symbol}:{session.isoformat()}", cash)
            event = PositionDelisted(symbol, session, held, mark, cash)
            broker.store.corporate_action(session, symbol, event.as_dict())
            events.append(event)
        broker.refresh_exposure(symbol)
        return events

    def _dividend(self, dividend: CashDividend, session: date) -> DividendCredited | None:
        broker, symbol = self._broker, dividend.symbol
        held = broker._positions.get(symbol, 0)
        if not held:
            return None
        cash = to_cents(mul(dec(held), dec(float(dividend.amount_per_share_usd))))
        self._post(session, "DIVIDEND", f"{symbol}:{session.isoformat()}", cash)
        event = DividendCredited(symbol, session, dividend.amount_per_share_usd, held, cash)
        broker.store.corporate_action(session, symbol, event.as_dict())
        return event

    def _expire(
        self,
        order: Order,
        session: date,
        unfilled: int,
        reason: ExpiryReason,
        detail: tuple[tuple[str, float | int | str], ...],
        status: OrderStatus,
    ) -> OrderExpired:
        event = OrderExpired(order.client_order_id, session, unfilled, reason, detail)
        self._broker.set_order(replace(order, status=status), event, session)
        return event

    def _match(
        self, order: Order, session: date, bar: Bar | None, capacity: dict[str, int | None], fills: list[Fill]
    ) -> list[BrokerEvent]:
        broker, model, symbol = self._broker, self._model, order.symbol
        if bar is None:
            event = self._expire(order, session, order.quantity, ExpiryReason.NO_BAR, (), OrderStatus.EXPIRED)
            broker.refresh_exposure(symbol)
            return [event]
        if symbol not in capacity:
            capacity[symbol] = model.capacity(bar)
        available = capacity[symbol]
        plan = model.plan(order.side, order.quantity, order.limit_price, bar, available)
        if plan is None:
            crossed = model.crosses(order.side, order.limit_price, bar)
            reason = ExpiryReason.PARTICIPATION_CAP if crossed else ExpiryReason.LIMIT_NOT_REACHED
            detail = (("open", bar.open), ("limit_price", order.limit_price), ("volume", bar.volume))
            event = self._expire(order, session, order.quantity, reason, detail, OrderStatus.EXPIRED)
            broker.refresh_exposure(symbol)
            return [event]
        if available is not None:
            capacity[symbol] = available - plan.quantity
        fill = Fill(
            fill_id=f"{order.client_order_id}:1",
            client_order_id=order.client_order_id,
            symbol=symbol,
            side=order.side,
            quantity=plan.quantity,
            price=float(plan.price),
            gross_cents=plan.gross_cents,
            commission_cents=plan.commission_cents,
            session=session,
        )
        broker.store.insert_fill(fill)  # UNIQUE fill_id: a second fill of this order cannot be written
        self._post(session, "FILL", fill.fill_id, -order.side.sign * fill.gross_cents)
        self._post(session, "COMMISSION", fill.fill_id, -fill.commission_cents)
        position = broker._positions.get(symbol, 0) + order.side.sign * plan.quantity
        if position:
            broker._positions[symbol] = position
        else:
            broker._positions.pop(symbol, None)
        broker._marks.setdefault(symbol, fill.price)
        filled = replace(order, filled_quantity=plan.quantity)
        events: list[BrokerEvent] = [OrderFilled(fill)]
        if plan.quantity == order.quantity:
            broker.set_order(replace(filled, status=OrderStatus.FILLED), events[0], session)
        else:
            broker.set_order(filled, events[0], session)
            events.append(
                self._expire(
                    filled,
                    session,
                    order.quantity - plan.quantity,
                    ExpiryReason.PARTICIPATION_CAP,
                    (("volume", bar.volume),),
                    OrderStatus.PARTIALLY_FILLED,
                )
            )
        fills.append(fill)
        broker.refresh_exposure(symbol)
        return events
