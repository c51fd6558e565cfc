"""PaperBroker behaviour: idempotency, defense in depth, fills, expiry, corporate actions."""

from __future__ import annotations

import pytest

from aurora_broker import (
    Bar,
    CashDividend,
    DividendCredited,
    ExpiryReason,
    Journal,
    OrderAdjusted,
    OrderExpired,
    OrderStatus,
    PaperBroker,
    SessionOrderError,
    Side,
    Split,
    SplitApplied,
    SymbolExposure,
)
from aurora_broker._brokerstore import BrokerStore
from aurora_broker.testing import make_order
from aurora_safety import Limits, ReasonCode, Rejection
from broker_factories import D0, D1, D2, BrokerFactory

BAR = Bar(99.0, 101.0, 98.0, 100.0, 1_000_000.0)


class TestIdempotentSubmit:
    def test_known_id_returns_current_state_and_never_fills_twice(
        self, journal: Journal, broker: PaperBroker
    ) -> None:
        first = broker.submit(make_order())
        assert broker.submit(make_order(quantity=5)) == first  # same id, other fields: ignored
        broker.process_session(D1, {"AAPL": BAR})
        filled = broker.submit(make_order())
        assert filled.status is OrderStatus.FILLED
        assert filled.filled_quantity == 100
        broker.process_session(D2, {"AAPL": BAR})
        assert journal.query("SELECT COUNT(*) FROM orders") == [(1,)]
        assert journal.query("SELECT COUNT(*) FROM fills") == [(1,)]
        assert broker.positions() == {"AAPL": 100}

    def test_rejected_id_answers_rejected(self, make_broker: BrokerFactory) -> None:
        broker = make_broker(Limits(max_order_notional_usd=1_000.0))
        first = broker.submit(make_order())
        assert first.status is OrderStatus.REJECTED
        assert broker.submit(make_order(quantity=1)) == first


class TestDefenseInDepth:
    def test_max_order_notional(self, make_broker: BrokerFactory) -> None:
        broker = make_broker(Limits(max_order_notional_usd=9_999.0))
        order = broker.submit(make_order(quantity=100, limit_price=100.0))
        assert order.rejection == Rejection.of(
            ReasonCode.MAX_ORDER_NOTIONAL, max_order_notional_usd=9_999.0, notional=10_000.0
        )
        assert broker.submit(make_order(coid="o2", quantity=99)).status is OrderStatus.ACCEPTED

    def test_max_position_notional_counts_open_orders(self, make_broker: BrokerFactory) -> None:
        broker = make_broker(Limits(max_position_notional_usd=15_000.0))
        assert broker.submit(make_order(coid="a", quantity=100)).status is OrderStatus.ACCEPTED
        second = broker.submit(make_order(coid="b", quantity=51))
        assert second.rejection == Rejection.of(
            ReasonCode.MAX_POSITION_NOTIONAL,
            max_position_notional_usd=15_000.0,
            position_notional=15_100.0,
            position_qty=151,
        )
        assert broker.submit(make_order(coid="c", quantity=50)).status is OrderStatus.ACCEPTED
        # a sell reduces the worst case and passes even at the limit
        assert (
            broker.submit(make_order(coid="d", side=Side.SELL, quantity=100)).status is OrderStatus.ACCEPTED
        )

    def test_max_gross_exposure(self, make_broker: BrokerFactory) -> None:
        broker = make_broker(Limits(max_gross_exposure_usd=20_000.0))
        broker.submit(make_order(coid="a", symbol="AAPL", quantity=100))
        rejected = broker.submit(make_order(coid="b", symbol="MSFT", quantity=101))
        assert rejected.rejection is not None
        assert rejected.rejection.reason is ReasonCode.MAX_GROSS_EXPOSURE
        assert rejected.rejection.value("gross_exposure") == 20_100.0

    def test_denied_order_is_journaled(self, journal: Journal, make_broker: BrokerFactory) -> None:
        broker = make_broker(Limits(max_order_notional_usd=1.0))
        broker.submit(make_order())
        events = BrokerStore(journal).order_events("o1")
        assert [e["event"] for e in events] == ["OrderDenied"]
        assert events[0]["reason"] == "MAX_ORDER_NOTIONAL"

    def test_invalid_order_is_rejected_not_stored(self, journal: Journal, broker: PaperBroker) -> None:
        bad = broker.submit(make_order(quantity=0))
        assert bad.rejection == Rejection.of(ReasonCode.INVALID_ORDER, quantity=0, expected="integer > 0")
        assert broker.submit(make_order(limit_price=float("nan"))).status is OrderStatus.REJECTED
        assert broker.submit(make_order(coid="")).status is OrderStatus.REJECTED
        assert journal.query("SELECT COUNT(*) FROM orders") == [(0,)]

    def test_order_for_an_already_processed_session(self, broker: PaperBroker) -> None:
        broker.process_session(D1, {"AAPL": BAR})
        late = broker.submit(make_order(session=D0))
        assert late.rejection is not None
        assert late.rejection.reason is ReasonCode.INVALID_ORDER

    def test_lowercase_side_is_normalised(self, broker: PaperBroker) -> None:
        assert broker.submit(make_order(side="sell")).side is Side.SELL


class TestSessions:
    def test_order_fills_at_next_open_only(self, broker: PaperBroker) -> None:
        broker.process_session(D0, {"AAPL": BAR})
        broker.submit(make_order(session=D0))
        report = broker.process_session(D1, {"AAPL": Bar(100.0, 101.0, 98.0, 100.5, 1e6)})
        assert [f.price for f in report.fills] == [100.0]  # open == limit fills
        assert report.account.position("AAPL") == 100

    def test_order_of_the_current_session_waits(self, broker: PaperBroker) -> None:
        broker.submit(make_order(session=D1))
        assert broker.process_session(D1, {"AAPL": BAR}).fills == ()
        assert broker.process_session(D2, {"AAPL": BAR}).fills != ()

    def test_open_beyond_limit_expires(self, journal: Journal, broker: PaperBroker) -> None:
        broker.submit(make_order(limit_price=98.99))
        report = broker.process_session(D1, {"AAPL": BAR})
        assert report.expired == (
            OrderExpired(
                "o1",
                D1,
                100,
                ExpiryReason.LIMIT_NOT_REACHED,
                (("open", 99.0), ("limit_price", 98.99), ("volume", 1_000_000.0)),
            ),
        )
        assert broker.order_state("o1").status is OrderStatus.EXPIRED  # type: ignore[union-attr]
        assert broker.exposures() == {}

    def test_no_bar_expires(self, broker: PaperBroker) -> None:
        broker.submit(make_order(symbol="FB"))
        assert broker.process_session(D1, {"AAPL": BAR}).expired[0].reason is ExpiryReason.NO_BAR

    def test_participation_cap_partial_fill_shared_per_symbol(self, make_broker: BrokerFactory) -> None:
        broker = make_broker(participation_cap_pct=1.0, slippage_bps=0.0)
        broker.submit(make_order(coid="a", quantity=150))
        broker.submit(make_order(coid="b", quantity=100))
        report = broker.process_session(D1, {"AAPL": Bar(99.0, 101.0, 98.0, 100.0, 20_000.0)})
        assert [(f.client_order_id, f.quantity) for f in report.fills] == [("a", 150), ("b", 50)]
        b = broker.order_state("b")
        assert b is not None
        assert b.status is OrderStatus.PARTIALLY_FILLED
        assert b.filled_quantity == 50
        assert report.expired[0].unfilled_quantity == 50
        assert report.expired[0].reason is ExpiryReason.PARTICIPATION_CAP

    def test_sessions_must_increase(self, broker: PaperBroker) -> None:
        broker.process_session(D1, {})
        with pytest.raises(SessionOrderError, match="session 2012-01-04 is not after"):
            broker.process_session(D1, {})

    def test_action_for_another_day_is_refused(self, broker: PaperBroker) -> None:
        with pytest.raises(ValueError, match="not the processed session"):
            broker.process_session(D1, {}, [Split(symbol="AAPL", ex_date=D2, ratio=2.0)])

    def test_commission_and_cash(self, make_broker: BrokerFactory) -> None:
        broker = make_broker(commission_per_share_usd=0.005, min_commission_usd=1.0, slippage_bps=0.0)
        broker.submit(make_order(quantity=10))
        broker.process_session(D1, {"AAPL": BAR})
        assert broker.cash_cents == 100_000_000 - 99_000 - 100

    def test_bad_bar_is_a_broken_contract(self) -> None:
        with pytest.raises(ValueError, match=r"^'Bar.open' must be a finite number > 0, was nan$"):
            Bar(float("nan"), 1.0, 1.0, 1.0, 1.0)


class TestCancel:
    def test_cancel_open_order(self, broker: PaperBroker) -> None:
        broker.submit(make_order())
        assert broker.cancel("o1").status is OrderStatus.CANCELLED  # type: ignore[union-attr]
        assert broker.exposures() == {}
        assert broker.process_session(D1, {"AAPL": BAR}).fills == ()

    def test_cancel_unknown_or_done_is_harmless(self, broker: PaperBroker) -> None:
        assert broker.cancel("nope") is None
        broker.submit(make_order())
        broker.process_session(D1, {"AAPL": BAR})
        assert broker.cancel("o1").status is OrderStatus.FILLED  # type: ignore[union-attr]

    def test_cancel_all(self, broker: PaperBroker) -> None:
        for i in range(3):
            broker.submit(make_order(coid=f"o{i}"))
        assert [o.client_order_id for o in broker.cancel_all()] == ["o0", "o1", "o2"]
        assert broker.open_orders() == ()


class TestCorporateActions:
    def test_split_adjusts_order_and_position_with_cash_in_lieu(self, broker: PaperBroker) -> None:
        broker.submit(make_order(coid="buy", quantity=101, limit_price=100.0))
        broker.process_session(D1, {"AAPL": BAR})  # long 101 at 99.00
        broker.submit(make_order(coid="sell", side=Side.SELL, quantity=33, limit_price=120.0, session=D1))
        cash_before = broker.cash_cents
        post = Bar(60.0, 61.0, 59.0, 60.5, 2e6)
        report = broker.process_session(D2, {"AAPL": post}, [Split(symbol="AAPL", ex_date=D2, ratio=1.5)])
        applied = report.events[0]
        # 101 x 1.5 = 151.5: 151 shares, half a share paid at the ex-date close 60.50
        assert applied == SplitApplied("AAPL", D2, 1.5, 101, 151, 3025)
        adjusted = report.events[1]
        assert isinstance(adjusted, OrderAdjusted)
        assert (adjusted.quantity_after, adjusted.limit_after) == (49, 80.0)  # floor(49.5), 120/1.5
        assert report.expired[0].reason is ExpiryReason.LIMIT_NOT_REACHED  # open 60 < 80
        assert broker.positions() == {"AAPL": 151}
        assert broker.cash_cents == cash_before + 3025
        assert report.account.equity_cents == broker.cash_cents + 151 * 6050

    def test_short_split_pays_the_fraction(self, broker: PaperBroker) -> None:
        broker.submit(make_order(side=Side.SELL, quantity=3, limit_price=90.0))
        broker.process_session(D1, {"AAPL": BAR})
        cash = broker.cash_cents
        report = broker.process_session(
            D2, {"AAPL": Bar(50, 51, 49, 50.0, 1e6)}, [Split(symbol="AAPL", ex_date=D2, ratio=1.5)]
        )
        assert report.events[0] == SplitApplied("AAPL", D2, 1.5, -3, -4, -2500)  # -4.5: pay 0.5 x 50
        assert broker.cash_cents == cash - 2500

    def test_reverse_split_expires_an_order_left_without_a_share(self, broker: PaperBroker) -> None:
        broker.submit(make_order(quantity=1))
        report = broker.process_session(D1, {"AAPL": BAR}, [Split(symbol="AAPL", ex_date=D1, ratio=0.5)])
        assert report.expired[0].reason is ExpiryReason.SPLIT_NO_WHOLE_SHARE
        assert report.fills == ()

    def test_dividend_credited_per_share_held_at_previous_close(self, broker: PaperBroker) -> None:
        broker.submit(make_order(coid="a", quantity=100))
        broker.process_session(D1, {"AAPL": BAR})
        broker.submit(make_order(coid="b", quantity=50, session=D1))  # fills on the ex-date: no dividend
        cash = broker.cash_cents
        report = broker.process_session(
            D2, {"AAPL": BAR}, [CashDividend(symbol="AAPL", ex_date=D2, amount_per_share_usd=0.265)]
        )
        assert report.events[0] == DividendCredited("AAPL", D2, 0.265, 100, 2650)
        assert broker.cash_cents == cash + 2650 - 99 * 50 * 100

    def test_no_position_no_dividend(self, broker: PaperBroker) -> None:
        report = broker.process_session(
            D1, {"AAPL": BAR}, [CashDividend(symbol="AAPL", ex_date=D1, amount_per_share_usd=1.0)]
        )
        assert report.events == ()


def test_exposure_view_is_live_and_read_only(broker: PaperBroker) -> None:
    view = broker.exposures()
    broker.submit(make_order(side=Side.SELL, quantity=7))
    assert view["AAPL"] == SymbolExposure(0, 0, 7)
    with pytest.raises(TypeError):
        view["AAPL"] = SymbolExposure()  # type: ignore[index]


def test_a_datetime_session_is_an_invalid_order_not_a_crash(broker) -> None:
    from datetime import datetime

    from aurora_broker import OrderStatus

    placed = broker.submit(make_order(coid="dt", session=datetime(2012, 1, 3, 16, 0)))  # type: ignore[arg-type]
    assert placed.status is OrderStatus.REJECTED
    assert placed.rejection is not None
    assert placed.rejection.reason == "INVALID_ORDER"
    assert dict(placed.rejection.values)["expected"] == "a date"
