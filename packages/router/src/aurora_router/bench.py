"""Router cost per order, with every check (kill switch included) and with checks bypassed.

``measure`` returns numbers and prints nothing; ``nox -s bench`` formats them.
Both paths write to a real journal inside one session transaction, as the
run loop does, so "routed" minus "direct" is what the checks cost. "checks"
times the checks alone (no broker), with the kill switch watched through
inotify and, for comparison, stat'ed on every order.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from aurora_broker import BrokerConfig, Journal, OrderStatus, PaperBroker, Side, SubmitOrder
from aurora_router.reference import ReferenceBook
from aurora_router.router import Router
from aurora_safety import BreakerBoard, KillSwitch, Limits, SystemClock, TradingStateMachine

__all__ = ["measure"]

_SYMBOLS = ("AAPL", "FB", "GOOG", "IBM", "MSFT")
_SESSION = date(2013, 2, 28)
_BATCH = 50  # orders per journal transaction, about one session of a daily strategy


def _stats(samples_ns: list[int]) -> dict[str, float]:
    samples = sorted(samples_ns)
    total_s = sum(samples) / 1e9
    return {
        "p50_us": statistics.median(samples) / 1e3,
        "p99_us": samples[min(len(samples) - 1, int(len(samples) * 0.99))] / 1e3,
        "mean_us": total_s / len(samples) * 1e6,
        "orders_per_sec": len(samples) / total_s if total_s > 0 else float("inf"),
    }


def _timed(fn: Callable[[SubmitOrder], object], orders: list[SubmitOrder]) -> list[int]:
    clock = time.perf_counter_ns
    samples = []
    for order in orders:
        start = clock()
        fn(order)
        samples.append(clock() - start)
    return samples


def _orders(prefix: str, n: int) -> list[SubmitOrder]:
    # Alternate sides so exposure stays flat and every order passes every check.
    return [
        SubmitOrder(
            client_order_id=f"{prefix}{i}",
            symbol=_SYMBOLS[i % 5],
            side=Side.BUY if (i // 5) % 2 == 0 else Side.SELL,
            quantity=10,
            limit_price=100.0,
            session=_SESSION,
        )
        for i in range(n)
    ]


def _batches(orders: list[SubmitOrder], size: int = _BATCH) -> list[list[SubmitOrder]]:
    return [orders[i : i + size] for i in range(0, len(orders), size)]


def _setup(run_dir: Path, n: int, *, watch: bool) -> tuple[Journal, PaperBroker, Router, int]:
    limits = Limits(
        max_session_orders=4 * n + 10,
        message_burst=4 * n + 10,
        max_messages_per_sec=1e9,
        max_daily_notional_usd=1e12,
        max_position_notional_usd=1e12,
        max_gross_exposure_usd=1e13,
        max_consecutive_rejects=10**6,
    )  # limits out of reach: every order takes the full path
    clock = SystemClock()
    journal = Journal.open(run_dir, "bench", clock=clock)
    broker = PaperBroker(journal, BrokerConfig(), limits, clock)
    now_ns = int(datetime(2013, 2, 28, 21, tzinfo=UTC).timestamp() * 1e9)
    book = ReferenceBook(_SYMBOLS)
    book.update_many(dict.fromkeys(_SYMBOLS, 100.0), now_ns)
    kill = KillSwitch(run_dir=run_dir, cwd=run_dir, environ={})
    router = Router(
        broker,
        limits,
        kill,
        TradingStateMachine(),
        BreakerBoard.from_limits(limits),
        clock,
        book,
        watch_kill_files=watch,
    )
    return journal, broker, router, now_ns


def measure(n_orders: int = 20_000) -> dict[str, Any]:
    """Per-order p50/p99 (µs) and orders/s for: routed, direct broker submit, checks alone."""
    if n_orders < 100:
        raise ValueError(f"'n_orders' must be >= 100 for a meaningful p99, was {n_orders}")
    results: dict[str, Any] = {"n_orders": n_orders}
    with tempfile.TemporaryDirectory(prefix="aurora-bench-") as tmp:
        for watch in (True, False):
            run_dir = Path(tmp) / ("inotify" if watch else "stat")
            run_dir.mkdir()
            journal, broker, router, now_ns = _setup(run_dir, n_orders, watch=watch)
            mode = router.kill_watch.mode
            routed: list[int] = []
            direct: list[int] = []
            checks: list[int] = []
            batches = zip(*(_batches(_orders(p, n_orders)) for p in "rdc"), strict=True)
            for routed_batch, direct_batch, check_batch in batches:
                with journal.session_transaction():  # one transaction per session-sized batch
                    routed += _timed(partial(router.submit, now_ns=now_ns), routed_batch)
                    direct += _timed(broker.submit, direct_batch)
                checks += _timed(partial(router._check, now_ns=now_ns), check_batch)
            accepted = sum(1 for o in broker.orders() if o.status is OrderStatus.ACCEPTED)
            if accepted != 2 * n_orders:
                raise AssertionError(f"bench orders must all be accepted, {accepted} of {2 * n_orders} were")
            results[f"kill_{mode}"] = {
                "routed": _stats(routed),
                "direct_broker": _stats(direct),
                "checks_only": _stats(checks),
            }
            journal.close()
    return results
