"""The paper broker passes the broker contract (aurora_broker.contract), against a real journal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pytest

from aurora_broker import Bar, Broker, BrokerConfig, Journal, PaperBroker
from aurora_broker.contract import CONTRACT, Check
from aurora_safety import Limits, TestClock


class PaperHarness:
    """Each fresh account is a new journal file in its own directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.clock = TestClock()
        self.journals: list[Journal] = []

    def _open(self, directory: Path) -> PaperBroker:
        journal = Journal.open(directory, "contract", clock=self.clock)
        self.journals.append(journal)
        return PaperBroker(journal, BrokerConfig(), Limits(), self.clock)

    def fresh(self) -> Broker:
        directory = self.root / f"account-{len(self.journals)}"
        directory.mkdir()
        return self._open(directory)

    def process(self, broker: Broker, session: date, bars: Mapping[str, Bar]) -> None:
        assert isinstance(broker, PaperBroker)
        with broker.journal.session_transaction():
            broker.process_session(session, bars)

    def reopen(self, broker: Broker) -> Broker:
        assert isinstance(broker, PaperBroker)
        broker.journal.close()
        return self._open(broker.journal.path.parent)

    def close(self) -> None:
        for journal in self.journals:
            journal.close()


@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__)
def test_the_paper_broker_keeps_the_contract(check: Check, tmp_path: Path) -> None:
    harness = PaperHarness(tmp_path)
    try:
        check(harness)
    finally:
        harness.close()


def test_a_broken_broker_fails_the_contract(tmp_path: Path) -> None:
    """The contract can fail: a broker that forgets its dedup after a reconnect is caught."""

    class Forgetful(PaperHarness):
        def reopen(self, broker: Broker) -> Broker:
            again = super().reopen(broker)
            assert isinstance(again, PaperBroker)
            again._orders.clear()  # what a careless adapter would do: no order history on connect
            again._open.clear()
            return again

    harness = Forgetful(tmp_path)
    state_survives = next(c for c in CONTRACT if c.__name__ == "state_survives_a_reconnect")
    try:
        with pytest.raises(AssertionError, match="positions, open orders or cash changed across a reconnect"):
            state_survives(harness)
    finally:
        harness.close()
