"""What `aurora route` tells the operator: counts, reasons, the row where a breaker tripped."""

from __future__ import annotations

import pytest

from aurora_router import RouteResult, RouteStatus, RouteSummary, TripRecord, parse_orders
from aurora_router.results import RouteAction, describe
from aurora_safety import BreakerTripped, ReasonCode, Rejection, TradingState
from router_factories import NOW_NS, SESSION, RigFactory, make_order

HEADER = "client_order_id,symbol,side,quantity,limit_price\n"


def test_trip_names_the_row_that_tripped_it(make_rig: RigFactory) -> None:
    rig = make_rig(max_consecutive_rejects=2)
    text = (
        HEADER
        + "a,AAPL,BUY,10,100\nb,AAPL,BUY,0,100\n\nc,TSLA,BUY,1,100\nd,AAPL,SELL,5,100\ne,AAPL,BUY,1,100\n"
    )
    results = rig.router.route_rows(parse_orders(text, SESSION), SESSION, NOW_NS)
    assert [r.reason for r in results] == ["", "INVALID_ORDER", "INVALID_ORDER", "SHORT_SALE", "BREAKER_OPEN"]
    (trip,) = rig.router.trips
    assert trip.line == 6  # d: the third rejection in a row (the blank line 4 is counted by the file)
    assert trip.client_order_id == "d"
    assert trip.event.breaker == "consecutive_rejects"
    summary = RouteSummary.of(results, rig.router.trips, source="orders.csv")
    assert summary.format_summary() == [
        "orders.csv: 1 accepted, 4 rejected",
        "orders.csv: rejected by reason: INVALID_ORDER 2, BREAKER_OPEN 1, SHORT_SALE 1",
        "orders.csv:6: breaker consecutive_rejects tripped (HALTED) by order 'd': "
        "3 consecutive rejections exceed max_consecutive_rejects 2 "
        "(max_consecutive_rejects=2 consecutive_rejects=3 last_reason='SHORT_SALE')",
    ]


def test_orders_submitted_one_by_one_trip_without_a_line(make_rig: RigFactory) -> None:
    rig = make_rig(max_consecutive_rejects=1)
    for coid in ("x", "y"):
        rig.router.submit(make_order(coid=coid, quantity=0), NOW_NS)
    (trip,) = rig.router.trips
    assert (trip.line, trip.client_order_id) == (None, "y")
    assert rig.router.route_rows([], SESSION, NOW_NS) == []
    lines = RouteSummary.of([], rig.router.trips).format_summary()
    assert lines[0] == "0 accepted, 0 rejected"
    assert lines[1].startswith("breaker consecutive_rejects tripped (HALTED) by order 'y': ")


def test_counts_submits_only_and_orders_reasons_by_count_then_code() -> None:
    def rejected(coid: str, code: ReasonCode) -> RouteResult:
        return RouteResult(coid, RouteStatus.REJECTED, Rejection(code))

    results = [
        RouteResult("a", RouteStatus.ACCEPTED),
        rejected("b", ReasonCode.PRICE_BAND),
        rejected("c", ReasonCode.MAX_ORDER_QTY),
        rejected("d", ReasonCode.PRICE_BAND),
        RouteResult("a", RouteStatus.ACCEPTED, action=RouteAction.CANCEL),
    ]
    summary = RouteSummary.of(results, source="f.csv")
    assert (summary.accepted, summary.rejected, summary.first_trip) == (1, 3, None)
    assert summary.by_reason == (("PRICE_BAND", 2), ("MAX_ORDER_QTY", 1))
    assert summary.format_summary() == [
        "f.csv: 1 accepted, 3 rejected",
        "f.csv: rejected by reason: PRICE_BAND 2, MAX_ORDER_QTY 1",
    ]


def test_first_trip_only() -> None:
    def trip(name: str) -> TripRecord:
        event = BreakerTripped(name, f"{name} tripped", (), 1, TradingState.REDUCING)
        return TripRecord(event, "o1", 3)

    summary = RouteSummary.of([], [trip("daily_loss"), trip("drawdown")], source="f.csv")
    assert (
        summary.format_summary()[-1]
        == "f.csv:3: breaker daily_loss tripped (REDUCING) by order 'o1': daily_loss tripped"
    )


@pytest.mark.parametrize(
    ("rejection", "detail"),
    [
        (None, ""),
        (
            Rejection.of(ReasonCode.MAX_ORDER_NOTIONAL, max_order_notional_usd=250_000.0, notional=300_000.0),
            "max_order_notional_usd=250000 notional=300000",
        ),
        (
            Rejection.of(ReasonCode.INVALID_ORDER, quantity=0, expected="integer > 0"),
            "quantity=0 expected integer > 0",
        ),
        (
            Rejection.of(
                ReasonCode.PRICE_BAND, price_band_bps=100.0, deviation_bps=102.0000000001, limit_price=101.02
            ),
            "price_band_bps=100 deviation_bps=102.0000000001 limit_price=101.02",
        ),
        (
            Rejection.of(ReasonCode.KILL_SWITCH, trigger="file:/run/kill.flag"),
            "trigger='file:/run/kill.flag'",
        ),
        (Rejection.of(ReasonCode.MAX_GROSS_EXPOSURE, used=float("inf")), "used=inf"),
        (Rejection(ReasonCode.RATE_LIMIT), ""),
        (
            Rejection.of(
                ReasonCode.INVALID_ORDER, line=2, field="side", value="hold", expected="BUY or SELL"
            ),
            "side='hold' expected BUY or SELL",
        ),
    ],
)
def test_detail_shows_the_deciding_values(rejection: Rejection | None, detail: str) -> None:
    assert describe(rejection) == detail
