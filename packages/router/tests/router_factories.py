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
from aurora_safety import BreakerBoard, TestClock, TradingStateMachine

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
    state: TradingStateMachine
    breakers: BreakerBoard
    clock: TestClock
    book: ReferenceBook
    sink: ListSink
    run_dir: Path


RigFactory = Callable[..., Rig]
