"""Every order the planner plans passes ``Router.check``, on randomised books and limits.

The planner asks the checks how far each limit allows (``aurora_safety.order_cap``,
``order_count_cap``) instead of restating them; this property holds it to the
router itself. A book is built for real (a paper broker on a real journal fills
random positions at random prices), prices then move, the session's order count
and daily notional are partly used already, and the planner plans under random
limits. Each planned order must pass ``Router.check`` as the book stands after
the orders before it were accepted - one name one order, limit prices on the
tick grid. Adding a pre-trade check to the router makes this test fail until
the planner sizes under it too.

Journals live on /dev/shm (tmpfs): the checks are what is tested, not fsync.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from aurora_broker import Bar, BrokerConfig, Journal, PaperBroker, Side, SubmitOrder
from aurora_e2d.engine.loop import ReplayClock
from aurora_e2d.engine.orderplan import Target, plan_session
from aurora_router import ListSink, ReferenceBook, Router
from aurora_safety import KillSwitch, Limits, TradingGovernor, on_tick_grid

SYMBOLS = tuple(f"S{i}" for i in range(6))
SEEDED, PLANNED = dt.date(2013, 1, 2), dt.date(2013, 1, 3)
SEEDED_NS = 1_357_160_400 * 10**9  # 2013-01-02 21:00 UTC, the session close
PLANNED_NS = SEEDED_NS + 86_400 * 10**9
OFFSET_BPS = 50.0  # the default limit_offset_bps
# the seeding broker may hold any book; the router under test has the random limits
UNLIMITED = Limits(
    max_order_qty_shares=1_000_000,
    max_order_notional_usd=1e11,
    max_position_notional_usd=1e11,
    max_gross_exposure_usd=1e12,
    max_daily_notional_usd=1e12,
)

_PRICES = st.floats(0.01, 5_000.0, allow_nan=False, allow_infinity=False)
_LIMITS = st.builds(
    Limits,
    max_order_qty_shares=st.integers(1, 1_000_000),
    max_order_notional_usd=st.floats(1_000.0, 2_000_000.0),
    max_position_notional_usd=st.floats(1_000.0, 2_000_000.0),
    max_gross_exposure_usd=st.floats(5_000.0, 5_000_000.0),
    max_daily_notional_usd=st.floats(5_000.0, 5_000_000.0),
    max_session_orders=st.integers(1, 60),
    message_burst=st.integers(1, 120),
)
# A few dozen per PR (each builds a journal and fills a book); the nightly profile's count in l1.
_EXAMPLES = 25 if settings().max_examples <= 100 else settings().max_examples


def _buy(coid: str, symbol: str, quantity: int, price: float, session: dt.date) -> SubmitOrder:
    return SubmitOrder(
        client_order_id=coid,
        symbol=symbol,
        side=Side.BUY,
        quantity=quantity,
        limit_price=price,
        session=session,
    )


def _seed_book(broker: PaperBroker, holdings: dict[str, int], prices: dict[str, float]) -> None:
    """Fill ``holdings`` at ``prices`` for real: buys placed on one session, filled at the next open."""
    for symbol, quantity in holdings.items():
        if quantity:
            order = _buy(f"seed-{symbol}", symbol, quantity, prices[symbol], SEEDED)
            assert broker.submit(order).rejection is None
    bars = {s: Bar(open=p, high=p, low=p, close=p, volume=10**12) for s, p in prices.items()}
    broker.process_session(PLANNED, bars)


@settings(max_examples=_EXAMPLES, deadline=None)
@given(
    prices=st.lists(_PRICES, min_size=6, max_size=6),
    moves=st.lists(st.floats(0.95, 1.05), min_size=6, max_size=6),
    holdings=st.lists(st.integers(0, 20_000), min_size=6, max_size=6),
    weights=st.lists(st.floats(0.0, 1.0), min_size=6, max_size=6),
    cash=st.integers(10_000, 20_000_000).map(float),  # the equity the targets are fractions of
    used_orders=st.integers(0, 10),
    used_fraction=st.floats(0.0, 1.0),
    limits=_LIMITS,
)
def test_every_planned_order_passes_router_check(
    prices, moves, holdings, weights, cash, used_orders, used_fraction, limits
) -> None:
    seeded = dict(zip(SYMBOLS, prices, strict=True))
    closes = {s: p * m for (s, p), m in zip(seeded.items(), moves, strict=True)}
    clock = ReplayClock()
    clock.set(SEEDED_NS)
    with tempfile.TemporaryDirectory(dir="/dev/shm") as tmp:
        journal = Journal.open(Path(tmp), "h", clock=clock)
        try:
            config = BrokerConfig(starting_cash_usd=1e11, min_commission_usd=0.0)
            broker = PaperBroker(journal, config, UNLIMITED, clock)
            with journal.session_transaction():
                _seed_book(broker, dict(zip(SYMBOLS, holdings, strict=True)), seeded)
            clock.set(PLANNED_NS)
            book = ReferenceBook(SYMBOLS)
            book.update_many(closes, PLANNED_NS)
            kill = KillSwitch(run_dir=Path(tmp), cwd=Path(tmp), environ={})
            governor = TradingGovernor.from_limits(limits)
            router = Router(broker, limits, kill, governor, clock, book, ListSink(), watch_kill_files=False)
            # part of the session's order count and daily notional is spent already
            used = min(used_orders, limits.max_session_orders - 1)
            budget = max(used_fraction * limits.max_daily_notional_usd / max(used, 1), 0.01)
            router.seed((), [_buy(f"used-{i}", "S0", 1, budget, PLANNED) for i in range(used)])
            positions = broker.positions()
            assert positions == {s: q for s, q in zip(SYMBOLS, holdings, strict=True) if q}
            plan = plan_session(
                strategy="s",
                session=PLANNED,
                targets=[Target(s, w) for s, w in zip(SYMBOLS, weights, strict=True)],
                closes=closes,
                positions=positions,
                equity_usd=cash,
                limits=limits,
                offset_bps=OFFSET_BPS,
                daily_notional_used_usd=router.daily_notional_usd(PLANNED),
                session_orders_used=router.session_orders(PLANNED),
            )
            names = [o.symbol for o in plan.orders]
            assert len(names) == len(set(names))
            for order in plan.orders:
                assert on_tick_grid(order.limit_price), order.limit_price
                assert router.check(order, PLANNED_NS) is None, (order, router.check(order, PLANNED_NS))
                # accepted: the broker holds it and the router counts it, as ``submit`` would
                assert broker.submit(order).rejection is None
                router.seed((order.client_order_id,), [order])
                router.sync_exposures()
        finally:
            journal.close()
