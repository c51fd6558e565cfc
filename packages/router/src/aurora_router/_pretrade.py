"""Every pre-trade check of DESIGN.md §3 for one order, on the router's hot path.

``check`` answers exactly what ``check_in_order`` answers - the pure checks
of ``aurora_safety.checks`` called one after another, first failure wins -
but the common case (exact types, every limit clear) is decided by inlined
comparisons that are each a sufficient condition for the pure check to pass:
when any of them does not hold, whatever the reason, ``check_in_order`` runs
from INVALID_ORDER on and decides. So the fast path can only pass what the
pure checks pass, and every rejection is built by the pure checks. The
kill switch (one ``poll`` of the inotify watch), the governor's effective state and the
dedup run first on both paths; the token bucket runs last on both.

On the passing path nothing the garbage collector tracks outlives the call:
no ``Rejection``, ``SymbolExposure`` or tuple is built (the poll's empty
result list is freed at once), so checks alone never trigger a collection.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from aurora_broker import Broker, Order, Side, SubmitOrder, SymbolExposure
from aurora_router._gross import GrossExposure
from aurora_router._killwatch import KillWatch
from aurora_router.reference import ReferenceBook
from aurora_safety import (
    Clock,
    Limits,
    OrderEffect,
    ReasonCode,
    Rejection,
    SessionOrderCounter,
    TokenBucket,
    TradingGovernor,
    TradingState,
    check_daily_notional,
    check_gross_exposure,
    check_order_notional,
    check_order_qty,
    check_position_notional,
    check_price_band,
    check_reference,
    check_short_sale,
    check_valid,
    gate_order,
)

__all__ = ["PreTrade"]


@runtime_checkable
class _ProcessesSessions(Protocol):
    """A broker that says which session it processed last (``PaperBroker``)."""

    @property
    def last_session(self) -> date | None: ...


_EMPTY = SymbolExposure()
_INF = float("inf")
_BUY, _SELL = Side.BUY, Side.SELL
_ACTIVE = TradingState.ACTIVE


class PreTrade:
    """The checks and the counters they read (dedup set, daily notional, session orders, bucket)."""

    __slots__ = (
        "_acquire",
        "_band_bps",
        "_book",
        "_counted",
        "_counted_session",
        "_daily_of",
        "_effective_state",
        "_exposure_of",
        "_exposures",
        "_known",
        "_limits",
        "_max_daily_usd",
        "_max_gross_usd",
        "_max_order_usd",
        "_max_position_usd",
        "_max_qty",
        "_max_session_orders",
        "_order_state",
        "_price_of",
        "_prices",
        "_processes",
        "_seen_of",
        "_stale_ns",
        "_watch",
        "allow_short",
        "bucket",
        "daily_usd",
        "gross",
        "routed",
        "sessions",
    )

    def __init__(
        self,
        broker: Broker,
        limits: Limits,
        kill: KillWatch,
        governor: TradingGovernor,
        clock: Clock,
        book: ReferenceBook,
        *,
        allow_short: bool,
    ) -> None:
        self._limits = limits
        self._watch = kill
        # read only: the governor alone moves the state, and keeps its effective value current
        self._effective_state = governor.effective_state
        self._book = book
        self._prices = book.prices
        self._known = book.symbols
        self._exposures = broker.exposures()
        self._order_state: Callable[[str], Order | None] = broker.order_state
        # fills, expiries and splits happen inside the broker: one that tells its last
        # processed session lets the gross re-sync the moment it processed one
        self._processes = broker if isinstance(broker, _ProcessesSessions) else None
        self.allow_short = allow_short
        self.bucket = TokenBucket(limits.message_burst, limits.max_messages_per_sec, clock)
        self._acquire = self.bucket.acquire_one
        self.sessions = SessionOrderCounter(limits.max_session_orders)
        # the count of the last session asked about; only this class counts orders, and it
        # forgets this whenever it does (count_order)
        self._counted_session: object = None
        self._counted = 0
        self.daily_usd: dict[date, float] = {}
        self.routed: set[str] = set()
        self.gross = GrossExposure(self._exposures, book)
        # bound lookups of mappings that live as long as this object (one attribute load per use)
        self._exposure_of = self._exposures.get
        self._price_of = self._prices.get
        self._daily_of = self.daily_usd.get
        self._seen_of = self.gross.seen.get
        # Limits is frozen: its values are read once, as the pure checks would use them.
        self._stale_ns = limits.stale_after_secs * 1_000_000_000
        self._band_bps = limits.price_band_bps
        self._max_qty = limits.max_order_qty_shares
        self._max_order_usd = limits.max_order_notional_usd
        self._max_position_usd = limits.max_position_notional_usd
        self._max_gross_usd = limits.max_gross_exposure_usd
        self._max_daily_usd = limits.max_daily_notional_usd
        self._max_session_orders = limits.max_session_orders

    def count_order(self, order: SubmitOrder) -> None:
        """Count an accepted order against its session's order count and daily notional."""
        self._counted_session = None
        self.sessions.count_order(order.session)
        self.daily_usd[order.session] = self.daily_usd.get(order.session, 0.0) + order.notional_usd

    def on_accepted(self, order: SubmitOrder) -> None:
        """Count an order the broker accepted: session orders, daily notional, gross exposure."""
        self.count_order(order)
        self.gross.refresh(order.symbol)

    def gross_now(self) -> float:
        """Gross exposure, re-synced if prices moved or the broker processed a session since."""
        gross = self.gross
        processed = None if self._processes is None else self._processes.last_session
        if gross.version != self._book.version or processed != gross.processed:
            gross.sync(gross.session, processed)
        return gross.usd

    def gross_usd(self, symbol: str, held: SymbolExposure | None, session: object) -> float:
        """Gross exposure for an order: re-synced when prices moved, the broker processed a
        session, the order session changed, or the order's own symbol changed without the
        router being told (a direct broker call)."""
        gross = self.gross
        processes = self._processes
        processed = None if processes is None else processes.last_session
        if (
            gross.version != self._book.version
            or gross.seen.get(symbol) is not held
            or (session is not gross.session and session != gross.session)
            or (processed is not gross.processed and processed != gross.processed)
        ):
            gross.sync(session, processed)
        return gross.usd

    # ------------------------------------------------------------------ checks
    def check(self, order: SubmitOrder, now_ns: int) -> Rejection | None:
        """The first failing check's rejection, or None (a token was then taken).

        One long function on purpose: every call and attribute lookup saved
        here is paid once per order (see the module docstring for why the
        inlined comparisons cannot pass an order the pure checks refuse).
        """
        side, qty, symbol = order.side, order.quantity, order.symbol
        if type(symbol) is str or isinstance(symbol, str):
            held = self._exposure_of(symbol)
        else:
            held = None
        watch = self._watch  # KillWatch.check inlined for its common case: nothing queued
        kill = watch.status
        if not kill.active:
            poller = watch.poller
            if poller is None or poller.poll(0):
                kill = watch.check()
        state = self._effective_state()
        if kill.active or state is not _ACTIVE:  # the common case skips the gate call
            exposure = _EMPTY if held is None else held
            if isinstance(side, Side) and type(qty) is int and qty > 0:
                effect = exposure.effect(side, qty)
            else:
                effect = OrderEffect.INCREASES  # cannot tell: fail closed
            rejection = gate_order(kill, state, effect)
            if rejection is not None:
                return rejection
        coid = order.client_order_id
        if (type(coid) is not str and not isinstance(coid, str)) or not coid:
            return Rejection.of(
                ReasonCode.INVALID_ORDER, client_order_id=repr(coid), expected="non-empty string"
            )
        if coid in self.routed or self._order_state(coid) is not None:
            return Rejection.of(ReasonCode.DUPLICATE_ORDER, client_order_id=coid)
        # ---- INVALID_ORDER .. MAX_SESSION_ORDERS: sufficient conditions, else the pure checks
        price = order.limit_price
        session = order.session
        clear = False
        if (
            type(qty) is int
            and type(price) is float
            and type(symbol) is str
            and type(session) is date
            and type(now_ns) is int
            and (side is _BUY or side is _SELL)
            and qty > 0
            and 0.0 < price < _INF
            and symbol in self._known
        ):
            if held is None:
                position = open_buy = open_sell = 0
            else:
                position, open_buy, open_sell = held.position, held.open_buy, held.open_sell
            if side is _BUY:
                base = position + open_buy
                after = base + qty
                other = abs(position - open_sell)  # the end of the worst-case range this order leaves
                short_ok = True
            else:
                base = position - open_sell
                after = base - qty
                other = abs(position + open_buy)
                short_ok = self.allow_short or (
                    open_sell >= 0 and qty <= base
                )  # SHORT_SALE: held minus open sells
            ref = self._price_of(symbol)
            if short_ok and ref is not None:
                ref_price, ref_ts = ref
                base_abs = abs(base)
                after_abs = abs(after)
                if (
                    type(ref_price) is float
                    and type(ref_ts) is int
                    and 0.0 < ref_price < _INF
                    and 0 <= now_ns - ref_ts <= self._stale_ns
                    and abs(price - ref_price) * 10_000.0 <= self._band_bps * ref_price
                    and qty <= self._max_qty
                    and (notional := qty * price) <= self._max_order_usd
                    and (after_abs <= base_abs or after_abs * ref_price <= self._max_position_usd)
                ):
                    gross = self.gross
                    processes = self._processes
                    processed = None if processes is None else processes.last_session
                    if (
                        gross.version != self._book.version
                        or self._seen_of(symbol) is not held
                        or (session is not gross.session and session != gross.session)
                        or (processed is not gross.processed and processed != gross.processed)
                    ):
                        gross.sync(session, processed)
                    used_gross = gross.usd
                    worst = base_abs if base_abs > other else other
                    added = ((after_abs if after_abs > other else other) - worst) * ref_price
                    used = self._daily_of(session, 0.0)
                    clear = (
                        0.0 <= used_gross < _INF
                        and (added <= 0.0 or used_gross + added <= self._max_gross_usd)
                        and used >= 0.0
                        and used + notional <= self._max_daily_usd
                        and (
                            self._counted
                            if session is self._counted_session
                            else self._count_session(session)
                        )
                        < self._max_session_orders
                    )
        if not clear:
            rejection = self.check_in_order(order, now_ns, held)
            if rejection is not None:
                return rejection
        if not self._acquire():
            return self.bucket.rejection()
        return None

    def _count_session(self, session: date) -> int:
        self._counted = count = self.sessions.count(session)
        self._counted_session = session
        return count

    def check_in_order(
        self, order: SubmitOrder, now_ns: int, held: SymbolExposure | None
    ) -> Rejection | None:
        """The pure checks from INVALID_ORDER to MAX_SESSION_ORDERS, one after another."""
        side, qty, symbol, price = order.side, order.quantity, order.symbol, order.limit_price
        book, limits = self._book, self._limits
        rejection = check_valid(qty, price, symbol, side, book.symbols)
        if rejection is not None:
            return rejection
        if not isinstance(order.session, date) or isinstance(
            order.session, datetime
        ):  # a day, not an instant
            return Rejection.of(ReasonCode.INVALID_ORDER, session=repr(order.session), expected="a date")
        if not isinstance(side, Side):  # check_valid passed a side text SubmitOrder did not convert
            return Rejection.of(ReasonCode.INVALID_ORDER, side=repr(side), expected="BUY or SELL")
        exposure = _EMPTY if held is None else held
        if side is _SELL and not self.allow_short:
            rejection = check_short_sale(exposure.position, exposure.open_sell, qty)
            if rejection is not None:
                return rejection
        ref = book.get(symbol)
        if ref is None:
            return check_reference(None, None, now_ns, limits.stale_after_secs)  # NO_REFERENCE_PRICE
        ref_price, ref_ts = ref
        rejection = (
            check_reference(ref_price, ref_ts, now_ns, limits.stale_after_secs)
            or check_price_band(price, ref_price, limits.price_band_bps)
            or check_order_qty(qty, limits.max_order_qty_shares)
        )
        if rejection is not None:
            return rejection
        rejection = check_order_notional(
            qty, price, limits.max_order_notional_usd
        ) or check_position_notional(
            exposure.base_for(side), side.sign * qty, ref_price, limits.max_position_notional_usd
        )
        if rejection is not None:
            return rejection
        gross = self.gross_usd(symbol, held, order.session)
        return (
            check_gross_exposure(
                gross, exposure.added_abs(side, qty) * ref_price, limits.max_gross_exposure_usd
            )
            or check_daily_notional(
                self.daily_usd.get(order.session, 0.0), qty * price, limits.max_daily_notional_usd
            )
            or self.sessions.check(order.session)
        )
