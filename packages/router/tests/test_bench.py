"""The benchmark runs and reports the figures ``nox -s bench`` prints."""

from __future__ import annotations

import pytest

from aurora_router.bench import measure

FIGURES = {"p50_us", "p90_us", "p99_us", "mean_us", "orders_per_sec", "gc_collections"}
PATHS = {"routed", "direct_broker", "checks_only", "checks_interleaved"}


def test_measure_reports_every_path() -> None:
    result = measure(200)
    assert result["n_orders"] == 200
    assert 0 < result["timer_ns"] < 100_000
    modes = {k for k in result if k.startswith("kill_")}
    assert "kill_stat" in modes
    for mode in modes:
        assert set(result[mode]) == PATHS
        for path in PATHS:
            figures = result[mode][path]
            assert set(figures) == FIGURES
            assert 0 < figures["p50_us"] <= figures["p90_us"] <= figures["p99_us"]
            assert figures["gc_collections"] >= 0


def test_too_few_orders_is_refused() -> None:
    with pytest.raises(ValueError, match="'n_orders' must be >= 100"):
        measure(10)
