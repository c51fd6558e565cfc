"""The package re-exports exactly its public API."""

from __future__ import annotations

import aurora_router


def test_every_exported_name_exists_and_is_sorted_by_kind() -> None:
    for name in aurora_router.__all__:
        assert getattr(aurora_router, name) is not None
    assert len(set(aurora_router.__all__)) == len(aurora_router.__all__)


def test_nothing_private_is_exported() -> None:
    assert not [n for n in aurora_router.__all__ if n.startswith("_")]


def test_route_feedback_api_is_public() -> None:
    for name in ("RouteSummary", "TripRecord", "RESULT_COLUMNS", "Router", "read_orders", "write_results"):
        assert name in aurora_router.__all__, name
    assert aurora_router.RESULT_COLUMNS == ("client_order_id", "status", "reason", "detail")
