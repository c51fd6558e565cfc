"""Router benchmark: Aurora's pre-trade checks side by side with NautilusTrader's RiskEngine.

    python benchmarks/bench_router.py [--orders 20000] [--repeats 3] [--json reports/bench-router.json]

Figures only, no pass/fail. In ONE process, so both sides meet the same
machine load, each repeat measures:

- Aurora ``aurora_router.bench.measure``: ``Router.check`` alone (every check
  of DESIGN.md §3, kill switch through the inotify watch) and ``Router.submit``
  routed into a real journal, and the same with the kill files stat'ed;
- NautilusTrader 1.221.0 ``RiskEngine.execute(SubmitOrder)``: its pre-trade
  checks, then routing through the ``ExecutionEngine`` to a
  ``MockExecutionClient`` (a cash account at the venue, a max notional per
  order, a submit rate limit above the order count); orders and commands
  built before the clock starts; and the same with ``bypass=True`` (routing
  only), so execute minus bypass is what its checks cost.

Every path is timed by the same loop (``aurora_router.bench.time_each``: a
``perf_counter_ns`` pair around each call). Reported per path: p50, p90,
p99 and p99/p50 (the tail), each the median over the repeats; the Aurora /
Nautilus p50 ratios; the load average around the run, since other work on
the machine moves every figure.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _report import write_report

from aurora_router.bench import gc_collections, measure, summarize, time_each

NAUTILUS_VERSION = "1.221.0"


def _nautilus(n_orders: int, *, bypass: bool) -> dict[str, Any]:
    """One timed run of ``RiskEngine.execute`` over ``n_orders`` prebuilt SubmitOrder commands."""
    from nautilus_trader.cache.cache import Cache
    from nautilus_trader.common.component import MessageBus, TestClock
    from nautilus_trader.common.factories import OrderFactory
    from nautilus_trader.core.uuid import UUID4
    from nautilus_trader.execution.config import ExecEngineConfig
    from nautilus_trader.execution.engine import ExecutionEngine
    from nautilus_trader.execution.messages import SubmitOrder
    from nautilus_trader.model.currencies import USD
    from nautilus_trader.model.enums import AccountType, OrderSide, OrderStatus
    from nautilus_trader.model.identifiers import AccountId, ClientId, StrategyId, TraderId, Venue
    from nautilus_trader.model.objects import Price, Quantity
    from nautilus_trader.portfolio.portfolio import Portfolio
    from nautilus_trader.risk.config import RiskEngineConfig
    from nautilus_trader.risk.engine import RiskEngine
    from nautilus_trader.test_kit.mocks.exec_clients import MockExecutionClient
    from nautilus_trader.test_kit.providers import TestInstrumentProvider
    from nautilus_trader.test_kit.stubs.events import TestEventStubs

    clock = TestClock()
    trader = TraderId("BENCH-001")
    strategy = StrategyId("S-001")
    msgbus = MessageBus(trader_id=trader, clock=clock)
    cache = Cache(database=None)
    portfolio = Portfolio(msgbus=msgbus, cache=cache, clock=clock)
    instrument = TestInstrumentProvider.equity("AAPL", "XNAS")
    cache.add_instrument(instrument)
    exec_engine = ExecutionEngine(msgbus=msgbus, cache=cache, clock=clock, config=ExecEngineConfig())
    risk = RiskEngine(
        portfolio=portfolio,
        msgbus=msgbus,
        cache=cache,
        clock=clock,
        config=RiskEngineConfig(
            bypass=bypass,
            max_order_submit_rate=f"{2 * n_orders}/00:00:01",  # the test clock stands still: one window
            max_notional_per_order={str(instrument.id): 1_000_000},
        ),
    )
    client = MockExecutionClient(
        client_id=ClientId("XNAS"),
        venue=Venue("XNAS"),
        account_type=AccountType.CASH,
        base_currency=USD,
        msgbus=msgbus,
        cache=cache,
        clock=clock,
    )
    exec_engine.register_client(client)
    portfolio.update_account(TestEventStubs.cash_account_state(account_id=AccountId("XNAS-001")))
    exec_engine.start()
    risk.start()
    client.start()
    factory = OrderFactory(trader_id=trader, strategy_id=strategy, clock=clock)
    quantity, price = Quantity.from_int(10), Price.from_str("100.00")
    commands = [
        SubmitOrder(
            trader_id=trader,
            strategy_id=strategy,
            order=factory.limit(
                instrument.id, OrderSide.BUY if (i // 5) % 2 == 0 else OrderSide.SELL, quantity, price
            ),
            command_id=UUID4(),
            ts_init=0,
        )
        for i in range(n_orders)
    ]
    samples: list[int] = []
    before = gc_collections()
    time_each(risk.execute, commands, samples)
    spent = gc_collections() - before
    denied = sum(1 for order in cache.orders() if order.status == OrderStatus.DENIED)
    if len(client.commands) != n_orders or denied:
        raise AssertionError(
            f"every Nautilus order must reach the client: {len(client.commands)} of {n_orders}, {denied} denied"
        )
    return summarize(samples, spent)


def _tail(figures: dict[str, float]) -> float:
    return figures["p99_us"] / figures["p50_us"]


def _median_figures(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/bench_router.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--orders", type=int, default=20_000, help="orders per path and repeat (default 20000)"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="repeats; each figure is their median (default 3)"
    )
    parser.add_argument(
        "--json", type=Path, default=Path("reports/bench-router.json"), help="JSON output path"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.orders < 100 or args.repeats < 1:
        print("bench_router: --orders must be >= 100 and --repeats >= 1", file=sys.stderr)
        return 2
    try:
        import nautilus_trader
    except ImportError:
        print(
            f"bench_router: nautilus_trader is not installed (`nox -s bench -- router` installs {NAUTILUS_VERSION})",
            file=sys.stderr,
        )
        return 2
    load_start = os.getloadavg()
    started = time.perf_counter()
    paths: dict[str, list[dict[str, float]]] = {}
    aurora_runs = []
    for repeat in range(args.repeats):
        print(
            f"[router] repeat {repeat + 1}/{args.repeats}: Aurora, Nautilus execute, Nautilus bypass ...",
            flush=True,
        )
        aurora = measure(args.orders)
        aurora_runs.append(aurora)
        for mode in ("kill_inotify", "kill_stat"):
            for path, figures in aurora.get(mode, {}).items():
                paths.setdefault(f"aurora {path} ({mode})", []).append(figures)
        paths.setdefault("nautilus execute", []).append(_nautilus(args.orders, bypass=False))
        paths.setdefault("nautilus execute bypass", []).append(_nautilus(args.orders, bypass=True))
    load_end = os.getloadavg()
    figures = {name: _median_figures(runs) for name, runs in paths.items()}
    checks = figures["aurora checks_only (kill_inotify)"]
    routed = figures["aurora routed (kill_inotify)"]
    execute = figures["nautilus execute"]
    bypass = figures["nautilus execute bypass"]
    ratios = {
        "aurora_checks_p50_over_nautilus_execute_p50": checks["p50_us"] / execute["p50_us"],
        "aurora_checks_p50_over_nautilus_bypass_p50": checks["p50_us"] / bypass["p50_us"],
        "aurora_routed_p50_over_nautilus_execute_p50": routed["p50_us"] / execute["p50_us"],
        "nautilus_checks_cost_us": execute["p50_us"] - bypass["p50_us"],
        "tails_p99_over_p50": {name: _tail(f) for name, f in figures.items()},
    }
    print()
    print(
        f"[router] {args.orders} orders per path, median of {args.repeats} repeat(s), one process; "
        f"load average {load_start[0]:.1f} at start, {load_end[0]:.1f} at end; "
        f"timer pair {statistics.median(run['timer_ns'] for run in aurora_runs):.0f} ns in every sample"
    )
    print(f"[router]   {'path':<46} {'p50 us':>8} {'p90 us':>8} {'p99 us':>8} {'p99/p50':>8} {'GC runs':>8}")
    for name, f in figures.items():
        print(
            f"[router]   {name:<46} {f['p50_us']:8.2f} {f['p90_us']:8.2f} {f['p99_us']:8.2f} "
            f"{_tail(f):8.1f} {f['gc_collections']:8.0f}"
        )
    print(
        f"[router] Aurora checks / Nautilus execute, p50: {ratios['aurora_checks_p50_over_nautilus_execute_p50']:.2f}"
    )
    print(
        f"[router] Aurora checks / Nautilus bypass (routing only), p50: {ratios['aurora_checks_p50_over_nautilus_bypass_p50']:.2f}"
    )
    print(
        f"[router] Aurora routed with journal / Nautilus execute, p50: {ratios['aurora_routed_p50_over_nautilus_execute_p50']:.2f}"
    )
    print(
        f"[router] Nautilus checks cost (execute - bypass, p50): {ratios['nautilus_checks_cost_us']:.2f} us"
    )
    report = {
        "benchmark": "router",
        "note": "figures, not pass/fail; both sides measured in one process with the same timing loop",
        "n_orders": args.orders,
        "repeats": args.repeats,
        "nautilus_trader": nautilus_trader.__version__,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_start": load_start,
            "loadavg_end": load_end,
        },
        "figures": figures,
        "ratios": ratios,
        "runs": {name: runs for name, runs in paths.items()},
        "wall_s": time.perf_counter() - started,
    }
    write_report(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
