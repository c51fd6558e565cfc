"""Shared values and builders of the broker tests (a unique module name: tests of several
packages may run in one pytest process, where two ``conftest`` modules would clash). Orders are
built by ``aurora_broker.testing.make_order``, shared with the router's tests; its default session
is ``D0``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from aurora_broker import PaperBroker

D0 = date(2012, 1, 3)
D1 = date(2012, 1, 4)
D2 = date(2012, 1, 5)
D3 = date(2012, 1, 6)
HASH = "cfg-hash-1"

BrokerFactory = Callable[..., PaperBroker]
