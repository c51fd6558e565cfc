"""The broker registry: which kinds a run config may name, and what each builds."""

from __future__ import annotations

from pathlib import Path

import pytest

from aurora_broker import (
    DEFAULT_BROKER_KIND,
    Broker,
    BrokerConfig,
    Journal,
    NextOpenBroker,
    PaperBroker,
    broker_kinds,
    open_broker,
    register_broker,
)
from aurora_broker import registry as registry_module
from aurora_safety import Clock, Limits, TestClock
from broker_factories import HASH


def test_the_default_kind_is_the_paper_broker_and_next_open_is_registered(journal: Journal) -> None:
    clock = TestClock()
    assert DEFAULT_BROKER_KIND == "paper"
    assert broker_kinds() == ("next_open", "paper")
    assert type(open_broker("paper", journal, BrokerConfig(), Limits(), clock)) is PaperBroker
    assert type(open_broker("next_open", journal, BrokerConfig(), Limits(), clock)) is NextOpenBroker


def test_an_unknown_kind_names_the_known_ones(journal: Journal) -> None:
    with pytest.raises(KeyError, match=r"unknown broker kind 'ib' \(known: next_open, paper\)"):
        open_broker("ib", journal, BrokerConfig(), Limits(), TestClock())


def test_a_registered_kind_is_built_by_its_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A private copy of the table: the kinds registered here must not leak into other tests.
    monkeypatch.setattr(registry_module, "_FACTORIES", dict(registry_module._FACTORIES))
    built: list[Broker] = []

    def factory(journal: Journal, config: BrokerConfig, limits: Limits, clock: Clock) -> Broker:
        broker = PaperBroker(journal, config, limits, clock)
        built.append(broker)
        return broker

    register_broker("sandbox", factory)
    assert "sandbox" in broker_kinds()
    with Journal.open(tmp_path, HASH, clock=TestClock()) as journal:
        assert open_broker("sandbox", journal, BrokerConfig(), Limits(), TestClock()) is built[0]
    with pytest.raises(ValueError, match="'sandbox' is already registered"):
        register_broker("sandbox", factory)
    with pytest.raises(ValueError, match="non-empty identifier"):
        register_broker("bad kind", factory)
