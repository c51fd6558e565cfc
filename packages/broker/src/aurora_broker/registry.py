"""Which broker a run trades through, by name: ``[broker] kind`` in the run config.

A kind maps to a factory that builds a ``Broker`` over the run's journal,
costs, limits and event clock (zipline registers data bundles the same way).
The paper broker (``"paper"``, the default) and the reference
``NextOpenBroker`` (``"next_open"``) are registered here; an adapter
registers its own kind before the config is read. Names are checked when the
config is validated, so an unknown kind is a config error, not a crash later.
"""

from __future__ import annotations

from collections.abc import Callable

from aurora_broker.config import BrokerConfig
from aurora_broker.interface import Broker
from aurora_broker.journal import Journal
from aurora_broker.nextopen import NextOpenBroker
from aurora_broker.paper import PaperBroker
from aurora_safety import Clock, Limits

__all__ = ["DEFAULT_BROKER_KIND", "BrokerFactory", "broker_kinds", "open_broker", "register_broker"]

DEFAULT_BROKER_KIND = "paper"

BrokerFactory = Callable[[Journal, BrokerConfig, Limits, Clock], Broker]

_FACTORIES: dict[str, BrokerFactory] = {}


def register_broker(kind: str, factory: BrokerFactory) -> None:
    """Make ``kind`` selectable; a kind is registered once (a second registration is a bug, refused)."""
    if not kind or not kind.isidentifier():
        raise ValueError(f"broker kind must be a non-empty identifier, got {kind!r}")
    if kind in _FACTORIES:
        raise ValueError(f"broker kind {kind!r} is already registered")
    _FACTORIES[kind] = factory


def broker_kinds() -> tuple[str, ...]:
    """Every registered kind, sorted."""
    return tuple(sorted(_FACTORIES))


def open_broker(kind: str, journal: Journal, config: BrokerConfig, limits: Limits, clock: Clock) -> Broker:
    """The broker of ``kind`` over ``journal``; an unregistered kind raises ``KeyError`` naming the known ones."""
    factory = _FACTORIES.get(kind)
    if factory is None:
        raise KeyError(f"unknown broker kind {kind!r} (known: {', '.join(broker_kinds())})")
    return factory(journal, config, limits, clock)


register_broker(DEFAULT_BROKER_KIND, PaperBroker)
register_broker("next_open", NextOpenBroker)
