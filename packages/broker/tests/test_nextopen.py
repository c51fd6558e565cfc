"""The reference NextOpenBroker: the paper broker's books, a market order at the next open.

Each test puts the same orders and bars through the paper broker and the
next-open broker on two real journals, so what differs is exactly the fill
rule the module documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aurora_broker import (
    Bar,
    BrokerConfig,
    ExpiryReason,
    Journal,
    NextOpenBroker,
    OrderStatus,
    PaperBroker,
    Side,
)
from aurora_broker.testing import make_order
from aurora_safety import Limits, TestClock
from broker_factories import D0, D1, D2, HASH

GAP_UP = Bar(open=103.25, high=104.0, low=102.0, close=103.5, volume=1_000.0)  # above a 100.0 buy limit
COSTS = BrokerConfig(slippage_bps=25.0, participation_cap_pct=10.0, commission_per_share_usd=0.01)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[PaperBroker, NextOpenBroker]]:
    clock = TestClock(1_000)
    journals = []
    for name in ("paper", "next"):
        (tmp_path / name).mkdir()
        journals.append(Journal.open(tmp_path / name, HASH, clock=clock))
    yield (
        PaperBroker(journals[0], COSTS, Limits(), clock),
        NextOpenBroker(journals[1], COSTS, Limits(), clock),
    )
    for journal in journals:
        journal.close()


def test_a_gap_past_the_limit_fills_whole_at_the_open_where_paper_expires(
    pair: tuple[PaperBroker, NextOpenBroker],
) -> None:
    paper, nxt = pair
    for broker in pair:
        broker.submit(make_order("gap", quantity=500, limit_price=100.0, session=D0))
    expired = paper.process_session(D1, {"AAPL": GAP_UP}).expired
    assert [e.reason for e in expired] == [ExpiryReason.LIMIT_NOT_REACHED]
    fills = nxt.process_session(D1, {"AAPL": GAP_UP}).fills
    # 500 shares although the 10 % cap allows 100 of 1,000; the open exactly, no 25 bps slippage
    assert [(f.quantity, f.price, f.commission_cents) for f in fills] == [(500, 103.25, 500)]
    assert nxt.order_state("gap").status is OrderStatus.FILLED  # type: ignore[union-attr]
    assert nxt.positions() == {"AAPL": 500}
    assert nxt.account().cash_cents == 100_000_000 - 51_625_00 - 500


def test_within_the_limit_both_fill_but_at_different_prices(pair: tuple[PaperBroker, NextOpenBroker]) -> None:
    bar = Bar(open=100.0, high=101.0, low=99.0, close=100.5, volume=1_000_000.0)
    prices = []
    for broker in pair:
        broker.submit(make_order("sell", side=Side.SELL, quantity=10, limit_price=99.0, session=D0))
        prices.append([f.price for f in broker.process_session(D1, {"AAPL": bar}).fills])
    assert prices == [[99.75], [100.0]]  # paper: 25 bps against the seller; next open: the open


def test_an_order_without_a_bar_expires_and_one_of_this_session_waits(
    pair: tuple[PaperBroker, NextOpenBroker],
) -> None:
    _, nxt = pair
    nxt.submit(make_order("no-bar", symbol="MSFT", session=D0))
    nxt.submit(make_order("later", session=D1))
    report = nxt.process_session(D1, {"AAPL": GAP_UP})
    assert [(e.client_order_id, e.reason) for e in report.expired] == [("no-bar", ExpiryReason.NO_BAR)]
    assert report.fills == ()
    assert [o.client_order_id for o in nxt.open_orders()] == ["later"]
    assert [f.client_order_id for f in nxt.process_session(D2, {"AAPL": GAP_UP}).fills] == ["later"]
