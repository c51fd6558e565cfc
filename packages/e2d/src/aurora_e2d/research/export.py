"""Model export: ONNX for predictions, skops for a safe native reload, and the input guard.

ONNX checks neither column names, order nor NaN/inf (a permuted frame
silently mispredicts), so every matrix passes ``FeatureGuard`` before any
model sees it. onnxruntime runs with one intra-op and one inter-op thread:
with two it is not bit-stable for HGB (TOOLING.md). skops files are loaded
with an explicit list of trusted types, never ``trusted=True``, pickle or
joblib. The ONNX bytes are normalised (fixed graph name, no doc string,
deduplicated opsets) so the same model gives the same file; skops bytes
differ on every dump, so hash predictions, not skops files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import polars as pl

from aurora_e2d.core.errors import CheckFailedError
from aurora_e2d.research.decisions import quantise, target_weights

__all__ = [
    "GRAPH_NAME",
    "INPUT_NAME",
    "MAX_ABS_FEATURE",
    "NON_FEATURE_COLUMNS",
    "PARITY_ATOL",
    "PARITY_RTOL",
    "SKOPS_TRUSTED_TYPES",
    "TARGET_OPSET",
    "ExportParityError",
    "FeatureGuard",
    "ModelInputError",
    "OnnxModel",
    "load_skops",
    "onnx_bytes",
    "parity_report",
    "save_skops",
    "skops_bytes",
]

INPUT_NAME = "features"
GRAPH_NAME = "aurora_model"
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}  # pinned so a newer onnx cannot change the graph silently
NON_FEATURE_COLUMNS = ("symbol", "date", "ts", "label")  # the only other columns a features frame may carry
MAX_ABS_FEATURE = 1e6  # returns, ratios, RSI and z-scores: anything larger is a broken upstream
PARITY_ATOL = 1e-7  # |onnx - in-memory| <= ATOL + RTOL * |in-memory|; measured ~1e-8 (float32 output)
PARITY_RTOL = 1e-5
# Types skops must be told to trust for our two models (everything else it loads is on its default list).
SKOPS_TRUSTED_TYPES = ("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",)


class ModelInputError(ValueError):
    """A feature matrix the model must not see: wrong columns, order, dtype or values."""


class ExportParityError(CheckFailedError):
    """The ONNX or skops export predicts differently from the fitted model (exit 1, one line)."""

    @classmethod
    def from_report(cls, year: int, kind: str, report: dict[str, Any]) -> ExportParityError:
        if not report["skops_bit_identical"]:
            what = f"the skops reload differs from the fitted model (max |diff| {report['skops_vs_memory_max_abs']:.3g})"
        else:
            what = (
                f"ONNX and in-memory predictions differ by up to {report['onnx_vs_memory_max_abs']:.3g}, beyond "
                f"{report['tolerance_atol']:g} + {report['tolerance_rtol']:g} x |prediction|"
            )
        return cls(f"fold {year} ({kind}): export parity failed: {what}")


@dataclass(frozen=True, slots=True)
class FeatureGuard:
    """The declared feature names and order; checks frames and matrices before any model."""

    feature_columns: tuple[str, ...]

    def __post_init__(self) -> None:
        names = tuple(self.feature_columns)
        if not names or len(set(names)) != len(names):
            raise ValueError(f"'feature_columns' must be non-empty and unique, was {names!r}")
        object.__setattr__(self, "feature_columns", names)

    def check_columns(self, columns: Sequence[str]) -> None:
        """Names and order must equal the declared ones exactly."""
        actual, expected = list(columns), list(self.feature_columns)
        missing = [c for c in expected if c not in actual]
        extra = [c for c in actual if c not in expected]
        if missing:
            raise ModelInputError(f"features: missing column {missing[0]!r} (expected {expected})")
        if extra:
            raise ModelInputError(f"features: unexpected column {extra[0]!r} (expected {expected})")
        for i, (got, want) in enumerate(zip(actual, expected, strict=True)):
            if got != want:
                raise ModelInputError(
                    f"features: column {i} is {got!r}, expected {want!r} (declared order {expected})"
                )

    def check_values(self, matrix: np.ndarray) -> np.ndarray:
        """A 2-D float32 matrix of the declared width with finite, sane values; returned C-contiguous."""
        if not isinstance(matrix, np.ndarray) or matrix.dtype != np.float32:
            raise ModelInputError(
                f"features: expected a float32 matrix, got {getattr(matrix, 'dtype', type(matrix))}"
            )
        width = len(self.feature_columns)
        if matrix.ndim != 2 or matrix.shape[1] != width:
            raise ModelInputError(f"features: expected shape (n, {width}), got {matrix.shape}")
        bad = ~np.isfinite(matrix) | (np.abs(matrix) > MAX_ABS_FEATURE)
        if bad.any():
            row, col = (int(i) for i in np.argwhere(bad)[0])
            value = float(matrix[row, col])
            what = "not finite" if not np.isfinite(value) else f"beyond ±{MAX_ABS_FEATURE:g}"
            raise ModelInputError(
                f"features: row {row} column {self.feature_columns[col]!r} is {value!r} ({what}; {int(bad.sum())} bad values)"
            )
        return np.ascontiguousarray(matrix)

    def matrix(self, frame: pl.DataFrame) -> np.ndarray:
        """The checked float32 C-contiguous model input of a features frame."""
        self.check_columns([c for c in frame.columns if c not in NON_FEATURE_COLUMNS])
        for name in self.feature_columns:
            if frame.schema[name] != pl.Float32:
                raise ModelInputError(f"features: column {name!r} must be Float32, was {frame.schema[name]}")
        matrix = frame.select(self.feature_columns).to_numpy(order="c")
        return self.check_values(np.asarray(matrix, dtype=np.float32))


def onnx_bytes(model: Any, n_features: int) -> bytes:
    """The fitted model as deterministic ONNX bytes, input ``INPUT_NAME`` float32 (n, n_features)."""
    import onnx  # with ml_dtypes, 0.6 s: only a fit exports (onnxruntime alone predicts)
    from skl2onnx import to_onnx  # loads sklearn: only a fit exports
    from skl2onnx.common.data_types import FloatTensorType

    proto = to_onnx(
        model, initial_types=[(INPUT_NAME, FloatTensorType([None, n_features]))], target_opset=TARGET_OPSET
    )
    proto.graph.name = GRAPH_NAME
    proto.doc_string = ""
    opsets: dict[str, int] = {}
    for entry in proto.opset_import:
        opsets[entry.domain] = max(entry.version, opsets.get(entry.domain, 0))
    del proto.opset_import[:]
    for domain in sorted(opsets):
        proto.opset_import.append(onnx.helper.make_opsetid(domain, opsets[domain]))
    onnx.checker.check_model(proto)
    return proto.SerializeToString(deterministic=True)


class OnnxModel:
    """An onnxruntime session pinned to one thread, behind a ``FeatureGuard``."""

    def __init__(self, data: bytes, guard: FeatureGuard) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        self.guard = guard

    def predict_per_session(self, matrix: np.ndarray, sessions: np.ndarray) -> np.ndarray:
        """Predictions in row order, each session's rows run as one batch (see ``predict_walk_forward``)."""
        matrix = self.guard.check_values(matrix)
        out = np.empty(matrix.shape[0], dtype=np.float32)
        if matrix.shape[0] == 0:
            return out
        order = np.argsort(sessions, kind="stable")
        bounds = np.flatnonzero(sessions[order][1:] != sessions[order][:-1]) + 1
        for rows in np.split(order, bounds):
            out[rows] = self.predict(matrix[rows])
        return out

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        """float32 predictions, one per row; an empty batch gives an empty array."""
        matrix = self.guard.check_values(matrix)
        if matrix.shape[0] == 0:
            return np.zeros(0, dtype=np.float32)
        (out,) = self.session.run(None, {INPUT_NAME: matrix})
        return np.asarray(out, dtype=np.float32).reshape(-1)


def skops_bytes(model: Any) -> bytes:
    import skops.io as sio  # sklearn and scipy: an evening that refits nothing never loads them

    return sio.dumps(model)


def save_skops(model: Any, path: Path | str) -> None:
    import skops.io as sio

    sio.dump(model, path)


def load_skops(source: bytes | Path | str) -> Any:
    """Reload a skops model trusting only the default types plus ``SKOPS_TRUSTED_TYPES``."""
    import skops.io as sio

    trusted = list(SKOPS_TRUSTED_TYPES)
    if isinstance(source, bytes):
        return sio.loads(source, trusted=trusted)
    return sio.load(source, trusted=trusted)


def _predict_any(model: Any, matrix: np.ndarray) -> np.ndarray:
    if isinstance(model, np.ndarray):  # predictions already made (the deployed export's)
        return model.astype(np.float64)
    if isinstance(model, OnnxModel):
        return model.predict(matrix).astype(np.float64)
    if isinstance(model, ort.InferenceSession):
        if matrix.shape[0] == 0:
            return np.zeros(0)
        return np.asarray(model.run(None, {INPUT_NAME: matrix})[0], dtype=np.float64).reshape(-1)
    if matrix.shape[0] == 0:
        return np.zeros(0)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # BLAS too: a threaded sgemv's bits depend on the core count
        return np.asarray(model.predict(matrix), dtype=np.float64).reshape(-1)


def _max_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def parity_report(
    model: Any,
    onnx_session: OnnxModel | ort.InferenceSession | np.ndarray,
    skops_model: Any,
    X: np.ndarray,
    *,
    keys: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Compare in-memory, ONNX and skops predictions on ``X`` (ONNX may be given as its predictions).

    ``ok`` means the exports agree: skops bit-identical to the in-memory
    model, ONNX within ``PARITY_ATOL + PARITY_RTOL * |prediction|``. Float
    noise inside that tolerance can still flip a decision at a near-tie (at
    500 synthetic symbols, 1.9e-9 flipped one); the deployed ONNX export is
    what decides, so a flip is measured and reported (``decision_flips``),
    not a failure. With ``keys`` = (sessions, symbols) per row, flips compare
    the real decisions (ranks and weights); without, the quantised predictions.
    """
    memory, onnx_pred, skops_pred = (_predict_any(m, X) for m in (model, onnx_session, skops_model))
    excess = np.abs(onnx_pred - memory) - (PARITY_ATOL + PARITY_RTOL * np.abs(memory))
    if keys is None:
        flipped = quantise(onnx_pred) != quantise(memory)
        flipped |= quantise(skops_pred) != quantise(memory)
    else:
        # Only a session where some ranking key differs can decide differently: rank those alone.
        q_memory = quantise(memory)
        differs = (quantise(onnx_pred) != q_memory) | (quantise(skops_pred) != q_memory)
        rows = np.isin(keys[0], np.unique(keys[0][differs]))
        flipped = np.zeros(X.shape[0], dtype=bool)
        if rows.any():
            sessions, symbols = keys[0][rows], keys[1][rows]
            results = [target_weights(sessions, symbols, p[rows]) for p in (memory, onnx_pred, skops_pred)]
            changed = np.zeros(int(rows.sum()), dtype=bool)
            for other in results[1:]:
                changed |= (other[0] != results[0][0]) | (other[1] != results[0][1])
            flipped[rows] = changed
    flips = int(flipped.sum())
    onnx_ok = bool((excess <= 0).all())
    skops_exact = bool(np.array_equal(skops_pred, memory))
    return {
        "rows": int(X.shape[0]),
        "onnx_vs_memory_max_abs": _max_abs(onnx_pred, memory),
        "skops_vs_memory_max_abs": _max_abs(skops_pred, memory),
        "onnx_vs_skops_max_abs": _max_abs(onnx_pred, skops_pred),
        "tolerance_atol": PARITY_ATOL,
        "tolerance_rtol": PARITY_RTOL,
        "onnx_within_tolerance": onnx_ok,
        "skops_bit_identical": skops_exact,
        "decisions_identical": flips == 0,
        "decision_flips": flips,  # rows whose rank or weight differs: float noise at near-ties
        "ok": onnx_ok and skops_exact,
    }
