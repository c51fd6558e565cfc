"""The package re-exports exactly its public API."""

from __future__ import annotations

import aurora_broker


def test_every_exported_name_exists_and_is_sorted_by_kind() -> None:
    for name in aurora_broker.__all__:
        assert getattr(aurora_broker, name) is not None
    assert len(set(aurora_broker.__all__)) == len(aurora_broker.__all__)


def test_nothing_private_is_exported() -> None:
    assert not [n for n in aurora_broker.__all__ if n.startswith("_")]
