"""The [universe] filter: names that fail min history, price or dollar volume are kept out of decisions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from aurora_e2d.research.decisions import decide, target_weights
from aurora_e2d.research.universe import ExclusionReason, universe_exclusions
from aurora_e2d.rundir.config import load_config
from aurora_safety import ConfigError

DAYS = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(6)]


def bars(symbol: str, closes: list[float], volumes: list[int], start: int = 0) -> pl.DataFrame:
    days = DAYS[start : start + len(closes)]
    return pl.DataFrame({"symbol": [symbol] * len(days), "date": days, "close": closes, "volume": volumes})


def exclusions(frame: pl.DataFrame, **overrides: float) -> dict[tuple[str, dt.date], str | None]:
    params = {"min_price": 0.01, "min_dollar_volume": 1_000.0, "dollar_volume_window_sessions": 3}
    params |= {"min_history_sessions": 2} | overrides
    out = universe_exclusions(frame, **params)  # type: ignore[arg-type]
    assert out["exclusion"].null_count() == 0  # only the excluded bars have a row
    found = {(s, d): e for s, d, e in out.iter_rows()}
    return {(s, d): found.get((s, d)) for s, d in frame.select("symbol", "date").iter_rows()}


def test_each_reason_in_order_with_data_up_to_the_session_only() -> None:
    frame = pl.concat(
        [
            bars("OK", [10.0] * 6, [1_000] * 6),
            bars("PENNY", [0.009, 0.009, 0.02, 0.02, 0.02, 0.02], [10**6] * 6),
            bars("THIN", [10.0] * 6, [1_000, 1_000, 1_000, 10, 10, 1_000]),
            bars("NEW", [10.0] * 2, [1_000] * 2, start=4),
        ]
    )
    got = exclusions(frame)
    history, price, volume = (r.value for r in ExclusionReason)
    assert [got[("OK", d)] for d in DAYS] == [history, None, None, None, None, None]
    assert [got[("PENNY", d)] for d in DAYS] == [history, price, None, None, None, None]
    # the median of the last 3 sessions' close x volume: 10k, 10k, 10k, 10k, 100, 100
    assert [got[("THIN", d)] for d in DAYS] == [history, None, None, None, volume, volume]
    assert [got[("NEW", d)] for d in DAYS[4:]] == [history, None]


def test_bars_in_key_order_are_not_sorted_again_and_give_what_any_order_gives() -> None:
    """The bars artifact is sorted by (symbol, date), so the filter skips its sort (a copy of 5-25 M
    rows); any other order is sorted first: the same exclusions, rows and order either way."""
    frame = pl.concat(
        [
            bars("A", [10.0] * 6, [1_000] * 6),
            bars("B", [0.009, 0.02, 0.02, 0.02, 0.02, 0.02], [10**6] * 6),
            bars("C", [10.0] * 6, [1_000, 1_000, 1_000, 10, 10, 1_000]),
        ]
    )
    params = {"min_price": 0.01, "min_dollar_volume": 1_000.0, "dollar_volume_window_sessions": 3}
    params |= {"min_history_sessions": 2}
    in_order = universe_exclusions(frame, **params)  # type: ignore[arg-type]
    for seed in range(3):
        shuffled = frame.sample(fraction=1.0, shuffle=True, seed=seed)
        assert universe_exclusions(shuffled, **params).equals(in_order)  # type: ignore[arg-type]
    assert in_order.height == 3 + 2  # each name's first bar (history; B's penny day too), C's 2 thin days


def test_excluded_names_rank_after_eligible_ones_and_get_no_weight() -> None:
    sessions = np.array([1, 1, 1])
    symbols = np.array(["A", "B", "C"])
    rank, weight, vetoed, reason = target_weights(
        sessions,
        symbols,
        np.array([0.3, 0.2, 0.1]),
        top_k=2,
        exclusion=np.array(["universe_min_price", None, None], dtype=object),
    )
    assert rank.tolist() == [3, 1, 2]
    assert weight.tolist() == [0.0, 0.5, 0.5]
    assert vetoed.tolist() == [True, False, False]
    assert reason.tolist() == ["universe_min_price", None, None]


def test_a_session_with_no_eligible_name_decides_nothing() -> None:
    _, weight, _, _ = target_weights(
        np.array([1]), np.array(["A"]), np.array([0.3]), exclusion=np.array(["x"], dtype=object)
    )
    assert weight.tolist() == [0.0]


def test_decide_takes_the_exclusions_by_symbol_and_date() -> None:
    ts = dt.datetime(2020, 1, 2, 21, tzinfo=dt.UTC)
    predictions = pl.DataFrame(
        {"symbol": ["A", "B"], "date": [DAYS[1]] * 2, "ts": [ts] * 2, "prediction": [0.2, 0.1]},
        schema_overrides={"prediction": pl.Float32},
    )
    excluded = pl.DataFrame({"symbol": ["A"], "date": [DAYS[1]], "exclusion": ["universe_min_dollar_volume"]})
    out = decide(predictions, top_k=1, max_weight=1.0, exclusions=excluded)
    assert out.select("symbol", "rank", "target_weight", "veto_reason").rows() == [
        ("A", 2, 0.0, "universe_min_dollar_volume"),
        ("B", 1, 1.0, None),
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("min_price", 0.0),
        ("min_dollar_volume", -1.0),
        ("min_history_sessions", 0),
        ("min_price", float("inf")),
    ],
)
def test_a_disabled_filter_is_refused(tmp_path, field, value) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f"[universe]\n{field} = {value!r}\n")
    with pytest.raises(ConfigError, match=rf"'universe\.{field}'"):
        load_config(path)


def test_the_defaults_are_finite_and_positive() -> None:
    universe = load_config(None).universe
    assert universe.min_price == 0.01
    assert universe.min_dollar_volume == 100_000.0
    assert universe.dollar_volume_window_sessions == 21
    assert universe.min_history_sessions == 63


def test_a_limit_offset_beyond_the_price_band_is_refused(tmp_path) -> None:
    """Every planned order would be refused PRICE_BAND, and the rejection streak would halt the run."""
    path = tmp_path / "c.toml"
    path.write_text("[execution]\nlimit_offset_bps = 1500.0\n[limits]\nprice_band_bps = 1000.0\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"'execution.limit_offset_bps' must be <= limits.price_band_bps (1000.0), was 1500.0 ({path})"
    )
