"""Fixtures for router tests: a real journal and kill switch in tmp_path, a TestClock, a reference book."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from aurora_broker import BrokerConfig, Journal, PaperBroker
from aurora_router import ListSink, ReferenceBook, Router
from aurora_safety import KillSwitch, Limits, TestClock, TradingGovernor
from router_factories import NOW_NS, REF, SYMBOLS, Rig, RigFactory

# "nightly" (nox -s l1) explores far more examples than the per-PR default.
settings.register_profile("nightly", max_examples=500, deadline=None)  # nox -s l1
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def make_rig(tmp_path: Path) -> RigFactory:
    count = 0

    def build(
        limits: Limits | None = None,
        *,
        watch: bool = True,
        allow_short: bool = False,
        governor: TradingGovernor | None = None,
        **limit_fields: object,
    ) -> Rig:
        nonlocal count
        count += 1
        run_dir = tmp_path / f"run{count}"
        run_dir.mkdir()
        limits = limits or Limits(**limit_fields)  # type: ignore[arg-type]
        clock = TestClock(0)
        journal = Journal.open(run_dir, "h", clock=clock)
        broker = PaperBroker(journal, BrokerConfig(), limits, clock)
        book = ReferenceBook(SYMBOLS)
        book.update_many(dict.fromkeys(SYMBOLS, REF), NOW_NS)
        governor = TradingGovernor.from_limits(limits) if governor is None else governor
        sink = ListSink()
        kill = KillSwitch(run_dir=run_dir, cwd=run_dir, environ={})
        router = Router(
            broker,
            limits,
            kill,
            governor,
            clock,
            book,
            sink,
            watch_kill_files=watch,
            allow_short=allow_short,
        )
        return Rig(router, broker, journal, governor, clock, book, sink, run_dir)

    return build


@pytest.fixture
def rig(make_rig: RigFactory) -> Rig:
    return make_rig()
