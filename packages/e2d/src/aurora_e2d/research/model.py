"""Stage 6: walk-forward model fits and their ONNX predictions.

Each calendar year Y is predicted by a model fitted only on earlier rows,
minus a purge of ``label_horizon`` sessions: a row's label looks
``label_horizon`` sessions ahead, so the last rows before Y have labels that
overlap Y and would leak it. Folds start at the first year with at least
``min_train_years`` x 12 calendar months of history (the first, possibly
partial, month counts). Training uses float32 C-contiguous matrices in
(symbol, date) order: HGB thresholds then match float32 inputs and Ridge is
independent of memory layout (TOOLING.md). Predictions come from the ONNX
export and are checked against the in-memory model and the skops reload.

sklearn's OpenMP runs single-threaded here: HGB is bit-identical with 1 and 2
threads, but on a busy 2-core machine two spinning threads made the 11 yearly
fits 10-20x slower (24 s against 1.2 s). So does BLAS, for another reason:
the ridge's normal equations (X'X over 1.4 M float32 rows at 2,000 symbols)
come out in other bits with 2 OpenBLAS threads than with 1, so a fold's
coefficients depended on the machine's core count and on OMP_NUM_THREADS
(which the cross-process determinism check sets to 1); the bundled data is
too small for OpenBLAS to split, so its bytes are the same either way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from aurora_e2d.research.export import (
    NON_FEATURE_COLUMNS,
    ExportParityError,
    FeatureGuard,
    OnnxModel,
    load_skops,
    onnx_bytes,
    parity_report,
    skops_bytes,
)
from aurora_e2d.research.features import in_key_order

__all__ = [
    "HGB_PARAMS",
    "MIN_TRAIN_YEARS",
    "RIDGE_ALPHA",
    "ExportedFold",
    "Fold",
    "ModelKind",
    "PredictionResult",
    "WalkForwardResult",
    "first_test_year",
    "fit_estimator",
    "fit_walk_forward",
    "make_estimator",
    "predict_walk_forward",
]

RIDGE_ALPHA = 1.0
HGB_PARAMS: dict[str, Any] = {
    "max_iter": 100,
    "learning_rate": 0.1,
    "max_leaf_nodes": 31,
    "early_stopping": False,  # no random validation split: every fit sees the same rows
    "random_state": 0,
}
MIN_TRAIN_YEARS = 2


class ModelKind(StrEnum):
    RIDGE = "ridge"  # baseline: StandardScaler + Ridge
    HGB = "hgb"  # candidate behind the ``hgb_model`` flag (ADR 0003)

    @classmethod
    def parse(cls, value: ModelKind | str) -> ModelKind:
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"'model_kind' must be one of ridge, hgb, was {value!r}") from None

    @classmethod
    def from_flag(cls, hgb_model: bool) -> ModelKind:
        return cls.HGB if hgb_model else cls.RIDGE


def make_estimator(kind: ModelKind | str, *, ridge_alpha: float = RIDGE_ALPHA) -> Any:
    """A fresh, unfitted estimator of ``kind`` with every parameter fixed."""
    # sklearn loads here, not with the module: an evening that refits nothing predicts through ONNX.
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    match ModelKind.parse(kind):
        case ModelKind.RIDGE:
            return Pipeline([("scale", StandardScaler()), ("ridge", Ridge(alpha=ridge_alpha))])
        case ModelKind.HGB:
            return HistGradientBoostingRegressor(**HGB_PARAMS)


def fit_estimator(
    kind: ModelKind | str,
    X: np.ndarray,
    y: np.ndarray,
    *,
    ridge_alpha: float = RIDGE_ALPHA,
    consume: bool = False,
) -> Any:
    """``make_estimator(kind).fit(X, y)`` with sklearn's OpenMP on one thread (see the module docstring).

    ``consume``: the caller gives ``X`` up, so the ridge pipeline scales and centres it in place
    instead of copying it twice (two copies of the training matrix fewer at the fit's peak). The
    arithmetic is the same; the model is then set back to copying, so its parameters, its exports
    and how it predicts on a caller's matrix are exactly those of a fit that copied.
    """
    model = make_estimator(kind, ridge_alpha=ridge_alpha)
    in_place = consume and ModelKind.parse(kind) is ModelKind.RIDGE
    if in_place:
        model.set_params(scale__copy=False, ridge__copy_X=False)
    with threadpool_limits(limits=1):  # OpenMP and BLAS (see the module docstring)
        model.fit(X, y)
    if in_place:
        model.set_params(scale__copy=True, ridge__copy_X=True)
    return model


@dataclass(frozen=True, slots=True)
class Fold:
    """One yearly refit: what it was trained on and the model."""

    year: int
    test_start: dt.date
    test_end: dt.date
    test_rows: int
    train_start: dt.date
    train_end: dt.date  # last training session, label_horizon sessions before test_start
    train_rows: int  # rows with a finite label used in the fit
    purged_rows: int  # rows between train_end and test_start dropped by the purge
    purge_sessions: int
    model: Any

    def metadata(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "test_start": self.test_start.isoformat(),
            "test_end": self.test_end.isoformat(),
            "test_rows": self.test_rows,
            "train_start": self.train_start.isoformat(),
            "train_end": self.train_end.isoformat(),
            "train_rows": self.train_rows,
            "purged_rows": self.purged_rows,
            "purge_sessions": self.purge_sessions,
        }


@dataclass(frozen=True, slots=True)
class WalkForwardResult:
    kind: ModelKind
    feature_columns: tuple[str, ...]
    label_horizon: int
    folds: tuple[Fold, ...]

    def metadata(self) -> list[dict[str, Any]]:
        return [fold.metadata() for fold in self.folds]


def first_test_year(first_date: dt.date, min_train_years: int) -> int:
    """The first year preceded by ``min_train_years`` x 12 months of data (first month counted)."""
    months_needed = 12 * min_train_years
    months_in_first_year = 13 - first_date.month  # from first_date's month through December
    if months_in_first_year >= months_needed:
        return first_date.year + 1
    return first_date.year + 1 + -(-(months_needed - months_in_first_year) // 12)


def _sorted_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` sorted by (symbol, date), which must be unique; the features artifact's own order
    proves both without a copy (``in_key_order``)."""
    if in_key_order(frame):
        return frame
    if frame.select(pl.struct("symbol", "date").is_duplicated().any()).item():
        raise ValueError("features: (symbol, date) must be unique")
    return frame.sort("symbol", "date")


def fit_walk_forward(
    frame: pl.DataFrame,
    feature_columns: Sequence[str],
    *,
    model_kind: ModelKind | str,
    label_horizon: int,
    min_train_years: int = MIN_TRAIN_YEARS,
    ridge_alpha: float = RIDGE_ALPHA,
    years: frozenset[int] | None = None,
) -> WalkForwardResult:
    """Fit one model per test year on the purged past; deterministic for the same frame.

    ``years`` fits only those test years (an evening crossing a fold boundary
    refits one fold, not all): each fold is the same either way.
    """
    kind = ModelKind.parse(model_kind)
    if label_horizon < 1 or min_train_years < 1:
        raise ValueError(
            f"'label_horizon' and 'min_train_years' must be >= 1, were {label_horizon}, {min_train_years}"
        )
    guard = FeatureGuard(tuple(feature_columns))
    frame = _sorted_frame(frame)
    if frame.height == 0:
        raise ValueError("features: no rows to fit")
    guard.check_columns([c for c in frame.columns if c not in NON_FEATURE_COLUMNS])  # once, whole frame
    fitted_columns = [*guard.feature_columns, "label"]  # a fold copies these rows, not symbols and times
    sessions = frame["date"].unique().sort()
    dates = frame["date"]
    label = frame["label"].cast(pl.Float64)
    finite_label = (label.is_not_null() & label.is_finite()).to_numpy()
    first_year = first_test_year(sessions[0], min_train_years)
    folds = []
    for year in sorted({y for y in sessions.dt.year().to_list() if y >= first_year}):
        if years is not None and year not in years:
            continue
        test_mask = (dates.dt.year() == year).to_numpy()
        test_start = sessions.filter(sessions.dt.year() == year)[0]
        start_index = int(sessions.search_sorted(test_start))
        if start_index - label_horizon < 1:
            continue
        train_end = sessions[start_index - label_horizon - 1]
        before = (dates <= train_end).to_numpy()
        train_mask = before & finite_label
        purged = ((dates > train_end) & (dates < test_start)).to_numpy()
        train = frame.select(fitted_columns).filter(pl.Series(train_mask))
        X = guard.matrix(train.drop("label"))
        y_train = np.ascontiguousarray(train["label"].to_numpy(), dtype=np.float64)
        del train  # the frame copy goes before the fit
        model = fit_estimator(kind, X, y_train, ridge_alpha=ridge_alpha, consume=True)
        del X, y_train  # not held while the next fold's rows are gathered
        test_dates = dates.filter(pl.Series(test_mask))
        folds.append(
            Fold(
                year=year,
                test_start=test_start,
                test_end=test_dates.max(),
                test_rows=int(test_mask.sum()),
                train_start=dates.filter(pl.Series(train_mask)).min(),
                train_end=train_end,
                train_rows=int(train_mask.sum()),
                purged_rows=int(purged.sum()),
                purge_sessions=label_horizon,
                model=model,
            )
        )
    return WalkForwardResult(kind, guard.feature_columns, label_horizon, tuple(folds))


@dataclass(frozen=True, slots=True)
class ExportedFold:
    """A fold's exports: write these bytes to the run directory (ONNX bytes are deterministic)."""

    year: int
    onnx: bytes
    skops: bytes
    parity: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PredictionResult:
    predictions: pl.DataFrame  # PREDICTIONS_SCHEMA columns, sorted by (symbol, date)
    exports: tuple[ExportedFold, ...]


def predict_walk_forward(
    result: WalkForwardResult, frame: pl.DataFrame, *, check_parity: bool = True
) -> PredictionResult:
    """Predict each fold's test year through its ONNX export, one session's rows per batch.

    One batch per session makes a prediction independent of how many other
    sessions are predicted with it (Ridge through ONNX differs in the last bit
    with batch size), so a run advanced day by day predicts exactly what one
    batch run predicts. The ONNX export is what decides; parity with the
    in-memory model and the skops reload is measured and recorded per fold,
    and only a real disagreement (beyond tolerance, or a skops reload that is
    not bit-identical) raises ``ExportParityError``.
    """
    guard = FeatureGuard(result.feature_columns)
    frame = _sorted_frame(frame)
    parts, exports = [], []
    for fold in result.folds:
        test = frame.filter(pl.col("date").dt.year() == fold.year)
        X = guard.matrix(test.drop("label", strict=False))
        onnx_data, skops_data = onnx_bytes(fold.model, X.shape[1]), skops_bytes(fold.model)
        session = OnnxModel(onnx_data, guard)
        dates = test["date"].to_numpy()
        prediction = session.predict_per_session(X, dates)
        report = parity_report(  # its sklearn predictions run on one thread (export._predict_any)
            fold.model,
            prediction,
            load_skops(skops_data),
            X,
            keys=(dates, test["symbol"].to_numpy()),
        )
        if check_parity and not report["ok"]:
            raise ExportParityError.from_report(fold.year, result.kind.value, report)
        exports.append(ExportedFold(fold.year, onnx_data, skops_data, {"year": fold.year, **report}))
        parts.append(
            test.select("symbol", "date", "ts").with_columns(
                fold_year=pl.lit(fold.year, dtype=pl.Int32),
                model=pl.lit(result.kind.value, dtype=pl.String),
                prediction=pl.Series(prediction, dtype=pl.Float32),
            )
        )
    schema = {
        "symbol": pl.String,
        "date": pl.Date,
        "ts": frame.schema["ts"],
        "fold_year": pl.Int32,
        "model": pl.String,
        "prediction": pl.Float32,
    }
    predictions = pl.concat(parts) if parts else pl.DataFrame(schema=schema)
    return PredictionResult(predictions.sort("symbol", "date"), tuple(exports))
