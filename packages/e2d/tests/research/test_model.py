"""Stage 6: walk-forward folds, purge, determinism and ONNX predictions."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

from _modelling_fixtures import FEATURES, LABEL_HORIZON, real_data, synthetic_features
from aurora_e2d.research.decisions import PREDICTIONS_SCHEMA
from aurora_e2d.research.export import ModelInputError
from aurora_e2d.research.features import in_key_order
from aurora_e2d.research.model import (
    ExportParityError,
    ModelKind,
    first_test_year,
    fit_estimator,
    fit_walk_forward,
    make_estimator,
    predict_walk_forward,
)


@pytest.fixture(scope="module")
def frame():
    return synthetic_features()


def fit(frame, kind=ModelKind.RIDGE, **kw):
    return fit_walk_forward(frame, FEATURES, model_kind=kind, label_horizon=LABEL_HORIZON, **kw)


def ridge_coef(model):
    return np.concatenate([model[-1].coef_.ravel(), np.ravel(model[-1].intercept_)])


class TestFirstTestYear:
    @pytest.mark.parametrize(
        ("first", "years", "expected"),
        [
            (dt.date(2000, 5, 31), 2, 2003),  # the real data after warm-up: 11 folds, 2003..2013
            (dt.date(2000, 1, 3), 2, 2002),
            (dt.date(2000, 12, 15), 2, 2003),
            (dt.date(2000, 2, 1), 2, 2003),
            (dt.date(2000, 1, 3), 1, 2001),
            (dt.date(2000, 2, 1), 1, 2002),
            (dt.date(2000, 1, 3), 3, 2003),
        ],
    )
    def test_months_of_history(self, first, years, expected):
        assert first_test_year(first, years) == expected


class TestModelKind:
    def test_parse_and_flag(self):
        assert ModelKind.parse("hgb") is ModelKind.HGB
        assert ModelKind.from_flag(True) is ModelKind.HGB
        assert ModelKind.from_flag(False) is ModelKind.RIDGE

    def test_unknown_kind_refused(self):
        with pytest.raises(ValueError, match=r"'model_kind' must be one of ridge, hgb, was 'xgb'"):
            make_estimator("xgb")

    def test_estimators_are_fixed(self):
        hgb = make_estimator(ModelKind.HGB)
        assert (hgb.random_state, hgb.early_stopping, hgb.max_iter) == (0, False, 100)
        assert make_estimator(ModelKind.RIDGE, ridge_alpha=3.0)[-1].alpha == 3.0


class TestConsumingFit:
    """The walk-forward fit hands its training matrix over (``consume``): scaled and centred in
    place, not copied twice. The model must be the one a copying fit gives, bit for bit."""

    @pytest.mark.parametrize("seed", [0, 1])
    def test_same_model_bits_and_the_callers_matrix_is_not_touched_afterwards(self, seed):
        rng = np.random.default_rng(seed)
        X = (rng.normal(size=(20_000, 10)) * rng.uniform(0.1, 50.0, 10)).astype(np.float32)
        y = rng.normal(size=20_000)
        copied = fit_estimator(ModelKind.RIDGE, X.copy(), y.copy())
        given = X.copy()
        consumed = fit_estimator(ModelKind.RIDGE, given, y.copy(), consume=True)
        assert not np.array_equal(given, X)  # really worked in place
        for step in ("scale", "ridge"):  # copying again, like any other fit
            assert consumed[step].get_params() == copied[step].get_params()
        for step, names in (
            ("scale", ("mean_", "var_", "scale_", "n_samples_seen_")),
            ("ridge", ("coef_", "intercept_")),
        ):
            for name in names:
                a, b = getattr(copied[step], name), getattr(consumed[step], name)
                assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), (step, name)
        probe = X[:500].copy()
        assert consumed.predict(probe).tobytes() == copied.predict(probe).tobytes()
        assert np.array_equal(probe, X[:500])  # predicting no longer writes into the caller's rows

    def test_a_tree_model_is_fitted_as_before(self):
        rng = np.random.default_rng(2)
        X, y = rng.normal(size=(2_000, 10)).astype(np.float32), rng.normal(size=2_000)
        given = X.copy()
        model = fit_estimator(ModelKind.HGB, given, y, consume=True)
        assert np.array_equal(given, X)  # nothing to do in place: the matrix is left as it was
        assert model.predict(X[:50]).tobytes() == fit_estimator(ModelKind.HGB, X, y).predict(X[:50]).tobytes()


class TestFolds:
    def test_years_and_metadata(self, frame):
        result = fit(frame)
        assert [f.year for f in result.folds] == [2003, 2004]  # data from 2000-03: two years of history first
        meta = result.metadata()[0]
        assert meta["year"] == 2003
        assert meta["test_start"] == "2003-01-01"
        assert meta["test_end"] == "2003-12-31"
        assert meta["train_start"] == "2000-03-01"
        assert meta["train_end"] == "2002-12-24"  # five weekdays before 2003-01-01 are purged
        assert meta["purge_sessions"] == LABEL_HORIZON
        assert meta["purged_rows"] == 4 * LABEL_HORIZON  # four symbols listed before 2003
        train = frame.filter(pl.col("date") <= dt.date(2002, 12, 24))
        assert meta["train_rows"] == train.height == train["label"].is_not_null().sum()
        assert meta["test_rows"] == frame.filter(pl.col("date").dt.year() == 2003).height
        assert result.kind is ModelKind.RIDGE
        assert result.feature_columns == FEATURES

    def test_model_equals_a_manual_fit_on_the_purged_past(self, frame):
        fold = fit(frame).folds[1]
        train = frame.filter((pl.col("date") <= fold.train_end) & pl.col("label").is_not_null())
        X = np.ascontiguousarray(train.select(FEATURES).to_numpy(), dtype=np.float32)
        manual = make_estimator(ModelKind.RIDGE).fit(X, train["label"].to_numpy())
        assert np.array_equal(ridge_coef(fold.model), ridge_coef(manual))

    def test_labels_inside_the_purge_or_test_year_cannot_leak(self, frame):
        fold = fit(frame).folds[0]
        leaked = frame.with_columns(
            label=pl.when(pl.col("date") > fold.train_end).then(pl.lit(9.0)).otherwise(pl.col("label"))
        )
        assert np.array_equal(ridge_coef(fit(leaked).folds[0].model), ridge_coef(fold.model))

    def test_the_last_training_label_does_matter(self, frame):
        fold = fit(frame).folds[0]
        changed = frame.with_columns(
            label=pl.when(pl.col("date") == fold.train_end).then(pl.lit(9.0)).otherwise(pl.col("label"))
        )
        assert not np.array_equal(ridge_coef(fit(changed).folds[0].model), ridge_coef(fold.model))

    def test_unknown_labels_are_not_trained_on(self, frame):
        nulls = frame.with_columns(
            label=pl.when(pl.col("date").dt.month() == 6).then(None).otherwise(pl.col("label"))
        )
        base, holed = fit(frame).folds[0], fit(nulls).folds[0]
        assert (
            holed.train_rows
            == base.train_rows
            - frame.filter(
                (pl.col("date").dt.month() == 6)
                & (pl.col("date") <= base.train_end)
                & pl.col("label").is_not_null()
            ).height
        )

    def test_too_little_history_gives_no_folds(self):
        short = synthetic_features(start=dt.date(2000, 3, 1), end=dt.date(2001, 6, 30))
        assert fit(short).folds == ()
        assert predict_walk_forward(fit(short), short).predictions.height == 0

    def test_row_order_does_not_matter(self, frame):
        a, b = fit(frame).folds[0], fit(frame.sample(fraction=1.0, shuffle=True, seed=3)).folds[0]
        assert np.array_equal(ridge_coef(a.model), ridge_coef(b.model))

    def test_permuted_feature_columns_refused(self, frame):
        cols = ["symbol", "date", "ts", *reversed(FEATURES), "label"]
        with pytest.raises(ModelInputError, match="column 0 is 'vz_21', expected 'mom_5'"):
            fit(frame.select(cols))

    def test_non_finite_feature_refused(self, frame):
        bad = frame.with_columns(
            pl.when(pl.int_range(pl.len()) == 7)
            .then(float("inf"))
            .otherwise(pl.col("vol_21"))
            .cast(pl.Float32)
            .alias("vol_21")
        )
        with pytest.raises(ModelInputError, match=r"row 7 column 'vol_21' is inf"):
            fit(bad)

    def test_duplicate_keys_refused(self, frame):
        with pytest.raises(ValueError, match=r"\(symbol, date\) must be unique"):
            fit(pl.concat([frame, frame.head(1)]))
        ordered = frame.sort("symbol", "date")
        # a repeated key in its sorted place is refused too (not taken for "already in order")
        repeated = pl.concat([ordered.head(10), ordered.slice(9, 1), ordered.slice(10)])
        with pytest.raises(ValueError, match=r"\(symbol, date\) must be unique"):
            fit(repeated)
        assert in_key_order(ordered)  # one pass proves order and uniqueness: no sort, no copy
        assert not in_key_order(repeated)

    @pytest.mark.parametrize("kw", [{"label_horizon": 0}, {"min_train_years": 0}])
    def test_bad_parameters(self, frame, kw):
        args = {"model_kind": "ridge", "label_horizon": LABEL_HORIZON, **kw}
        with pytest.raises(ValueError, match="must be >= 1"):
            fit_walk_forward(frame, FEATURES, **args)


class TestPredictions:
    @pytest.mark.parametrize("kind", list(ModelKind))
    def test_frame_schema_and_values(self, frame, kind):
        result = fit(frame, kind)
        out = predict_walk_forward(result, frame)
        preds = out.predictions
        assert preds.columns == PREDICTIONS_SCHEMA.names
        assert (
            preds.to_arrow().cast(PREDICTIONS_SCHEMA).num_rows
            == frame.filter(pl.col("date").dt.year() >= 2003).height
        )
        assert preds.schema["prediction"] == pl.Float32
        assert preds.schema["fold_year"] == pl.Int32
        assert (preds["fold_year"] == preds["date"].dt.year()).all()
        assert set(preds["model"].to_list()) == {kind.value}
        assert preds.select("symbol", "date").rows() == sorted(preds.select("symbol", "date").rows())
        assert [e.year for e in out.exports] == [2003, 2004]
        assert all(e.parity["ok"] for e in out.exports)
        test = frame.filter(pl.col("date").dt.year() == 2004)
        memory = result.folds[1].model.predict(test.select(FEATURES).to_numpy().astype(np.float32))
        got = preds.filter(pl.col("fold_year") == 2004)["prediction"].to_numpy()
        assert np.max(np.abs(got - memory)) < 1e-6
        assert isinstance(pa.schema(PREDICTIONS_SCHEMA), pa.Schema)

    def test_parity_failure_raises(self, frame, monkeypatch):
        import aurora_e2d.research.model as model_module
        from aurora_e2d.research.export import onnx_bytes

        result = fit(frame)
        other = make_estimator(ModelKind.RIDGE).fit(
            frame.drop_nulls("label").select(FEATURES).to_numpy().astype(np.float32),
            -frame.drop_nulls("label")["label"],
        )
        monkeypatch.setattr(model_module, "onnx_bytes", lambda model, n: onnx_bytes(other, n))
        with pytest.raises(
            ExportParityError,
            match="fold 2003 \\(ridge\\): export parity failed: ONNX and in-memory predictions differ",
        ):
            predict_walk_forward(result, frame)
        assert predict_walk_forward(result, frame, check_parity=False).exports[0].parity["ok"] is False


_DIGEST_SCRIPT = textwrap.dedent(
    """
    import hashlib, sys
    sys.path.insert(0, {tests!r})
    from _modelling_fixtures import FEATURES, LABEL_HORIZON, synthetic_features
    from aurora_e2d.research.model import fit_walk_forward, predict_walk_forward
    frame = synthetic_features()
    h = hashlib.sha256()
    for kind in ("ridge", "hgb"):
        out = predict_walk_forward(fit_walk_forward(frame, FEATURES, model_kind=kind, label_horizon=LABEL_HORIZON), frame)
        h.update(out.predictions["prediction"].to_numpy().tobytes())
        for e in out.exports:
            h.update(e.onnx)
    print(h.hexdigest())
    """
)


def _digest_in_process(frame) -> str:
    h = hashlib.sha256()
    for kind in ("ridge", "hgb"):
        out = predict_walk_forward(fit(frame, kind), frame)
        h.update(out.predictions["prediction"].to_numpy().tobytes())
        for e in out.exports:
            h.update(e.onnx)
    return h.hexdigest()


@pytest.mark.l1
def test_identical_across_processes_and_hash_seeds(frame):
    script = _DIGEST_SCRIPT.format(tests=str(Path(__file__).parents[1]))  # the helpers sit in tests/
    digests = {_digest_in_process(frame)}
    for seed, threads in (("0", "1"), ("12345", "2")):
        env = {**os.environ, "PYTHONHASHSEED": seed, "OMP_NUM_THREADS": threads}
        run = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        digests.add(run.stdout.strip())
    assert len(digests) == 1


def test_real_data_folds_and_parity():
    features, _, columns, horizon = real_data()
    for kind in ModelKind:
        result = fit_walk_forward(features, columns, model_kind=kind, label_horizon=horizon)
        assert [f.year for f in result.folds] == list(range(2003, 2014))
        out = predict_walk_forward(result, features)
        assert out.predictions.height == features.filter(pl.col("date") >= dt.date(2003, 1, 1)).height
        assert all(e.parity["decisions_identical"] and e.parity["skops_bit_identical"] for e in out.exports)


def test_a_ridge_fit_and_its_parity_do_not_depend_on_how_many_threads_blas_may_use():
    """With 2 OpenBLAS threads the ridge's X'X over float32 rows comes out in other bits than
    with 1 (measured at 200 k rows; at 2,000 symbols OMP_NUM_THREADS=1 -- what the cross-process check sets --
    changed every fold and so every prediction). Fits and the parity's sklearn predictions run on
    one thread whatever the caller allows (HGB's OpenMP already did). Can only fail on a machine
    with 2 cores or more."""
    from threadpoolctl import threadpool_limits

    from aurora_e2d.research.export import parity_report
    from aurora_e2d.research.features import FEATURE_COLUMNS
    from aurora_e2d.research.model import fit_estimator

    rng = np.random.default_rng(7)
    X = rng.normal(size=(200_000, len(FEATURE_COLUMNS))).astype(np.float32)  # the model's width
    y = (X[:, 0] * 0.01 + rng.normal(size=X.shape[0]) * 0.02).astype(np.float32)
    coefficients, reports = [], []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            model = fit_estimator("ridge", X.copy(), y.copy(), consume=True)
            # ONNX given as zeros: the report's figures are those of the sklearn predictions themselves
            reports.append(parity_report(model, np.zeros(X.shape[0], np.float32), model, X))
        with threadpool_limits(limits=1):
            coefficients.append(model.predict(X[:1000]).tobytes())
    assert coefficients[0] == coefficients[1]
    assert reports[0] == reports[1]
