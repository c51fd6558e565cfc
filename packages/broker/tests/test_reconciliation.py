"""The ledger reconciles to the cent every session, over generated multi-session scenarios."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aurora_broker import (
    Bar,
    BrokerConfig,
    CashDividend,
    DividendCredited,
    Journal,
    OrderFilled,
    PaperBroker,
    Side,
    Split,
    SplitApplied,
    SubmitOrder,
    dec,
)
from aurora_safety import Limits, TestClock

SYMBOLS = ("AAPL", "MSFT")
prices = st.integers(min_value=100, max_value=50_000).map(lambda c: c / 100)  # whole cents, raw data
odd_prices = st.floats(min_value=1.0, max_value=500.0, allow_nan=False).map(lambda x: round(x, 4))

order_st = st.tuples(
    st.sampled_from(SYMBOLS), st.sampled_from(Side), st.integers(1, 500), st.floats(0.9, 1.1)
)
session_st = st.fixed_dictionaries(
    {
        "opens": st.tuples(prices, odd_prices),
        "closes": st.tuples(prices, odd_prices),
        "volumes": st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)),
        "orders": st.lists(order_st, max_size=5),
        "split": st.none() | st.tuples(st.sampled_from(SYMBOLS), st.sampled_from([2.0, 1.5, 0.5, 3.0, 7.0])),
        "dividend": st.none()
        | st.tuples(st.sampled_from(SYMBOLS), st.integers(1, 300).map(lambda c: c / 100)),
    }
)


# Each example is a real journal, fsynced every session: 30 per PR; the nightly profile's 500
# (a fixed count in the decorator would override the profile, and the nightly never explored more).
_EXAMPLES = 30 if settings().max_examples <= 100 else settings().max_examples


@settings(max_examples=_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sessions=st.lists(session_st, min_size=1, max_size=8),
    cap=st.none() | st.sampled_from([1.0, 5.0, 100.0]),
    slippage=st.sampled_from([0.0, 3.0, 12.5]),
)
def test_cash_plus_positions_is_equity_to_the_cent(tmp_path_factory, sessions, cap, slippage) -> None:  # type: ignore[no-untyped-def]
    run_dir: Path = tmp_path_factory.mktemp("run")
    config = BrokerConfig(
        participation_cap_pct=cap,
        slippage_bps=slippage,
        commission_per_share_usd=0.0035,
        min_commission_usd=0.35,
    )
    limits = Limits(max_order_notional_usd=1e9, max_position_notional_usd=1e9, max_gross_exposure_usd=1e10)
    clock = TestClock()
    journal = Journal.open(run_dir, "h", clock=clock)
    broker = PaperBroker(journal, config, limits, clock)
    day = date(2012, 1, 2)
    expected_cash = config.starting_cash_cents
    expected_pos = dict.fromkeys(SYMBOLS, 0)
    seq = 0
    for spec in sessions:
        day += timedelta(days=1)
        bars = {}
        for i, s in enumerate(SYMBOLS):
            o, c = spec["opens"][i], spec["closes"][i]
            bars[s] = Bar(o, max(o, c), min(o, c), c, float(spec["volumes"][i]))
        actions = []
        if spec["split"] is not None:
            actions.append(Split(symbol=spec["split"][0], ex_date=day, ratio=spec["split"][1]))
        if spec["dividend"] is not None:
            actions.append(
                CashDividend(
                    symbol=spec["dividend"][0], ex_date=day, amount_per_share_usd=spec["dividend"][1]
                )
            )
        with journal.session_transaction():
            report = broker.process_session(day, bars, actions)
            for symbol, side, qty, factor in spec["orders"]:
                seq += 1
                broker.submit(
                    SubmitOrder(
                        client_order_id=f"c{seq}",
                        symbol=symbol,
                        side=side,
                        quantity=qty,
                        limit_price=round(bars[symbol].close * factor, 2),
                        session=day,
                    )
                )
            journal.write_checkpoint(day)
        # independent replay of what cash and positions must be
        for event in report.events:
            if isinstance(event, SplitApplied):
                expected_cash += event.cash_in_lieu_cents
                expected_pos[event.symbol] = event.position_after
            elif isinstance(event, DividendCredited):
                expected_cash += event.cash_cents
            elif isinstance(event, OrderFilled):
                f = event.fill
                assert f.gross_cents == int((f.quantity * dec(f.price) * 100).to_integral_value())
                expected_cash += f.cash_delta_cents
                expected_pos[f.symbol] += f.side.sign * f.quantity
        account = report.account
        assert account.cash_cents == expected_cash
        assert {s: account.position(s) for s in SYMBOLS} == expected_pos
        exact = dec(expected_cash) / 100 + sum(
            (dec(q) * dec(bars[s].close) for s, q in expected_pos.items()), start=Decimal(0)
        )
        assert abs(account.equity_usd - exact) <= Decimal("0.005")
        ledger = journal.read.cash_ledger()
        assert config.starting_cash_cents + sum(line.amount_cents for line in ledger) == account.cash_cents
    final = broker.account()
    journal.close()
    with Journal.open(run_dir, "h", clock=clock, create=False) as again:
        assert PaperBroker(again, config, limits, clock).account() == final
        snapshots = again.read.equity_snapshots()
        assert len(snapshots) == len(sessions)
        assert all(s.equity_cents == s.cash_cents + s.market_value_cents for s in snapshots)
