"""The order router: every pre-trade check of DESIGN.md §3, in a fixed, cheap order.

Order of checks (first failure wins, its reason code is the answer):
KILL_SWITCH, BREAKER_OPEN / REDUCE_ONLY, DUPLICATE_ORDER, INVALID_ORDER,
SHORT_SALE (unless ``allow_short``), NO_REFERENCE_PRICE / STALE_REFERENCE,
PRICE_BAND, MAX_ORDER_QTY, MAX_ORDER_NOTIONAL, MAX_POSITION_NOTIONAL,
MAX_GROSS_EXPOSURE, MAX_DAILY_NOTIONAL, MAX_SESSION_ORDERS, RATE_LIMIT - then
the broker, which re-checks the notional limits. The kill switch is read
before every order; SHORT_SALE comes right after validation because it needs
only the order and the position, not a price; the rate limit is last
because it consumes a token, and only messages that reach the broker
should. Cancels skip every check (they only reduce risk) but still count as
messages. An accepted order counts at once: the broker's exposure view
includes open orders, and session counters move on accept.

The book is long-only by default: a sell larger than the shares held minus
those already committed to open sells is SHORT_SALE, whatever fills.

Gross exposure is kept incrementally (``_gross``). It stays exact when the
broker changes only through this router (submit, cancel) and
``process_session``: the router re-syncs on every reference-price update,
on a session processed by the broker (fills, expiries, splits), on a new
order session and when the order's own symbol changed behind its back;
anyone else who changes the broker's exposures mid-session calls
``sync_exposures`` (the broker re-checks gross itself in any case).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from aurora_broker import Broker, OrderStatus, SubmitOrder
from aurora_router._killwatch import KillWatch
from aurora_router._pretrade import PreTrade
from aurora_router.csvio import ParsedRow
from aurora_router.reference import ReferenceBook
from aurora_router.results import ListSink, ResultSink, RouteAction, RouteResult, RouteStatus
from aurora_router.summary import TripRecord
from aurora_safety import (
    BreakerTripped,
    Clock,
    KillStatus,
    KillSwitch,
    Limits,
    ReasonCode,
    Rejection,
    TradingGovernor,
    TradingState,
    describe_trigger,
)

__all__ = ["Router"]


class Router:
    """Routes orders to a broker through the pre-trade checks; answers with ``RouteResult`` values."""

    check: Callable[[SubmitOrder, int], Rejection | None]
    """``check(order, now_ns)``: every pre-trade check without routing (a passing order takes a
    token) - the very function ``submit`` runs, bound at construction (benchmarks, dry runs)."""

    def __init__(
        self,
        broker: Broker,
        limits: Limits,
        kill_switch: KillSwitch,
        governor: TradingGovernor,
        clock: Clock,
        reference_prices: ReferenceBook,
        sink: ResultSink | None = None,
        *,
        watch_kill_files: bool = True,
        allow_short: bool = False,
    ) -> None:
        if not isinstance(allow_short, bool):
            raise TypeError(f"'allow_short' must be a bool, was {allow_short!r}")
        self._broker = broker
        self._kill = KillWatch(kill_switch, use_inotify=watch_kill_files)
        self._governor = governor
        self._sink: ResultSink = ListSink() if sink is None else sink
        governor.subscribe(self._sink)  # trips and state changes reach the same sink (once)
        self._pretrade = PreTrade(
            broker,
            limits,
            self._kill,
            governor,
            clock,
            reference_prices,
            allow_short=allow_short,
        )
        self.check = self._pretrade.check
        self._line: int | None = None  # ORDERS.csv line of the row being routed
        self._trips: list[TripRecord] = []

    # ---------------------------------------------------------------- queries
    @property
    def kill_watch(self) -> KillWatch:
        return self._kill

    @property
    def allow_short(self) -> bool:
        """False (the default): a sell beyond the uncommitted position is SHORT_SALE."""
        return self._pretrade.allow_short

    def kill_status(self) -> KillStatus:
        """The kill switch now (latched once active); the run loop calls it at every step."""
        return self._kill.check()

    def trading_state(self) -> TradingState:
        """The governor's effective state: the stricter of the recorded state and the open breakers'."""
        return self._governor.effective_state()

    def daily_notional_usd(self, session: date) -> float:
        return self._pretrade.daily_usd.get(session, 0.0)

    def session_orders(self, session: date) -> int:
        return self._pretrade.sessions.count(session)

    def gross_exposure_usd(self) -> float:
        """Worst-case gross exposure at reference prices (inf when a held symbol has no price).

        Re-valued when reference prices moved or the broker processed a session
        since the last look; after changing the broker other than through this
        router, call ``sync_exposures`` first.
        """
        return self._pretrade.gross_now()

    @property
    def trips(self) -> tuple[TripRecord, ...]:
        """Every breaker trip this router caused, with the order (and ORDERS.csv line) that caused it."""
        return tuple(self._trips)

    # ---------------------------------------------------------------- commands
    def seed(self, routed_ids: Iterable[str], accepted: Iterable[SubmitOrder] = ()) -> None:
        """Restore dedup and per-session counts from the journal when routing into an existing run."""
        pretrade = self._pretrade
        pretrade.routed.update(routed_ids)
        for order in accepted:
            pretrade.count_order(order)

    def sync_exposures(self) -> None:
        """Re-read the broker's exposures (after changing the broker other than through this router)."""
        gross = self._pretrade.gross
        gross.sync(gross.session, gross.processed)

    def submit(self, order: SubmitOrder, now_ns: int) -> RouteResult:
        """Run every check, then the broker; ``now_ns`` is the event time (UTC ns) of the decision."""
        pretrade = self._pretrade
        rejection = pretrade.check(order, now_ns)
        placed = None
        if rejection is None:
            placed = self._broker.submit(order)
            if placed.status is OrderStatus.REJECTED:
                rejection = placed.rejection
            else:
                pretrade.on_accepted(order)
        coid = order.client_order_id
        if isinstance(coid, str):
            pretrade.routed.add(coid)
        result = RouteResult(
            coid, RouteStatus.ACCEPTED if rejection is None else RouteStatus.REJECTED, rejection, placed
        )
        trips = self._governor.on_order_result(rejection, order.session, now_ns)
        if trips:
            self._record_trips(trips, str(coid))
        self._sink.route_result(result, order)
        if rejection is not None and rejection.reason is ReasonCode.KILL_SWITCH:
            self.enforce_kill(now_ns)
        return result

    def enforce_kill(self, now_ns: int) -> KillStatus:
        """The one kill procedure: when the switch is active, cancel every open order, then HALTED.

        The router runs it on the first order the kill refuses; the run loop runs
        it at each session boundary. Idempotent: nothing is left open to cancel
        and the governor records no second halt. The caller holds the journal
        transaction it belongs to.
        """
        status = self._kill.check()
        if status.active:
            self.cancel_all()
            self._governor.halt_for_kill(describe_trigger(str(status.trigger)), now_ns)
        return status

    def reject_input(self, row_id: str, rejection: Rejection, session: date, now_ns: int) -> RouteResult:
        """Answer an input row that never became an order (malformed CSV) like any rejection."""
        result = RouteResult(row_id, RouteStatus.REJECTED, rejection)
        trips = self._governor.on_order_result(rejection, session, now_ns)
        if trips:
            self._record_trips(trips, row_id)
        self._sink.route_result(result, None)
        return result

    def route_rows(self, rows: Iterable[ParsedRow], session: date, now_ns: int) -> list[RouteResult]:
        """Route parsed ORDERS.csv rows in order; malformed rows are answered, not skipped.

        A breaker trip is recorded in ``trips`` with the line of the row that caused it.
        """
        results: list[RouteResult] = []
        try:
            for row in rows:
                self._line = row.line
                if row.order is not None:
                    results.append(self.submit(row.order, now_ns))
                else:
                    rejection = row.rejection
                    if rejection is None:  # a ParsedRow is an order or a rejection: fail closed
                        rejection = Rejection.of(ReasonCode.INVALID_ORDER, line=row.line, expected="order")
                    results.append(self.reject_input(row.client_order_id, rejection, session, now_ns))
        finally:
            self._line = None
        return results

    def cancel(self, client_order_id: str) -> RouteResult:
        """Never refused: counts as a message (it may push the throttle negative) and goes through."""
        self._pretrade.bucket.record()
        order = self._broker.cancel(client_order_id)
        if order is not None:
            self._pretrade.gross.refresh(order.symbol)
        result = RouteResult(client_order_id, RouteStatus.ACCEPTED, None, order, RouteAction.CANCEL)
        self._sink.route_result(result, None)
        return result

    def cancel_all(self) -> list[RouteResult]:
        """Cancel every open order (on a breaker halt; a kill goes through ``enforce_kill``)."""
        return [self.cancel(o.client_order_id) for o in self._broker.open_orders()]

    def _record_trips(self, trips: list[BreakerTripped], client_order_id: str) -> None:
        """The governor journaled the trips (and moved the state); remember which row caused them."""
        for trip in trips:
            self._trips.append(TripRecord(trip, client_order_id, self._line))
