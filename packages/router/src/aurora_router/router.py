"""The order router: every pre-trade check of DESIGN.md §3, in a fixed, cheap order.

Order of checks (first failure wins, its reason code is the answer):
KILL_SWITCH, BREAKER_OPEN / REDUCE_ONLY, DUPLICATE_ORDER, INVALID_ORDER,
NO_REFERENCE_PRICE / STALE_REFERENCE, PRICE_BAND, MAX_ORDER_QTY,
MAX_ORDER_NOTIONAL, MAX_POSITION_NOTIONAL, MAX_GROSS_EXPOSURE,
MAX_DAILY_NOTIONAL, MAX_SESSION_ORDERS, RATE_LIMIT - then the broker, which
re-checks the notional limits. The kill switch is read before every order;
the rate limit is last because it consumes a token, and only messages that
reach the broker should. Cancels skip every check (they only reduce risk) but
still count as messages. An accepted order counts at once: the broker's
exposure view includes open orders, and session counters move on accept.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from aurora_broker import Broker, OrderStatus, Side, SubmitOrder, SymbolExposure
from aurora_router._killwatch import KillWatch
from aurora_router.csvio import ParsedRow
from aurora_router.reference import ReferenceBook
from aurora_router.results import ListSink, ResultSink, RouteAction, RouteResult, RouteStatus
from aurora_safety import (
    BreakerBoard,
    BreakerTripped,
    Clock,
    KillStatus,
    KillSwitch,
    Limits,
    OrderEffect,
    ReasonCode,
    Rejection,
    SessionOrderCounter,
    TokenBucket,
    TradingState,
    TradingStateMachine,
    check_daily_notional,
    check_gross_exposure,
    check_order_notional,
    check_order_qty,
    check_position_notional,
    check_price_band,
    check_reference,
    check_valid,
    gate_order,
    severity,
)

__all__ = ["Router"]

_EMPTY = SymbolExposure()
_INF = float("inf")


class Router:
    """Routes orders to a broker through the pre-trade checks; answers with ``RouteResult`` values."""

    def __init__(
        self,
        broker: Broker,
        limits: Limits,
        kill_switch: KillSwitch,
        state_machine: TradingStateMachine,
        breakers: BreakerBoard,
        clock: Clock,
        reference_prices: ReferenceBook,
        sink: ResultSink | None = None,
        *,
        watch_kill_files: bool = True,
    ) -> None:
        self._broker = broker
        self._limits = limits
        self._kill = KillWatch(kill_switch, use_inotify=watch_kill_files)
        self._state = state_machine
        self._breakers = breakers
        self._clock = clock
        self._book = reference_prices
        self._sink: ResultSink = ListSink() if sink is None else sink
        self._bucket = TokenBucket(limits.message_burst, limits.max_messages_per_sec, clock)
        self._sessions = SessionOrderCounter(limits.max_session_orders)
        self._daily_usd: dict[date, float] = {}
        self._routed: set[str] = set()
        self._exposures = broker.exposures()

    # ---------------------------------------------------------------- queries
    @property
    def kill_watch(self) -> KillWatch:
        return self._kill

    def kill_status(self) -> KillStatus:
        """The kill switch now (latched once active); the run loop calls it at every step."""
        return self._kill.check()

    def trading_state(self) -> TradingState:
        """The stricter of the state machine and what the open breakers require."""
        required = self._breakers.state_required()
        current = self._state.state
        return required if severity(required) > severity(current) else current

    def daily_notional_usd(self, session: date) -> float:
        return self._daily_usd.get(session, 0.0)

    def session_orders(self, session: date) -> int:
        return self._sessions.count(session)

    def seed(self, routed_ids: Iterable[str], accepted: Iterable[SubmitOrder] = ()) -> None:
        """Restore dedup and per-session counts from the journal when routing into an existing run."""
        self._routed.update(routed_ids)
        for order in accepted:
            self._sessions.count_order(order.session)
            self._daily_usd[order.session] = self._daily_usd.get(order.session, 0.0) + order.notional_usd

    # ---------------------------------------------------------------- commands
    def submit(self, order: SubmitOrder, now_ns: int) -> RouteResult:
        """Run every check, then the broker; ``now_ns`` is the event time (UTC ns) of the decision."""
        rejection = self._check(order, now_ns)
        placed = None
        if rejection is None:
            placed = self._broker.submit(order)
            if placed.status is OrderStatus.REJECTED:
                rejection = placed.rejection
            else:
                self._sessions.count_order(order.session)
                self._daily_usd[order.session] = self._daily_usd.get(order.session, 0.0) + order.notional_usd
        coid = order.client_order_id
        if isinstance(coid, str):
            self._routed.add(coid)
        result = RouteResult(
            coid, RouteStatus.ACCEPTED if rejection is None else RouteStatus.REJECTED, rejection, placed
        )
        trips = self._breakers.on_order_result(rejection, order.session, now_ns)
        if trips:
            self._on_trips(trips, now_ns)
        self._sink.route_result(result, order)
        return result

    def reject_input(self, row_id: str, rejection: Rejection, session: date, now_ns: int) -> RouteResult:
        """Answer an input row that never became an order (malformed CSV) like any rejection."""
        result = RouteResult(row_id, RouteStatus.REJECTED, rejection)
        trips = self._breakers.on_order_result(rejection, session, now_ns)
        if trips:
            self._on_trips(trips, now_ns)
        self._sink.route_result(result, None)
        return result

    def route_rows(self, rows: Iterable[ParsedRow], session: date, now_ns: int) -> list[RouteResult]:
        """Route parsed ORDERS.csv rows in order; malformed rows are answered, not skipped."""
        return [
            self.submit(row.order, now_ns)
            if row.order is not None
            else self.reject_input(row.client_order_id, row.rejection, session, now_ns)  # type: ignore[arg-type]
            for row in rows
        ]

    def cancel(self, client_order_id: str) -> RouteResult:
        """Never refused: counts as a message (it may push the throttle negative) and goes through."""
        self._bucket.record()
        order = self._broker.cancel(client_order_id)
        result = RouteResult(client_order_id, RouteStatus.ACCEPTED, None, order, RouteAction.CANCEL)
        self._sink.route_result(result, None)
        return result

    def cancel_all(self) -> list[RouteResult]:
        """Cancel every open order (on a kill or a halt)."""
        return [self.cancel(o.client_order_id) for o in self._broker.open_orders()]

    # ------------------------------------------------------------------ checks
    def _check(self, order: SubmitOrder, now_ns: int) -> Rejection | None:
        side, qty, symbol = order.side, order.quantity, order.symbol
        exposure = self._exposures.get(symbol, _EMPTY) if isinstance(symbol, str) else _EMPTY
        kill = self._kill.check()
        state = self._state.state
        breakers = self._breakers
        if (
            breakers.drawdown.tripped
            or breakers.daily_loss.tripped
            or breakers.consecutive_rejects.tripped
            or breakers.order_rate.tripped
        ):
            state = self.trading_state()
        if kill.active or state is not TradingState.ACTIVE:  # the common case skips the gate call
            if isinstance(side, Side) and type(qty) is int and qty > 0:
                effect = exposure.effect(side, qty)
            else:
                effect = OrderEffect.INCREASES  # cannot tell: fail closed
            rejection = gate_order(kill, state, effect)
            if rejection is not None:
                return rejection
        coid = order.client_order_id
        if not isinstance(coid, str) or not coid:
            return Rejection.of(
                ReasonCode.INVALID_ORDER, client_order_id=repr(coid), expected="non-empty string"
            )
        if coid in self._routed or self._broker.order_state(coid) is not None:
            return Rejection.of(ReasonCode.DUPLICATE_ORDER, client_order_id=coid)
        price = order.limit_price
        book = self._book
        rejection = check_valid(qty, price, symbol, side, book.symbols)
        if rejection is not None:
            return rejection
        if not isinstance(order.session, date):
            return Rejection.of(ReasonCode.INVALID_ORDER, session=repr(order.session), expected="a date")
        limits = self._limits
        ref = book.get(symbol)
        ref_price, ref_ts = (None, None) if ref is None else ref
        rejection = (
            check_reference(ref_price, ref_ts, now_ns, limits.stale_after_secs)
            or check_price_band(price, ref_price, limits.price_band_bps)
            or check_order_qty(qty, limits.max_order_qty_shares)
        )
        if rejection is not None:
            return rejection
        notional = qty * price
        rejection = check_order_notional(
            qty, price, limits.max_order_notional_usd
        ) or check_position_notional(
            exposure.base_for(side), side.sign * qty, ref_price, limits.max_position_notional_usd
        )
        if rejection is not None:
            return rejection
        gross = 0.0
        prices = book.prices
        for other, held in self._exposures.items():
            mark = prices.get(other)
            gross += held.worst_abs * (mark[0] if mark is not None else _INF)  # unpriced: fail closed
        rejection = (
            check_gross_exposure(
                gross, exposure.added_abs(side, qty) * ref_price, limits.max_gross_exposure_usd
            )
            or check_daily_notional(
                self._daily_usd.get(order.session, 0.0), notional, limits.max_daily_notional_usd
            )
            or self._sessions.check(order.session)
        )
        if rejection is not None:
            return rejection
        if not self._bucket.try_acquire():
            return self._bucket.rejection()
        return None

    def _on_trips(self, trips: list[BreakerTripped], now_ns: int) -> None:
        for trip in trips:
            self._sink.breaker_tripped(trip)
        required = self._breakers.state_required()
        if severity(required) > severity(self._state.state):
            event = self._state.transition(required, f"breaker {trips[0].breaker}: {trips[0].reason}", now_ns)
            if event is not None:
                self._sink.state_changed(event)
