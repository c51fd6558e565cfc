"""Shared values and the test rig of the router tests (a unique module name, so tests of several
packages can run in one pytest process)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from aurora_broker import Journal, PaperBroker
from aurora_broker.testing import make_order as broker_make_order
from aurora_router import ListSink, ReferenceBook, Router
from aurora_safety import TestClock, TradingGovernor, TradingState, TransitionCause

SESSION = date(2013, 2, 28)
NOW_NS = 1_362_085_200 * 10**9  # 2013-02-28 21:00 UTC: the session close
SYMBOLS = ("AAPL", "MSFT", "IBM")
REF = 100.0


# The broker's order builder, at these tests' session and a size that passes every default limit.
make_order = partial(broker_make_order, quantity=10, limit_price=REF, session=SESSION)


@dataclass
class Rig:
    router: Router
    broker: PaperBroker
    journal: Journal
    governor: TradingGovernor
    clock: TestClock
    book: ReferenceBook
    sink: ListSink
    run_dir: Path


RigFactory = Callable[..., Rig]


def move_to(governor: TradingGovernor, state: TradingState) -> None:
    """Put ``governor`` in ``state`` through its own doors, as a run would: HALTED by a halt,
    ACTIVE by resetting every open breaker and an operator resume, REDUCING by a daily-loss trip
    (the default action of ``daily_loss``; a 15 % loss trips it, well short of the drawdown)."""
    global _equity_session
    if state is TradingState.HALTED:
        governor.halt(TransitionCause.RECONCILIATION, "test", 0)
        return
    for name in governor.standing().open_names:
        governor.reset_breaker(name, "test", 0)
    governor.operator_resume(0)
    if state is TradingState.REDUCING:
        for equity in (100.0, 85.0):
            _equity_session += 1
            governor.on_equity(equity, f"test-{_equity_session}", 0)
    assert governor.state is state, (governor.state, state)


_equity_session = 0
