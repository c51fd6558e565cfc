"""Gross exposure kept incrementally equals a from-scratch sum, exactly, whatever happened."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aurora_broker import Bar, Side, Split, SymbolExposure
from aurora_router import ReferenceBook
from aurora_router._gross import GrossExposure
from aurora_safety import Limits, ReasonCode, Rejection
from router_factories import NOW_NS, REF, SESSION, SYMBOLS, Rig, RigFactory, make_order

INF = float("inf")
# Each example opens a real journal, and the streams are long: on a loaded 2-core machine
# generating and running them can trip Hypothesis' too_slow check; the rig is a
# function-scoped fixture on purpose (a fresh journal per example).
SLOW_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
DAY_NS = 86_400 * 10**9


def from_scratch(exposures: dict[str, SymbolExposure] | object, book: ReferenceBook) -> float:
    total = Fraction(0)
    for symbol, exposure in dict(exposures).items():  # type: ignore[call-overload]
        found = book.get(symbol)
        price = None if found is None else found[0]
        if not (isinstance(price, int | float) and 0 < price < INF):
            return INF
        total += exposure.worst_abs * Fraction(price)
    return float(total)


class TestGrossExposure:
    def test_terms_are_exact_where_a_float_sum_is_not(self) -> None:
        exposures = {
            "A": SymbolExposure(position=1),
            "B": SymbolExposure(position=1),
            "C": SymbolExposure(position=1),
        }
        book = ReferenceBook(exposures)
        book.update_many({"A": 0.1, "B": 0.2, "C": 0.3}, 0)
        gross = GrossExposure(exposures, book)
        assert 0.1 + 0.2 + 0.3 == 0.6000000000000001  # what a running float sum would say
        assert gross.usd == 0.6 == float(Fraction(0.1) + Fraction(0.2) + Fraction(0.3))
        exposures["B"] = SymbolExposure(position=0, open_buy=3)
        gross.refresh("B")
        assert gross.usd == float(Fraction(0.1) + 3 * Fraction(0.2) + Fraction(0.3))

    def test_unpriced_exposure_fails_closed_until_priced(self) -> None:
        exposures = {"A": SymbolExposure(open_sell=10)}
        book = ReferenceBook(["A", "B"])
        gross = GrossExposure(exposures, book)
        assert gross.usd == INF
        for bad in (float("nan"), 0.0, -1.0, INF):
            book.update("A", bad, 0)
            gross.sync(None, None)
            assert gross.usd == INF, bad
        book.update("A", 2.5, 0)
        gross.sync(None, None)
        assert gross.usd == 25.0
        del exposures["A"]
        gross.refresh("A")
        assert gross.usd == 0.0


@settings(max_examples=100, deadline=None, suppress_health_check=SLOW_OK)
@given(
    changes=st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            st.integers(-500, 500),
            st.integers(0, 300),
            st.integers(0, 300),
            st.one_of(st.floats(1e-3, 1e4), st.sampled_from([None, float("nan"), 0.0, -2.0, 7])),
        ),
        max_size=60,
    )
)
def test_tracker_equals_from_scratch_after_any_changes(changes: list) -> None:
    exposures: dict[str, SymbolExposure] = {}
    book = ReferenceBook(["A", "B", "C"])
    gross = GrossExposure(exposures, book)
    for symbol, position, open_buy, open_sell, price in changes:
        exposure = SymbolExposure(position, open_buy, open_sell)
        if exposure == SymbolExposure():
            exposures.pop(symbol, None)
        else:
            exposures[symbol] = exposure
        if price is None:
            book._prices.pop(symbol, None)
        else:
            book.update(symbol, price, 0)
        gross.refresh(symbol)  # what the router does after a submit or cancel it routed
        assert gross.usd == from_scratch(exposures, book)


class TestRouterGross:
    def test_accepts_and_cancels_move_it(self, make_rig: RigFactory) -> None:
        rig = make_rig(allow_short=True)
        rig.router.submit(make_order(coid="a", quantity=10), NOW_NS)
        rig.router.submit(make_order(coid="b", symbol="MSFT", side=Side.SELL, quantity=4), NOW_NS)
        assert rig.router.gross_exposure_usd() == 1_400.0
        rig.router.cancel("a")
        assert rig.router.gross_exposure_usd() == 400.0

    def test_a_held_symbol_without_a_price_blocks_growth_everywhere(self, make_rig: RigFactory) -> None:
        rig = make_rig(allow_short=True)
        assert rig.router.submit(make_order(coid="a", symbol="MSFT", quantity=10), NOW_NS).accepted
        rig.book.update("MSFT", float("nan"), NOW_NS)
        result = rig.router.submit(make_order(coid="b", symbol="AAPL", quantity=1), NOW_NS)
        assert result.rejection == Rejection.of(
            ReasonCode.MAX_GROSS_EXPOSURE, max_gross_exposure_usd=1_500_000.0, used=INF, added=100.0
        )

    def test_a_direct_broker_order_on_the_same_symbol_is_seen(self, make_rig: RigFactory) -> None:
        rig = make_rig(max_gross_exposure_usd=2_000.0)
        rig.broker.submit(make_order(coid="direct", quantity=15))  # behind the router's back
        result = rig.router.submit(make_order(coid="a", quantity=6), NOW_NS)
        assert result.rejection == Rejection.of(
            ReasonCode.MAX_GROSS_EXPOSURE,
            max_gross_exposure_usd=2_000.0,
            gross_exposure=2_100.0,
            used=1_500.0,
            added=600.0,
        )

    def test_sync_exposures_after_a_direct_change_elsewhere(self, make_rig: RigFactory) -> None:
        rig = make_rig(max_gross_exposure_usd=2_000.0)
        assert rig.router.submit(make_order(coid="a", symbol="AAPL", quantity=1), NOW_NS).accepted
        rig.broker.submit(make_order(coid="direct", symbol="MSFT", quantity=15))
        rig.router.sync_exposures()
        assert rig.router.gross_exposure_usd() == 1_600.0
        assert rig.router.submit(make_order(coid="b", symbol="IBM", quantity=5), NOW_NS).reason == (
            "MAX_GROSS_EXPOSURE"
        )

    def test_fills_expiries_and_splits_are_seen_after_the_session(self, rig: Rig) -> None:
        rig.router.submit(make_order(coid="fills", quantity=10), NOW_NS)
        rig.router.submit(make_order(coid="expires", symbol="MSFT", quantity=10, limit_price=95.0), NOW_NS)
        assert rig.router.gross_exposure_usd() == 2_000.0
        nxt = SESSION + timedelta(days=1)
        split = Split(symbol="AAPL", ex_date=nxt, ratio=2.0)
        bars = {s: Bar(REF, REF, REF, REF, 1e6) for s in SYMBOLS} | {"AAPL": Bar(50.0, 50.0, 50.0, 50.0, 1e6)}
        rig.broker.process_session(nxt, bars, [split])
        assert rig.broker.positions() == {"AAPL": 20}  # the buy became 20 at 50 and filled; MSFT expired
        # no price update yet: the processed session alone re-syncs (20 AAPL at the book's 100)
        assert rig.router.gross_exposure_usd() == 2_000.0 == from_scratch(rig.broker.exposures(), rig.book)
        rig.book.update("AAPL", 50.0, NOW_NS + DAY_NS)
        assert rig.router.gross_exposure_usd() == 1_000.0


@settings(max_examples=40, deadline=None, suppress_health_check=SLOW_OK)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("buy"), st.sampled_from(SYMBOLS), st.integers(1, 60)),
            st.tuples(st.just("sell"), st.sampled_from(SYMBOLS), st.integers(1, 60)),
            st.tuples(st.just("cancel"), st.integers(0, 30)),
            st.tuples(st.just("price"), st.sampled_from(SYMBOLS), st.floats(80.0, 120.0)),
            st.tuples(st.just("session"), st.sampled_from([None, 2.0, 0.5]), st.booleans()),
        ),
        max_size=40,
    )
)
def test_router_gross_equals_from_scratch(make_rig: RigFactory, steps: list) -> None:
    """Submits, cancels, fills, expiries, splits and price updates, in any order."""
    rig = make_rig(
        Limits(max_position_notional_usd=1e7, max_gross_exposure_usd=1e8, max_daily_notional_usd=1e9),
        allow_short=True,
    )
    day, now_ns = SESSION, NOW_NS
    for n, step in enumerate(steps):
        kind = step[0]
        if kind in ("buy", "sell"):
            price = rig.book.price(step[1]) or REF
            order = make_order(
                coid=f"o{n}",
                symbol=step[1],
                side=Side(kind.upper()),
                quantity=step[2],
                limit_price=price,
                session=day,
            )
            rig.router.submit(order, now_ns)
        elif kind == "cancel":
            rig.router.cancel(f"o{step[1]}")
        elif kind == "price":
            rig.book.update(step[1], step[2], now_ns)
        else:
            day += timedelta(days=1)
            now_ns += DAY_NS
            bars = {s: Bar(p, p * 1.01, p * 0.99, p, 1e6) for s in SYMBOLS if (p := rig.book.price(s))}
            splits = [] if step[1] is None else [Split(symbol="MSFT", ex_date=day, ratio=step[1])]
            rig.broker.process_session(day, bars, splits)
            if step[2]:
                rig.book.update_many({s: b.close for s, b in bars.items()}, now_ns)
        assert rig.router.gross_exposure_usd() == from_scratch(rig.broker.exposures(), rig.book)


def test_a_check_reads_the_running_total(make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No order re-sums the held symbols unless something outside the router changed."""
    rig = make_rig(allow_short=True)
    rig.router.submit(make_order(coid="a", quantity=10), NOW_NS)
    rig.router.check(make_order(coid="warm", symbol="MSFT", quantity=1), NOW_NS)
    syncs: list[object] = []
    original = GrossExposure.sync

    def counting(self: GrossExposure, session: object, processed: object) -> None:
        syncs.append(session)
        original(self, session, processed)

    monkeypatch.setattr(GrossExposure, "sync", counting)
    for i in range(20):
        assert rig.router.check(make_order(coid=f"c{i}", symbol="MSFT", quantity=1), NOW_NS) is None
    assert syncs == []
    rig.book.update("IBM", 99.0, NOW_NS)  # a price moved: exactly one re-sync
    rig.router.check(make_order(coid="d", symbol="MSFT", quantity=1), NOW_NS)
    rig.router.check(make_order(coid="e", symbol="MSFT", quantity=1), NOW_NS)
    assert syncs == [SESSION]
