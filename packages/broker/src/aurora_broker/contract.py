"""The broker contract: what every adapter (paper, Alpaca, Interactive Brokers...) must do.

Each check takes a ``BrokerHarness`` -- a way to open a fresh account, to let
a session's market data reach it, and to reconnect -- and raises
``AssertionError`` with a sentence when the broker breaks the contract. The
broker tests run every check in ``CONTRACT`` against every registered kind; an adapter's tests run
the same list against a sandbox account. Plain functions, no pytest import:
the contract ships with the package that defines the interface.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Protocol

from aurora_broker.errors import SessionOrderError
from aurora_broker.interface import Broker
from aurora_broker.messages import Bar, OrderStatus, Side, SubmitOrder

__all__ = ["CONTRACT", "BrokerHarness", "Check"]

D0, D1, D2 = date(2013, 1, 2), date(2013, 1, 3), date(2013, 1, 4)
BAR = Bar(open=100.0, high=101.0, low=99.0, close=100.5, volume=1_000_000)


class BrokerHarness(Protocol):
    """How the contract drives an adapter."""

    def fresh(self) -> Broker:
        """A new, empty account with its starting cash, before any session."""

    def process(self, broker: Broker, session: date, bars: Mapping[str, Bar]) -> None:
        """Let ``session``'s market reach the broker: orders of earlier sessions meet its open."""

    def reopen(self, broker: Broker) -> Broker:
        """Disconnect and connect again to the same account (a restart of the runtime)."""


Check = Callable[[BrokerHarness], None]


def _order(
    coid: str, side: Side = Side.BUY, quantity: int = 10, price: float = 101.0, session: date = D0
) -> SubmitOrder:
    return SubmitOrder(
        client_order_id=coid, symbol="AAPL", side=side, quantity=quantity, limit_price=price, session=session
    )


def _expect(ok: bool, sentence: str) -> None:
    if not ok:
        raise AssertionError(sentence)


def submit_answers_with_the_client_order_id(h: BrokerHarness) -> None:
    broker = h.fresh()
    placed = broker.submit(_order("c-1"))
    _expect(placed.client_order_id == "c-1", f"submit answered {placed.client_order_id!r} for 'c-1'")
    _expect(placed.status is OrderStatus.ACCEPTED, f"a plain limit order was {placed.status}, not ACCEPTED")
    _expect([o.client_order_id for o in broker.open_orders()] == ["c-1"], "the order is not open")
    _expect(broker.order_state("c-1") == placed, "order_state differs from what submit answered")


def a_known_client_order_id_is_never_a_second_order(h: BrokerHarness) -> None:
    broker = h.fresh()
    first = broker.submit(_order("dup"))
    again = broker.submit(_order("dup", quantity=99))
    _expect(again == first, "re-sending a known client order id changed or replaced the order")
    _expect(len(broker.open_orders()) == 1, "re-sending a known client order id opened a second order")


def cancel_closes_an_open_order_and_is_idempotent(h: BrokerHarness) -> None:
    broker = h.fresh()
    broker.submit(_order("x"))
    cancelled = broker.cancel("x")
    _expect(cancelled is not None and cancelled.status is OrderStatus.CANCELLED, "cancel did not cancel")
    _expect(broker.open_orders() == (), "a cancelled order is still open")
    _expect(broker.cancel("x") == cancelled, "a second cancel changed the order")
    _expect(broker.cancel("never-sent") is None, "cancelling an unknown id did not answer None")
    _expect(broker.submit(_order("x")).status is OrderStatus.CANCELLED, "a cancelled id was reused")


def an_order_fills_once_at_the_next_session(h: BrokerHarness) -> None:
    broker = h.fresh()
    start = broker.account().cash_cents
    broker.submit(_order("f"))
    h.process(broker, D1, {"AAPL": BAR})
    fills = broker.fills_since(None)
    _expect([f.client_order_id for f in fills] == ["f"], f"expected one fill of 'f', got {fills}")
    fill = fills[0]
    _expect(
        broker.positions() == {"AAPL": fill.quantity}, f"positions {dict(broker.positions())} after the fill"
    )
    _expect(broker.account().cash_cents == start + fill.cash_delta_cents, "cash did not move by the fill")
    _expect(broker.submit(_order("f")).status is OrderStatus.FILLED, "re-sending a filled id is not FILLED")
    h.process(broker, D2, {"AAPL": BAR})
    _expect(len(broker.fills_since(None)) == 1, "an order filled twice")


def fills_since_a_session_leave_out_earlier_ones(h: BrokerHarness) -> None:
    broker = h.fresh()
    broker.submit(_order("a"))
    h.process(broker, D1, {"AAPL": BAR})
    broker.submit(_order("b", session=D1))
    h.process(broker, D2, {"AAPL": BAR})
    _expect(
        [f.client_order_id for f in broker.fills_since(None)] == ["a", "b"], "fills_since(None) is not all"
    )
    _expect([f.client_order_id for f in broker.fills_since(D1)] == ["b"], "fills_since(D1) kept D1's fill")
    _expect(broker.fills_since(D2) == (), "fills_since(the last session) is not empty")


def mass_status_agrees_with_the_single_verbs(h: BrokerHarness) -> None:
    broker = h.fresh()
    broker.submit(_order("held"))
    h.process(broker, D1, {"AAPL": BAR})
    broker.submit(_order("open", session=D1))
    status = broker.mass_status()
    _expect(status.as_of == D1, f"mass status as of {status.as_of}, last session was {D1}")
    _expect({p.symbol: p.quantity for p in status.positions} == dict(broker.positions()), "positions differ")
    _expect(status.open_orders == broker.open_orders(), "open orders differ")
    _expect(status.cash_cents == broker.account().cash_cents, "cash differs")


def a_session_reports_its_fills_and_the_closing_account(h: BrokerHarness) -> None:
    broker = h.fresh()
    _expect(broker.last_session is None, f"a fresh account has processed {broker.last_session}")
    broker.submit(_order("r"))
    report = broker.process_session(D1, {"AAPL": BAR})
    _expect(broker.last_session == D1, f"last_session is {broker.last_session} after processing {D1}")
    _expect(report.session == D1, f"the report is of {report.session}, the session was {D1}")
    _expect(report.fills == broker.fills_since(D0), "the report's fills are not the session's fills")
    _expect([f.client_order_id for f in report.fills] == ["r"], f"expected 'r' to fill, got {report.fills}")
    _expect(report.account == broker.account(), "the report's account is not the account after the close")
    try:
        broker.process_session(D1, {"AAPL": BAR})
    except SessionOrderError:
        pass
    else:
        raise AssertionError("a session processed twice was accepted")
    _expect(len(broker.fills_since(None)) == 1, "a refused repeated session changed the fills")


def state_survives_a_reconnect(h: BrokerHarness) -> None:
    broker = h.fresh()
    broker.submit(_order("kept"))
    h.process(broker, D1, {"AAPL": BAR})
    broker.submit(_order("pending", session=D1))
    before = broker.mass_status()
    fills = broker.fills_since(None)
    again = h.reopen(broker)
    _expect(again.mass_status() == before, "positions, open orders or cash changed across a reconnect")
    _expect(again.fills_since(None) == fills, "fills changed across a reconnect")
    _expect(
        again.submit(_order("pending", session=D1)) == broker.order_state("pending"),
        "dedup lost on reconnect",
    )


CONTRACT: tuple[Check, ...] = (
    submit_answers_with_the_client_order_id,
    a_known_client_order_id_is_never_a_second_order,
    cancel_closes_an_open_order_and_is_idempotent,
    an_order_fills_once_at_the_next_session,
    fills_since_a_session_leave_out_earlier_ones,
    mass_status_agrees_with_the_single_verbs,
    a_session_reports_its_fills_and_the_closing_account,
    state_survives_a_reconnect,
)
