"""Stage 8 (interim): the frictionless portfolio."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from _modelling_fixtures import real_data, synthetic_bars, synthetic_features
from aurora_e2d.report import metrics
from aurora_e2d.report.portfolio import SIMULATED_EQUITY_SCHEMA, STARTING_EQUITY_USD, simulate
from aurora_e2d.research.decisions import decide

D = [dt.date(2010, 1, 4), dt.date(2010, 1, 5), dt.date(2010, 1, 6), dt.date(2010, 1, 7)]


def ts(d):
    return dt.datetime.combine(d, dt.time(21), tzinfo=dt.UTC)


def decisions(rows):
    """rows: (date, symbol, weight)."""
    return pl.DataFrame(
        {
            "date": [r[0] for r in rows],
            "ts": [ts(r[0]) for r in rows],
            "symbol": [r[1] for r in rows],
            "target_weight": [r[2] for r in rows],
        },
        schema_overrides={"ts": pl.Datetime("us", "UTC")},
    )


def bars(closes):
    """closes: {symbol: [close_tr per D]} (None = no bar)."""
    rows = [(s, d, c) for s, cs in closes.items() for d, c in zip(D, cs, strict=False) if c is not None]
    return pl.DataFrame(
        {"symbol": [r[0] for r in rows], "date": [r[1] for r in rows], "close_tr": [r[2] for r in rows]}
    )


BARS = bars({"A": [100.0, 110.0, 99.0, 99.0], "B": [50.0, 50.0, 55.0, 55.0]})


def test_hand_computed_two_symbols():
    out = simulate(
        decisions(
            [
                (D[0], "A", 0.5),
                (D[0], "B", 0.5),
                (D[1], "A", 0.0),
                (D[1], "B", 1.0),
                (D[2], "A", 0.5),
                (D[2], "B", 0.0),
            ]
        ),
        BARS,
    )
    assert out.columns == SIMULATED_EQUITY_SCHEMA.names
    assert out["date"].to_list() == D[:3]
    r = out["daily_return"].to_list()
    assert r[0] is None
    assert r[1] == pytest.approx(0.5 * 0.1 + 0.5 * 0.0, abs=1e-15)
    assert r[2] == pytest.approx(1.0 * 0.1, abs=1e-15)  # A's -10% is not held
    assert out["equity"].to_list() == pytest.approx([STARTING_EQUITY_USD, 1.05e6, 1.155e6], rel=1e-15)
    assert out["gross_exposure"].to_list() == [1.0, 1.0, 0.5]
    assert out["turnover"].to_list() == [0.5, 0.5, 0.75]
    assert out.to_arrow().cast(SIMULATED_EQUITY_SCHEMA).num_rows == 3


def test_a_gap_between_decisions_is_held_through():
    out = simulate(decisions([(D[0], "A", 1.0), (D[2], "A", 1.0)]), BARS)
    assert out["daily_return"].to_list()[1] == pytest.approx(-0.01, abs=1e-15)


def test_missing_bar_of_a_held_symbol_refused():
    b = bars({"A": [100.0, None, 99.0, 99.0], "B": [50.0, 50.0, 55.0, 55.0]})
    with pytest.raises(
        ValueError, match=r"no close_tr for held symbol 'A' between 2010-01-04 and 2010-01-05"
    ):
        simulate(decisions([(D[0], "A", 0.5), (D[0], "B", 0.5), (D[1], "A", 0.0), (D[1], "B", 1.0)]), b)


def test_missing_bar_of_an_unheld_symbol_is_fine():
    b = bars({"A": [100.0, None, 99.0, 99.0], "B": [50.0, 50.0, 55.0, 55.0]})
    out = simulate(decisions([(D[0], "A", 0.0), (D[0], "B", 1.0), (D[1], "B", 1.0)]), b)
    assert out["daily_return"].to_list()[1] == 0.0


def test_empty_and_bad_start():
    assert (
        simulate(
            decisions([]).cast({"date": pl.Date, "symbol": pl.String, "target_weight": pl.Float64}), BARS
        ).columns
        == SIMULATED_EQUITY_SCHEMA.names
    )
    with pytest.raises(ValueError, match=r"'starting_equity_usd' must be > 0, was 0\.0"):
        simulate(decisions([(D[0], "A", 1.0)]), BARS, starting_equity_usd=0.0)


def test_equity_is_the_compounded_returns_and_metrics_run():
    features = synthetic_features(start=dt.date(2001, 1, 1), end=dt.date(2001, 12, 31))
    preds = features.select("symbol", "date", "ts", prediction=pl.col("mom_5"))
    out = simulate(decide(preds), synthetic_bars(features))
    r = out["daily_return"].to_numpy()[1:]
    eq = out["equity"].to_numpy()
    assert np.allclose(eq[1:] / eq[:-1] - 1.0, r, rtol=0, atol=1e-12)
    assert (out["gross_exposure"] <= 1.0 + 1e-12).all()
    assert 0.0 <= metrics.turnover(out["turnover"].to_numpy()) <= 1.0
    assert metrics.max_drawdown(r) <= 0.0


def test_real_bars_with_a_perfect_foresight_strategy():
    _features, real_bars, _, _ = real_data()
    # Predicting the next session's return exactly: each session earns the mean of its two best next returns.
    nxt = real_bars.sort("symbol", "date").with_columns(
        prediction=(pl.col("close_tr").shift(-1) / pl.col("close_tr") - 1.0).over("symbol")
    )
    preds = nxt.filter(pl.col("date").dt.year() == 2010).select("symbol", "date", "ts", "prediction")
    out = simulate(decide(preds), real_bars)
    best_two = preds.group_by("date").agg(pl.col("prediction").top_k(2).mean()).sort("date")["prediction"]
    r = out["daily_return"].to_numpy()
    assert r.size == 252
    assert np.isnan(r[0])
    assert np.allclose(r[1:], best_two.to_numpy()[:-1], rtol=1e-12, atol=1e-15)
