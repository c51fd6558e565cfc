"""Router cost per order, with every check (kill switch included) and with checks bypassed.

``measure`` returns numbers and prints nothing; ``nox -s bench`` formats them.
The account first holds a long position in every symbol, so sells pass the
long-only SHORT_SALE check instead of skipping it, and every order takes the
full path. Per kill-switch mode (watched through inotify, or stat'ed on
every order):

- ``routed``: ``Router.submit`` into a real journal, one session transaction
  per 50 orders (as the run loop does);
- ``direct_broker``: ``PaperBroker.submit`` alone, the same way;
- ``checks_only``: ``Router.check`` alone, 20,000 orders in a row;
- ``checks_interleaved``: the same checks, one batch of 50 after each journal
  transaction (how earlier versions measured "checks"): its first check of
  each batch runs cold after a commit, about 2 % of samples.

Each figure set carries the garbage collections that ran while it was
timed, so a tail blamed on the GC can be checked; ``timer_ns`` is the cost
of the ``perf_counter_ns`` pair included in every sample.
"""

from __future__ import annotations

import gc
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from aurora_broker import Bar, BrokerConfig, Journal, OrderStatus, PaperBroker, Side, SubmitOrder
from aurora_router.reference import ReferenceBook
from aurora_router.router import Router
from aurora_safety import KillSwitch, Limits, SystemClock, TradingGovernor

__all__ = ["gc_collections", "measure", "summarize", "time_each"]

_SYMBOLS = ("AAPL", "FB", "GOOG", "IBM", "MSFT")
_HELD_SINCE = date(2013, 2, 26)
_FILLED_ON = date(2013, 2, 27)
_SESSION = date(2013, 2, 28)
_BATCH = 50  # orders per journal transaction, about one session of a daily strategy
_PRICE = 100.0
T = TypeVar("T")


def gc_collections() -> int:
    """Garbage collections run so far in this process (all generations)."""
    return sum(generation["collections"] for generation in gc.get_stats())


def summarize(samples_ns: list[int], collections_seen: int) -> dict[str, float]:
    """p50/p90/p99/mean (µs), orders/s and the GC collections counted while the samples were timed."""
    samples = sorted(samples_ns)
    total_s = sum(samples) / 1e9
    return {
        "p50_us": statistics.median(samples) / 1e3,
        "p90_us": samples[min(len(samples) - 1, int(len(samples) * 0.90))] / 1e3,
        "p99_us": samples[min(len(samples) - 1, int(len(samples) * 0.99))] / 1e3,
        "mean_us": total_s / len(samples) * 1e6,
        "orders_per_sec": len(samples) / total_s if total_s > 0 else float("inf"),
        "gc_collections": collections_seen,
    }


def time_each(fn: Callable[[T], object], items: Iterable[T], out: list[int]) -> None:
    """Append the ``perf_counter_ns`` duration of ``fn(item)`` for each item (the loop every path uses)."""
    clock = time.perf_counter_ns
    append = out.append
    for item in items:
        start = clock()
        fn(item)
        append(clock() - start)


def _timer_ns() -> float:
    clock = time.perf_counter_ns
    samples = []
    for _ in range(1000):
        start = clock()
        samples.append(clock() - start)
    return statistics.median(samples)


def _orders(prefix: str, n: int) -> list[SubmitOrder]:
    # Alternate sides so exposure stays near the held position and every order passes every check.
    return [
        SubmitOrder(
            client_order_id=f"{prefix}{i}",
            symbol=_SYMBOLS[i % 5],
            side=Side.BUY if (i // 5) % 2 == 0 else Side.SELL,
            quantity=10,
            limit_price=_PRICE,
            session=_SESSION,
        )
        for i in range(n)
    ]


def _batches(orders: list[SubmitOrder], size: int = _BATCH) -> list[list[SubmitOrder]]:
    return [orders[i : i + size] for i in range(0, len(orders), size)]


def _setup(run_dir: Path, n: int, *, watch: bool) -> tuple[Journal, PaperBroker, Router, int]:
    limits = Limits(
        max_order_notional_usd=1e12,
        max_session_orders=4 * n + 10,
        message_burst=4 * n + 10,
        max_messages_per_sec=1e6,  # the documented upper bound; a burst covers the whole batch
        max_daily_notional_usd=1e12,
        max_position_notional_usd=1e12,
        max_gross_exposure_usd=1e12,
        max_consecutive_rejects=10**6,
    )  # limits out of reach: every order takes the full path
    clock = SystemClock()
    journal = Journal.open(run_dir, "bench", clock=clock)
    broker = PaperBroker(journal, BrokerConfig(), limits, clock)
    held = 2 * n + 100  # more than the routed and direct sells of one symbol (n / 10 sells of 10 each)
    for symbol in _SYMBOLS:
        broker.submit(
            SubmitOrder(
                client_order_id=f"hold-{symbol}",
                symbol=symbol,
                side=Side.BUY,
                quantity=held,
                limit_price=_PRICE,
                session=_HELD_SINCE,
            )
        )
    bar = Bar(_PRICE, _PRICE, _PRICE, _PRICE, 1e12)
    broker.process_session(_FILLED_ON, dict.fromkeys(_SYMBOLS, bar))
    if dict(broker.positions()) != dict.fromkeys(_SYMBOLS, held):
        raise AssertionError(f"bench positions must be held, were {dict(broker.positions())}")
    now_ns = int(datetime(2013, 2, 28, 21, tzinfo=UTC).timestamp() * 1e9)
    book = ReferenceBook(_SYMBOLS)
    book.update_many(dict.fromkeys(_SYMBOLS, _PRICE), now_ns)
    kill = KillSwitch(run_dir=run_dir, cwd=run_dir, environ={})
    router = Router(
        broker,
        limits,
        kill,
        TradingGovernor.from_limits(limits),
        clock,
        book,
        watch_kill_files=watch,
    )
    return journal, broker, router, now_ns


def _one_mode(run_dir: Path, n_orders: int, *, watch: bool) -> tuple[str, dict[str, Any]]:
    journal, broker, router, now_ns = _setup(run_dir, n_orders, watch=watch)
    mode = router.kill_watch.mode

    def submit(order: SubmitOrder) -> object:
        return router.submit(order, now_ns)

    def check(order: SubmitOrder) -> object:
        rejection = router.check(order, now_ns)
        if rejection is not None:
            raise AssertionError(f"bench order {order.client_order_id} rejected: {rejection.message}")
        return rejection

    routed: list[int] = []
    direct: list[int] = []
    interleaved: list[int] = []
    spent = {"routed": 0, "direct_broker": 0, "checks_interleaved": 0}
    batches = zip(*(_batches(_orders(p, n_orders)) for p in "rdi"), strict=True)
    for routed_batch, direct_batch, check_batch in batches:
        with journal.session_transaction():  # one transaction per session-sized batch
            before = gc_collections()
            time_each(submit, routed_batch, routed)
            middle = gc_collections()
            time_each(broker.submit, direct_batch, direct)
            spent["routed"] += middle - before
            spent["direct_broker"] += gc_collections() - middle
        before = gc_collections()
        time_each(check, check_batch, interleaved)
        spent["checks_interleaved"] += gc_collections() - before
    checks: list[int] = []
    orders = _orders("c", n_orders)  # built before the clock starts, like every batch above
    before = gc_collections()
    time_each(check, orders, checks)
    spent_checks = gc_collections() - before
    accepted = sum(1 for o in broker.orders() if o.status is OrderStatus.ACCEPTED)
    if accepted != 2 * n_orders:
        raise AssertionError(f"bench orders must all be accepted, {accepted} of {2 * n_orders} were")
    journal.close()
    router.kill_watch.close()
    return mode, {
        "routed": summarize(routed, spent["routed"]),
        "direct_broker": summarize(direct, spent["direct_broker"]),
        "checks_only": summarize(checks, spent_checks),
        "checks_interleaved": summarize(interleaved, spent["checks_interleaved"]),
    }


def measure(n_orders: int = 20_000) -> dict[str, Any]:
    """Per-order p50/p90/p99 (µs) and orders/s for: routed, direct broker submit, checks alone."""
    if n_orders < 100:
        raise ValueError(f"'n_orders' must be >= 100 for a meaningful p99, was {n_orders}")
    results: dict[str, Any] = {"n_orders": n_orders, "timer_ns": _timer_ns()}
    with tempfile.TemporaryDirectory(prefix="aurora-bench-") as tmp:
        for watch in (True, False):
            run_dir = Path(tmp) / ("inotify" if watch else "stat")
            run_dir.mkdir()
            mode, figures = _one_mode(run_dir, n_orders, watch=watch)
            results[f"kill_{mode}"] = figures
    return results
