import numpy as np
import polars as pl
import pyarrow as pa
import pytest

from aurora_e2d.data.corpactions import Mode, normalise
from aurora_e2d.data.sessions import attach_session_close
from aurora_e2d.research.features import (
    FEATURE_COLUMNS,
    FEATURES_SCHEMA,
    LABEL_HORIZON,
    WARMUP_SESSIONS,
    compute_features,
    compute_features_pandas,
)
from aurora_e2d.rundir.artifacts import canonical_table


@pytest.fixture(scope="module")
def bars(snapshot, xnys):
    return normalise(attach_session_close(snapshot.prices, xnys), snapshot.actions, Mode.TOTAL_RETURN)


@pytest.fixture(scope="module")
def features(bars):
    return compute_features(bars)


class TestShape:
    def test_declared_columns_in_order(self, features):
        assert features.columns == ["symbol", "date", "ts", *FEATURE_COLUMNS, "label"]
        assert len(FEATURE_COLUMNS) == len(set(FEATURE_COLUMNS)) == 10
        assert "label" not in FEATURE_COLUMNS
        assert all(features.schema[c] == pl.Float32 for c in FEATURE_COLUMNS)
        assert features.schema["label"] == pl.Float64
        assert str(features.schema["ts"]) == "Datetime(time_unit='us', time_zone='UTC')"

    def test_fits_the_declared_schema(self, features):
        table = canonical_table(features, FEATURES_SCHEMA, ["symbol", "date"], name="features")
        assert table.schema.equals(FEATURES_SCHEMA)

    def test_warmup_rows_dropped_and_no_missing_features(self, features, bars):
        assert features.height == bars.height - 5 * WARMUP_SESSIONS == 11839
        first = features.group_by("symbol").agg(pl.col("date").min()).sort("symbol")
        expected = bars.with_columns(i=pl.int_range(pl.len()).over("symbol")).filter(
            pl.col("i") == WARMUP_SESSIONS
        )
        assert first["date"].to_list() == expected.sort("symbol")["date"].to_list()
        values = features.select(FEATURE_COLUMNS).to_numpy()
        assert np.isfinite(values).all()
        assert features["label"].null_count() == 5 * LABEL_HORIZON

    def test_label_is_forward_return(self, features, bars):
        aapl = bars.filter(pl.col("symbol") == "AAPL")["close_adj"].to_numpy()
        got = features.filter(pl.col("symbol") == "AAPL")["label"].to_numpy()
        t = np.arange(WARMUP_SESSIONS, len(aapl) - LABEL_HORIZON)
        np.testing.assert_array_equal(got[: len(t)], aapl[t + LABEL_HORIZON] / aapl[t] - 1.0)

    def test_known_values(self, features, bars):
        ibm = bars.filter(pl.col("symbol") == "IBM")
        c = ibm["close_adj"].to_numpy()
        row = features.filter(pl.col("symbol") == "IBM").row(0, named=True)
        t = WARMUP_SESSIONS
        assert row["ret_5d"] == np.float32(c[t] / c[t - 5] - 1.0)
        assert row["ret_63d"] == np.float32(c[t] / c[0] - 1.0)
        assert row["dist_high_63"] == np.float32(c[t] / c[t - 62 : t + 1].max() - 1.0)
        r = c[1:] / c[:-1] - 1.0
        assert row["vol_21d"] == pytest.approx(np.std(r[t - 21 : t], ddof=1), rel=1e-6)
        assert features["rsi_14"].min() >= 0.0
        assert features["rsi_14"].max() <= 100.0

    def test_deterministic(self, bars, features):
        assert compute_features(bars.sample(fraction=1.0, shuffle=True, seed=1)).equals(features)


class TestNoLeakage:
    @pytest.mark.parametrize("cut", [WARMUP_SESSIONS, 200, 1000, 2100, 3200])
    def test_changing_data_after_t_leaves_features_up_to_t_unchanged(self, bars, features, cut):
        rng = np.random.default_rng(cut)
        row = pl.int_range(pl.len()).over("symbol")
        noise = pl.Series(rng.uniform(0.5, 2.0, bars.height))
        perturbed = bars.with_columns(
            close_adj=pl.when(row > cut).then(pl.col("close_adj") * noise).otherwise(pl.col("close_adj")),
            volume_adj=pl.when(row > cut).then(pl.col("volume_adj") * 3 + 1).otherwise(pl.col("volume_adj")),
        )
        after = compute_features(perturbed)
        keep = (pl.int_range(pl.len()).over("symbol") + WARMUP_SESSIONS) <= cut
        before_t, after_t = features.filter(keep), after.filter(keep)
        assert before_t.height > 0
        assert before_t.select("symbol", "date", *FEATURE_COLUMNS).equals(
            after_t.select("symbol", "date", *FEATURE_COLUMNS)
        )
        changed = (
            features.filter(~keep).select(FEATURE_COLUMNS).to_numpy()
            != after.filter(~keep).select(FEATURE_COLUMNS).to_numpy()
        )
        assert changed.any()  # the perturbation is real: later features did move


class TestPandasParity:
    def test_pandas_implementation_agrees(self, bars, features):
        ref = compute_features_pandas(bars.to_pandas())
        assert list(ref.columns) == features.columns
        assert ref["symbol"].tolist() == features["symbol"].to_list()
        for name in FEATURE_COLUMNS:
            np.testing.assert_allclose(
                ref[name].to_numpy(), features[name].to_numpy(), rtol=1e-5, atol=1e-6, err_msg=name
            )
        np.testing.assert_allclose(
            ref["label"].to_numpy(dtype=float), features["label"].to_numpy(), rtol=1e-12, equal_nan=True
        )

    def test_accepts_arrow(self, bars, features):
        assert compute_features(bars.to_arrow()).equals(features)
        assert isinstance(bars.to_arrow(), pa.Table)
