"""The IC's rows come from a key search, not a hash join: the same rows, order and values as the
inner join of predictions and features on (symbol, date) that summary.json used to compute."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from aurora_e2d.report import metrics
from aurora_e2d.report.summary import scored_rows


def _frames(seed: int, *, shuffle_features: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Features for 40 symbols x 60 days (some symbols start late or stop early, labels with NaN);
    predictions for a later window of them, plus rows the features do not have."""
    rng = np.random.default_rng(seed)
    days = [dt.date(2019, 1, 1) + dt.timedelta(days=i) for i in range(60)]
    rows = []
    for k in range(40):
        symbol = f"S{k:03d}" if k % 7 else f"Ü{k:03d}"  # non-ASCII names sort by code point too
        first, last = int(rng.integers(0, 20)), int(rng.integers(40, 60))
        rows += [(symbol, day) for day in days[first:last]]
    features = pl.DataFrame(rows, schema={"symbol": pl.String, "date": pl.Date}, orient="row").with_columns(
        label=pl.Series(rng.normal(size=len(rows))).replace({0.0: None}).fill_nan(None).cast(pl.Float64)
    )
    features = features.with_columns(
        label=pl.when(pl.int_range(pl.len()) % 11 == 0).then(float("nan")).otherwise(pl.col("label"))
    )
    predictions = features.filter(pl.col("date") >= days[10]).select("symbol", "date")
    extra = pl.DataFrame(
        {"symbol": ["S001", "ZZZ"], "date": [days[59], days[30]]},
        schema={"symbol": pl.String, "date": pl.Date},
    )  # no features row: S001 on a day past its last bar, ZZZ never has one
    predictions = (
        pl.concat([predictions, extra])
        .unique()
        .sort("symbol", "date")
        .with_columns(prediction=pl.Series(rng.normal(size=predictions.height + 2), dtype=pl.Float32))
    )
    features = features.sort("symbol", "date")
    if shuffle_features:
        features = features.sample(fraction=1.0, shuffle=True, seed=seed)
    return predictions, features


@pytest.mark.parametrize("shuffle_features", [False, True], ids=["sorted", "shuffled"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_rows_are_the_inner_joins_rows_in_the_predictions_order(seed: int, shuffle_features: bool):
    predictions, features = _frames(seed, shuffle_features=shuffle_features)
    joined = (
        predictions.with_row_index("row")
        .join(features.select("symbol", "date", "label"), on=["symbol", "date"], how="inner")
        .sort("row")
    )
    sessions, predicted, realised = scored_rows(predictions, features)
    assert joined.height < predictions.height  # the rows without features are left out
    np.testing.assert_array_equal(sessions, joined["date"].to_physical().to_numpy())
    np.testing.assert_array_equal(predicted, joined["prediction"].cast(pl.Float64).to_numpy())
    np.testing.assert_array_equal(realised, joined["label"].to_numpy())  # NaN where NaN
    expected = metrics.ic(
        joined["date"].to_physical().to_numpy(), joined["prediction"].cast(pl.Float64).to_numpy(), realised
    )
    assert metrics.ic(sessions, predicted, realised) == expected


def test_no_features_or_no_predictions_give_no_rows():
    predictions, features = _frames(0, shuffle_features=False)
    for p, f in ((predictions, features.clear()), (predictions.clear(), features)):
        sessions, predicted, realised = scored_rows(p, f)
        assert sessions.size == predicted.size == realised.size == 0
