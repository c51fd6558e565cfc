"""The package re-exports exactly its public API."""

from __future__ import annotations

import aurora_broker


def _kind(name: str) -> int:
    """ruff's RUF022 order: SCREAMING_CASE constants, then CamelCase classes, then functions."""
    if name.isupper():
        return 0
    return 1 if name[0].isupper() else 2


def test_every_exported_name_exists_and_is_sorted_by_kind() -> None:
    names = aurora_broker.__all__
    for name in names:
        assert getattr(aurora_broker, name) is not None
    assert len(set(names)) == len(names)
    assert names == sorted(names, key=lambda n: (_kind(n), n)), "__all__ is not sorted by kind, then name"
    assert [_kind(n) for n in names[:2]] == [0, 0]  # the sort is not vacuous: constants lead
    assert _kind(names[-1]) == 2


def test_nothing_private_is_exported() -> None:
    assert not [n for n in aurora_broker.__all__ if n.startswith("_")]
