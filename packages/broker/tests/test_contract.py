"""Every registered broker kind passes the broker contract (aurora_broker.contract), against a real journal.

The ``harness`` fixture lists the implementations: one per kind in
``aurora_broker.broker_kinds()`` (the paper broker and the reference
``NextOpenBroker`` today), each built through the registry a run uses, so a
newly registered kind is held to the same contract without a new test.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path

import pytest

from aurora_broker import Bar, Broker, BrokerConfig, Journal, PaperBroker, broker_kinds, open_broker
from aurora_broker.contract import CONTRACT, Check
from aurora_safety import Limits, TestClock


class RegistryHarness:
    """Each fresh account is a new journal file in its own directory, opened as broker ``kind``."""

    def __init__(self, root: Path, kind: str) -> None:
        self.root = root
        self.kind = kind
        self.clock = TestClock()
        self.journals: dict[int, Journal] = {}

    def _open(self, directory: Path) -> Broker:
        journal = Journal.open(directory, "contract", clock=self.clock)
        broker = open_broker(self.kind, journal, BrokerConfig(), Limits(), self.clock)
        self.journals[id(broker)] = journal
        return broker

    def fresh(self) -> Broker:
        directory = self.root / f"account-{len(self.journals)}"
        directory.mkdir()
        return self._open(directory)

    def process(self, broker: Broker, session: date, bars: Mapping[str, Bar]) -> None:
        with self.journals[id(broker)].session_transaction():
            broker.process_session(session, bars)

    def reopen(self, broker: Broker) -> Broker:
        journal = self.journals[id(broker)]
        journal.close()
        return self._open(journal.path.parent)

    def close(self) -> None:
        for journal in self.journals.values():
            journal.close()


@pytest.fixture(params=broker_kinds())
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RegistryHarness]:
    built = RegistryHarness(tmp_path, request.param)
    yield built
    built.close()


def test_both_brokers_are_under_the_contract() -> None:
    """The parametrisation is not vacuous: the paper broker and a second implementation are listed."""
    assert {"paper", "next_open"} <= set(broker_kinds())


@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__)
def test_every_broker_keeps_the_contract(check: Check, harness: RegistryHarness) -> None:
    check(harness)


def test_a_broken_broker_fails_the_contract(tmp_path: Path) -> None:
    """The contract can fail: a broker that forgets its dedup after a reconnect is caught."""

    class Forgetful(RegistryHarness):
        def reopen(self, broker: Broker) -> Broker:
            again = super().reopen(broker)
            assert isinstance(again, PaperBroker)
            again._orders.clear()  # what a careless adapter would do: no order history on connect
            again._open.clear()
            return again

    harness = Forgetful(tmp_path, "paper")
    state_survives = next(c for c in CONTRACT if c.__name__ == "state_survives_a_reconnect")
    try:
        with pytest.raises(AssertionError, match="positions, open orders or cash changed across a reconnect"):
            state_survives(harness)
    finally:
        harness.close()
