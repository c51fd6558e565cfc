"""Fixtures for broker tests: real journals in tmp_path, injected clocks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from aurora_broker import BrokerConfig, Journal, PaperBroker
from aurora_safety import Limits, TestClock
from broker_factories import HASH, BrokerFactory

# "nightly" (nox -s l1) explores far more examples than the per-PR default.
settings.register_profile("nightly", max_examples=500, deadline=None)  # nox -s l1
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def clock() -> TestClock:
    return TestClock(1_000)


@pytest.fixture
def journal(tmp_path: Path, clock: TestClock) -> Iterator[Journal]:
    j = Journal.open(tmp_path, HASH, clock=clock)
    yield j
    j.close()


@pytest.fixture
def make_broker(journal: Journal, clock: TestClock) -> BrokerFactory:
    def build(limits: Limits | None = None, **config: object) -> PaperBroker:
        return PaperBroker(journal, BrokerConfig(**config), limits or Limits(), clock)  # type: ignore[arg-type]

    return build


@pytest.fixture
def broker(make_broker: BrokerFactory) -> PaperBroker:
    return make_broker(slippage_bps=0.0, commission_per_share_usd=0.0, min_commission_usd=0.0)
