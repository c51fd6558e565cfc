"""Router outcomes and the sink that journals them.

Every submit and cancel yields a ``RouteResult``; the router hands each one
(and every state change or breaker trip it causes) to a ``ResultSink``, so
the run loop can journal them inside its session transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol

from aurora_broker import Journal, Order, SubmitOrder
from aurora_safety import BreakerTripped, Rejection, StateChanged
from aurora_safety.events import Value, Values

__all__ = [
    "JournalSink",
    "ListSink",
    "ResultSink",
    "RouteAction",
    "RouteResult",
    "RouteStatus",
    "describe",
    "format_values",
]

_INPUT_KEYS = frozenset({"line", "field", "value", "expected"})


def _shown(value: Value) -> str:
    """``250000`` for a whole float, ``101.02`` for others, ``'text'`` for text."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def format_values(values: Values) -> str:
    """``max_order_notional_usd=250000 notional=300000``: the values that decided, in order."""
    return " ".join(f"{key}={_shown(value)}" for key, value in values)


def describe(rejection: Rejection | None) -> str:
    """The ``detail`` column: the field and value that failed, or the deciding values.

    ``quantity='abc' expected integer > 0`` for a malformed ORDERS.csv field,
    ``row has 4 fields, expected 5`` for a ragged row, ``max_order_notional_usd=250000
    notional=300000`` for a limit; '' when accepted.
    """
    if rejection is None:
        return ""
    values = dict(rejection.values)
    field = values.get("field")
    if field == "row" and "fields" in values:
        return f"row has {values['fields']} fields, expected {values['expected']}"
    if isinstance(field, str) and "value" in values and "expected" in values:
        return f"{field}={_shown(values['value'])} expected {values['expected']}"
    shown = format_values(tuple(pair for pair in rejection.values if pair[0] not in _INPUT_KEYS))
    if "expected" in values:
        return f"{shown} expected {values['expected']}".lstrip()
    return shown


class RouteStatus(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class RouteAction(StrEnum):
    SUBMIT = "submit"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class RouteResult:
    """One answer of the router; ``order`` is the broker's state when it got that far."""

    client_order_id: str
    status: RouteStatus
    rejection: Rejection | None = None
    order: Order | None = None
    action: RouteAction = RouteAction.SUBMIT

    @property
    def accepted(self) -> bool:
        return self.status is RouteStatus.ACCEPTED

    @property
    def reason(self) -> str:
        """The reason code, or '' when accepted (the CSV's ``reason`` column)."""
        return "" if self.rejection is None else str(self.rejection.reason)

    @property
    def detail(self) -> str:
        """What decided a rejection, for people (the CSV's ``detail`` column); see ``describe``."""
        return describe(self.rejection)


class ResultSink(Protocol):
    """Receives everything the router decides, in order."""

    def route_result(self, result: RouteResult, order: SubmitOrder | None) -> None: ...

    def state_changed(self, event: StateChanged) -> None: ...

    def breaker_tripped(self, event: BreakerTripped) -> None: ...


class ListSink:
    """Keeps everything in memory (tests, ``aurora route`` without a run dir)."""

    def __init__(self) -> None:
        self.results: list[tuple[RouteResult, SubmitOrder | None]] = []
        self.events: list[StateChanged | BreakerTripped] = []

    def route_result(self, result: RouteResult, order: SubmitOrder | None) -> None:
        self.results.append((result, order))

    def state_changed(self, event: StateChanged) -> None:
        self.events.append(event)

    def breaker_tripped(self, event: BreakerTripped) -> None:
        self.events.append(event)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


class JournalSink:
    """Writes each result and event to the journal (inside the caller's transaction, if any)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def route_result(self, result: RouteResult, order: SubmitOrder | None) -> None:
        rejection = result.rejection
        key = (
            str(result.client_order_id),
            str(result.status),
            None if rejection is None else str(rejection.reason),
            None if rejection is None else dict(rejection.as_dict()["values"]),  # JSON-safe, by name
        )
        if order is None:
            self.journal.record_route_result(*key, action=str(result.action))
            return
        # a refused order may hold anything: only well-typed fields go into typed columns
        quantity, price, session = order.quantity, order.limit_price, order.session
        self.journal.record_route_result(
            *key,
            action=str(result.action),
            strategy=_text(order.strategy),
            symbol=_text(order.symbol),
            side=_text(order.side),
            quantity=quantity if isinstance(quantity, int) else None,
            limit_price=price if isinstance(price, float | int) else None,
            session=session if isinstance(session, date) else None,
        )

    def state_changed(self, event: StateChanged) -> None:
        self.journal.record_state_change(event)

    def breaker_tripped(self, event: BreakerTripped) -> None:
        self.journal.record_breaker_event(event)
