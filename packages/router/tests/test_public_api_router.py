"""The package re-exports exactly its public API."""

from __future__ import annotations

import aurora_router


def test_every_exported_name_exists_and_is_sorted_by_kind() -> None:
    for name in aurora_router.__all__:
        assert getattr(aurora_router, name) is not None
    assert len(set(aurora_router.__all__)) == len(aurora_router.__all__)


def test_nothing_private_is_exported() -> None:
    assert not [n for n in aurora_router.__all__ if n.startswith("_")]
