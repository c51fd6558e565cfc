"""ONNX and skops exports: the input guard, parity, determinism and HGB split thresholds."""

from __future__ import annotations

import hashlib
import operator

import numpy as np
import onnx
import pytest
import skops.io as sio
from sklearn.preprocessing import FunctionTransformer
from threadpoolctl import threadpool_limits

from _modelling_fixtures import FEATURES, real_data, synthetic_features
from aurora_e2d.research.export import (
    GRAPH_NAME,
    INPUT_NAME,
    PARITY_ATOL,
    FeatureGuard,
    ModelInputError,
    OnnxModel,
    load_skops,
    onnx_bytes,
    parity_report,
    skops_bytes,
)
from aurora_e2d.research.model import ModelKind, fit_estimator, make_estimator

GUARD = FeatureGuard(FEATURES)


@pytest.fixture(scope="module")
def data():
    """(X, y, dates, symbols, guard): real features when the data stages are present, else synthetic."""
    real = real_data()
    if real is not None:
        frame, _, columns, _ = real
        frame = frame.filter(frame["label"].is_not_null())
    else:
        frame, columns = synthetic_features().drop_nulls("label"), FEATURES
    guard = FeatureGuard(columns)
    return (
        guard.matrix(frame.drop("label")),
        frame["label"].to_numpy(),
        frame["date"].to_numpy(),
        frame["symbol"].to_numpy(),
        guard,
    )


@pytest.fixture(scope="module", params=list(ModelKind))
def fitted(request, data):
    X, y, _, _, guard = data
    model = fit_estimator(request.param, X, y)
    blob = onnx_bytes(model, X.shape[1])
    return request.param, model, blob, OnnxModel(blob, guard), load_skops(skops_bytes(model))


class TestFeatureGuard:
    def frame(self):
        return synthetic_features(
            start=np.datetime64("2001-01-01").item(), end=np.datetime64("2001-01-31").item()
        )

    def test_accepts_declared_frame(self):
        X = GUARD.matrix(self.frame())
        assert X.dtype == np.float32
        assert X.flags.c_contiguous
        assert X.shape[1] == len(FEATURES)

    def test_permuted_columns_refused(self):
        frame = self.frame()
        cols = list(frame.columns)
        i, j = cols.index(FEATURES[0]), cols.index(FEATURES[1])
        cols[i], cols[j] = cols[j], cols[i]
        with pytest.raises(ModelInputError, match=r"features: column 0 is 'mom_21', expected 'mom_5'"):
            GUARD.matrix(frame.select(cols))

    def test_missing_column_refused(self):
        with pytest.raises(ModelInputError, match=r"features: missing column 'vol_21'"):
            GUARD.matrix(self.frame().drop("vol_21"))

    def test_unexpected_column_refused(self):
        frame = self.frame()
        with pytest.raises(ModelInputError, match=r"features: unexpected column 'extra'"):
            GUARD.matrix(frame.with_columns(extra=frame["mom_5"]))

    def test_float64_column_refused(self):
        frame = self.frame()
        with pytest.raises(ModelInputError, match=r"column 'rsi_14' must be Float32, was Float64"):
            GUARD.matrix(frame.with_columns(frame["rsi_14"].cast(float)))

    @pytest.mark.parametrize(
        ("value", "what"),
        [(np.nan, "not finite"), (np.inf, "not finite"), (-np.inf, "not finite"), (1e30, "beyond")],
    )
    def test_bad_values_refused_naming_row_and_column(self, value, what):
        X = np.zeros((4, len(FEATURES)), dtype=np.float32)
        X[2, 3] = value
        with pytest.raises(ModelInputError, match=rf"features: row 2 column 'rsi_14' is .*\({what}"):
            GUARD.check_values(X)

    def test_wrong_dtype_and_shape_refused(self):
        with pytest.raises(ModelInputError, match="expected a float32 matrix, got float64"):
            GUARD.check_values(np.zeros((1, len(FEATURES))))
        with pytest.raises(ModelInputError, match=r"expected shape \(n, 5\), got \(1, 4\)"):
            GUARD.check_values(np.zeros((1, 4), dtype=np.float32))

    def test_declaration_must_be_unique(self):
        with pytest.raises(ValueError, match="non-empty and unique"):
            FeatureGuard(("a", "a"))
        with pytest.raises(ValueError, match="non-empty and unique"):
            FeatureGuard(())


class TestOnnx:
    def test_parity_on_real_shaped_data(self, fitted, data):
        _kind, model, _, session, reloaded = fitted
        X, _, dates, symbols, _ = data
        report = parity_report(model, session, reloaded, X, keys=(dates, symbols))
        assert report["ok"], report
        assert report["rows"] == X.shape[0]
        assert report["skops_vs_memory_max_abs"] == 0.0
        assert report["onnx_within_tolerance"] is True
        assert 0.0 <= report["onnx_vs_memory_max_abs"] < 1e-6  # under one decision quantum
        assert report["decisions_identical"] is True

    def test_parity_detects_a_wrong_model(self, fitted, data):
        kind, model, _, session, _ = fitted
        X, y, _, _, _ = data
        other = fit_estimator(kind, X, -y)
        report = parity_report(model, session, other, X)
        assert not report["ok"]
        assert not report["skops_bit_identical"]
        assert not report["decisions_identical"]

    def test_empty_batch_and_one_row(self, fitted, data):
        _, model, _, session, _ = fitted
        X = data[0]
        assert session.predict(X[:0]).shape == (0,)
        one = session.predict(X[:1])
        assert one.shape == (1,)
        assert one.dtype == np.float32
        assert abs(float(one[0]) - float(model.predict(X[:1])[0])) < PARITY_ATOL
        assert parity_report(model, session, model, X[:0])["ok"]

    def test_batch_invariant(self, fitted, data):
        # HGB is bit-identical in any batch; Ridge (MLAS GEMM blocking) only within an ulp: predict whole folds.
        kind, _, _, session, _ = fitted
        X = data[0][:500]
        whole = session.predict(X)
        rows = np.concatenate([session.predict(X[i : i + 1]) for i in range(0, 500, 50)])
        if kind is ModelKind.HGB:
            assert np.array_equal(whole[::50], rows)
        assert np.max(np.abs(whole[::50] - rows)) <= 4 * np.finfo(np.float32).eps * np.max(np.abs(rows))

    def test_guard_runs_before_onnx(self, fitted, data):
        session, X = fitted[3], data[0][:3].copy()
        X[1, 0] = np.nan
        with pytest.raises(ModelInputError, match="row 1"):
            session.predict(X)

    def test_bytes_deterministic_and_normalised(self, fitted, data):
        _, model, blob, _, _ = fitted
        assert onnx_bytes(model, data[0].shape[1]) == blob
        proto = onnx.load_from_string(blob)
        assert proto.graph.name == GRAPH_NAME
        assert [i.name for i in proto.graph.input] == [INPUT_NAME]
        domains = [o.domain for o in proto.opset_import]
        assert domains == sorted(set(domains))


class TestSkops:
    def test_file_roundtrip_is_bit_identical(self, fitted, data, tmp_path):
        _, model, _, _, _ = fitted
        path = tmp_path / "model.skops"
        sio.dump(model, path)
        X = data[0][:200]
        assert np.array_equal(load_skops(path).predict(X), model.predict(X))

    def test_unlisted_type_refused(self):
        blob = sio.dumps(FunctionTransformer(operator.neg))
        with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
            load_skops(blob)


def _thresholds(model):
    """(feature, threshold) of every split node of a fitted HGB."""
    out = []
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        split = nodes["is_leaf"] == 0
        out += list(
            zip(nodes["feature_idx"][split].tolist(), nodes["num_threshold"][split].tolist(), strict=True)
        )
    return out


@pytest.mark.parametrize("max_iter", [1, 100])
def test_hgb_inputs_at_split_thresholds_take_the_same_leaves(data, max_iter):
    X, y, _, _, guard = data
    with threadpool_limits(limits=1, user_api="openmp"):
        model = make_estimator(ModelKind.HGB).set_params(max_iter=max_iter).fit(X, y)
    session = OnnxModel(onnx_bytes(model, X.shape[1]), guard)
    rows = []
    base = np.median(X, axis=0).astype(np.float32)
    for feature, threshold in _thresholds(model):
        t32 = np.float32(threshold)
        for value in (t32, np.nextafter(t32, np.float32(-np.inf)), np.nextafter(t32, np.float32(np.inf))):
            row = base.copy()
            row[feature] = value
            rows.append(row)
    probe = np.vstack(rows)
    assert probe.shape[0] >= 3 * 10
    sk, ox = model.predict(probe), session.predict(probe).astype(np.float64)
    if max_iter == 1:  # one tree: the prediction minus the baseline is the leaf value, so it names the leaf
        nodes = model._predictors[0][0].nodes
        leaves = np.sort(nodes["value"][nodes["is_leaf"] == 1])
        assert np.diff(leaves).min() > 10 * PARITY_ATOL
        baseline = float(np.ravel(model._baseline_prediction)[0])
        leaf_sk = np.abs((sk - baseline)[:, None] - leaves[None, :]).argmin(axis=1)
        leaf_ox = np.abs((ox - baseline)[:, None] - leaves[None, :]).argmin(axis=1)
        assert np.array_equal(leaf_sk, leaf_ox)
        assert len(set(leaf_sk.tolist())) > 1  # the probes reach several leaves
    # A different leaf in any tree moves a prediction by ~learning_rate * leaf gap >> PARITY_ATOL.
    assert np.max(np.abs(sk - ox)) < PARITY_ATOL


def test_onnx_bytes_hash_is_stable_for_the_same_fit(data):
    X, y, _, _, _ = data
    digests = {
        hashlib.sha256(onnx_bytes(fit_estimator(ModelKind.HGB, X, y), X.shape[1])).hexdigest()
        for _ in range(2)
    }
    assert len(digests) == 1
