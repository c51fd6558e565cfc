"""Stages 6-7 of an evening (`aurora advance`): compute only what the new sessions need.

One batch run over the newer snapshot stays the reference. An evening reuses
the run's previous predictions and decisions only when it can prove they are
the prefix of what that batch run would write, and computes the rest:

* predictions: the previous run's stage records name the features they were
  made from and the same model parameters and code (input hash), and each
  reused fold's exports match the previous manifest. If the newer features
  up to the previous session equal the previous ones (labels where they were
  known), every existing fold trains on the same rows: only the new rows are
  predicted, by their fold's ONNX export, one session per batch as in batch,
  and a test year seen for the first time is fitted (that evening costs one
  refit). If history changed (a new ex-date back-adjusts its symbol's whole
  history, so its labels change in the last bits), batch refits every fold,
  and so does the evening; but a refitted fold whose ONNX bytes are the
  previous ones predicts the same bytes on the same session's rows, so only
  the new sessions, the sessions whose feature rows changed, and the whole
  year of a fold whose export changed are predicted again. The parity of
  every fold touched is measured again over its whole test year, as batch
  does.
* decisions: the previous decisions were made from those predictions and
  bars (input hash) and the raw close and volume of the previous sessions
  are unchanged (the universe reads them); a session's decisions depend on
  that session only, so the new sessions, and previous sessions whose
  predictions changed, are decided alone.

Any failed precondition falls back to the full recompute, and the trace says
which (event ``incremental``, with the notes of what was refitted).

The previous bars and features are hard links under ``BASE_DIR`` taken before
the data stages replace them, removed when the model stages end.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from aurora_e2d import __version__
from aurora_e2d.core.trace import Trace
from aurora_e2d.research.export import (
    ExportParityError,
    FeatureGuard,
    OnnxModel,
    load_skops,
    onnx_bytes,
    parity_report,
    skops_bytes,
)
from aurora_e2d.research.features import FEATURE_COLUMNS
from aurora_e2d.research.model import (
    ExportedFold,
    ModelKind,
    first_test_year,
    fit_walk_forward,
)
from aurora_e2d.research.stagecache import STAGE_ARTIFACTS as ARTIFACTS
from aurora_e2d.research.stagecache import StageCache, input_hash
from aurora_e2d.research.universe import universe_exclusions
from aurora_e2d.rundir.artifacts import read_parquet, sha256_file
from aurora_e2d.rundir.layout import MANIFEST_FILE, MODELS_DIR

__all__ = ["BASE_DIR", "Base", "EveningPredictions", "discard_base", "exclusions_after"]

BASE_DIR = ".advance-base"  # operational scratch, never an artifact
_LINKED = ("bars", "features")  # replaced by the data stages before stages 6-7 read them


class _Refused(Exception):
    """A precondition of the incremental path failed: the full recompute runs instead."""


def discard_base(run_dir: Path) -> None:
    """Drop a base left behind by a killed evening (it is rebuilt from the run directory)."""
    shutil.rmtree(run_dir / BASE_DIR, ignore_errors=True)


@dataclass(frozen=True)
class EveningPredictions:
    """Predictions of the whole window, plus what the model exports become."""

    predictions: pl.DataFrame
    exports: tuple[ExportedFold, ...]  # the newly fitted folds only: their files are written
    folds: list[dict[str, Any]]  # folds.json's "folds", every fold
    parity: list[dict[str, Any]]  # folds.json's "parity", every fold


@dataclass
class Base:
    """What the run held before this evening: stage records, the previous manifest, linked artifacts."""

    run_dir: Path
    records: dict[str, dict[str, str]]
    manifest: dict[str, Any]
    predictions_reused: bool = False
    previous_last: date | None = None
    moved_sessions: np.ndarray = field(default_factory=lambda: np.zeros(0, "datetime64[D]"))
    notes: list[str] = field(default_factory=list)

    @classmethod
    def capture(cls, run_dir: Path) -> Base:
        discard_base(run_dir)
        base = run_dir / BASE_DIR
        base.mkdir()
        for name in _LINKED:
            source = run_dir / ARTIFACTS[name].file
            if source.is_file():
                # A later atomic rename keeps this inode. No hard links on this file system: the
                # stage's precondition then fails and the full path runs.
                with contextlib.suppress(OSError):
                    os.link(source, base / f"{name}.parquet")
        cache = StageCache(run_dir)
        records = {name: r for name in ARTIFACTS if (r := cache.recorded(name)) is not None}
        try:
            manifest = json.loads((run_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
        return cls(run_dir, records, manifest if isinstance(manifest, dict) else {})

    def release(self) -> None:
        discard_base(self.run_dir)

    # ------------------------------------------------------------------ checks
    def _linked(self, name: str) -> Path:
        return self.run_dir / BASE_DIR / f"{name}.parquet"

    def _verified(self, name: str, path: Path) -> str:
        """The recorded sha256 of ``name``'s previous output, checked against ``path``'s bytes."""
        record = self.records.get(name)
        if record is None:
            raise _Refused(f"no previous record of stage {name}")
        if not path.is_file() or sha256_file(path) != record.get("sha256"):
            raise _Refused(f"the previous {name} artifact does not match its record")
        return record["sha256"]

    def _recorded_inputs(self, name: str, params: Mapping[str, Any], upstream: Mapping[str, str]) -> None:
        if self.records[name].get("inputs") != input_hash(name, __version__, params, upstream):
            raise _Refused(f"the previous {name} were made from other inputs, parameters or code")

    def _model_file(self, rel: str) -> bytes:
        path = self.run_dir / rel
        entry = self.manifest.get("artifacts", {}).get(rel)
        data = path.read_bytes() if path.is_file() else None
        if data is None or not isinstance(entry, dict) or entry.get("sha256") != _sha(data):
            raise _Refused(f"{rel} is missing or does not match the previous manifest")
        return data

    # ------------------------------------------------------------- predictions
    def predictions(
        self,
        trace: Trace,
        params: Mapping[str, Any],
        features: pl.DataFrame,
        *,
        model_kind: ModelKind,
        label_horizon: int,
        min_train_years: int,
        ridge_alpha: float,
    ) -> EveningPredictions | None:
        """Stage 6 for the new rows only, or None (traced) when a precondition fails."""
        try:
            result = self._predictions(
                params, features, model_kind, label_horizon, min_train_years, ridge_alpha
            )
        except _Refused as refused:
            trace.event("incremental", stage="predictions", used=False, reason=str(refused))
            return None
        self.predictions_reused = True
        trace.event("incremental", stage="predictions", used=True, notes=list(self.notes))
        return result

    def _predictions(
        self,
        params: Mapping[str, Any],
        features: pl.DataFrame,
        kind: ModelKind,
        label_horizon: int,
        min_train_years: int,
        ridge_alpha: float,
    ) -> EveningPredictions:
        features_sha = self._verified("features", self._linked("features"))
        preds_file = self.run_dir / ARTIFACTS["predictions"].file
        self._verified("predictions", preds_file)
        self._recorded_inputs("predictions", params, {"features": features_sha})
        last, changed, labels_changed = _history_changes(self._linked("features"), features)
        try:
            summary = json.loads((self.run_dir / MODELS_DIR / "folds.json").read_text(encoding="utf-8"))
            old_folds = {int(f["year"]): f for f in summary["folds"]}
            old_parity = {int(p["year"]): p for p in summary["parity"]}
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise _Refused(f"models/folds.json cannot be read ({type(error).__name__})") from None
        old_preds = read_parquet(preds_file, ARTIFACTS["predictions"].schema)
        first_year = first_test_year(features["date"].min(), min_train_years)  # type: ignore[arg-type]
        all_years = {y for y in features["date"].dt.year().unique().to_list() if y >= first_year}
        new_years = {y for y in features.filter(pl.col("date") > last)["date"].dt.year().unique().to_list()}
        if labels_changed or changed.size:
            # Every fold trains on history that changed: batch refits them all, so must we.
            to_fit = frozenset(all_years)
            self.notes.append(
                f"history up to {last} changed (feature rows of {changed.size} session(s), labels "
                f"{'too' if labels_changed else 'not'}; a new ex-date back-adjusts a symbol): every fold refitted"
            )
        else:
            to_fit = frozenset(y for y in all_years & new_years if y not in old_folds)
            if to_fit:
                self.notes.append(f"refit of fold(s) {sorted(to_fit)}: a fold boundary was crossed")
        fitted = {}
        if to_fit:
            walk = fit_walk_forward(
                features,
                FEATURE_COLUMNS,
                model_kind=kind,
                label_horizon=label_horizon,
                min_train_years=min_train_years,
                ridge_alpha=ridge_alpha,
                years=to_fit,
            )
            fitted = {fold.year: fold for fold in walk.folds}
        guard = FeatureGuard(FEATURE_COLUMNS)
        parts, exports, moved, reexported = [], [], [], []
        folds, parity = dict(old_folds), dict(old_parity)
        changed_years = {d.year for d in changed.astype("datetime64[D]").astype(date)}
        work = sorted((new_years | set(fitted) | changed_years) & (set(old_folds) | set(fitted)))
        for year in work:
            test = features.filter(pl.col("date").dt.year() == year)
            X = guard.matrix(test.drop("label"))
            dates, symbols = test["date"].to_numpy(), test["symbol"].to_numpy()
            fresh = (test["date"] > last).to_numpy()
            onnx_rel = f"{MODELS_DIR}/fold-{year}.onnx"
            skops_data: bytes | None = None
            if year in fitted:
                fold = fitted[year]
                model, onnx_data = fold.model, onnx_bytes(fold.model, X.shape[1])
                skops_data = skops_bytes(model)
                reload, meta = load_skops(skops_data), fold.metadata()
                same_export = year in old_folds and onnx_data == self._model_file(onnx_rel)
            elif year in old_folds:
                onnx_data = self._model_file(onnx_rel)
                self._model_file(f"{MODELS_DIR}/fold-{year}.skops")
                model = reload = load_skops(self.run_dir / MODELS_DIR / f"fold-{year}.skops")
                meta = {
                    **old_folds[year],
                    "test_end": test["date"].max().isoformat(),
                    "test_rows": test.height,
                }
                same_export = True
            else:
                continue  # batch fits no fold for this year either
            kept = old_preds.filter(pl.col("fold_year") == year)
            if kept.height != int((~fresh).sum()):
                raise _Refused(f"the previous predictions of {year} do not cover its previous rows")
            before = kept["prediction"].to_numpy()
            prediction = np.empty(test.height, dtype=np.float32)
            prediction[~fresh] = before
            # The same export on the same session's rows gives the same bytes: only sessions that are
            # new, or whose rows changed, or whose fold's export changed are predicted again.
            redo = fresh | np.isin(dates, changed) if same_export else np.ones(test.height, dtype=bool)
            if not same_export and year in old_folds:
                reexported.append(year)
            prediction[redo] = OnnxModel(onnx_data, guard).predict_per_session(X[redo], dates[redo])
            differs = prediction[~fresh].view(np.uint32) != before.view(np.uint32)
            moved.append(dates[~fresh][differs])
            report = parity_report(model, prediction, reload, X, keys=(dates, symbols))
            if not report["ok"]:
                raise ExportParityError.from_report(year, kind.value, report)
            if skops_data is not None:
                exports.append(ExportedFold(year, onnx_data, skops_data, {"year": year, **report}))
            folds[year], parity[year] = meta, {"year": year, **report}
            parts.append(
                test.select("symbol", "date", "ts").with_columns(
                    fold_year=pl.lit(year, dtype=pl.Int32),
                    model=pl.lit(kind.value, dtype=pl.String),
                    prediction=pl.Series(prediction, dtype=pl.Float32),
                )
            )
        self.previous_last = last
        self.moved_sessions = np.unique(np.concatenate(moved)) if moved else np.zeros(0, "datetime64[D]")
        if reexported:
            self.notes.append(f"fold export(s) {reexported} changed: their years predicted again")
        if self.moved_sessions.size:
            self.notes.append(f"predictions of {self.moved_sessions.size} previous session(s) changed")
        parts.insert(0, old_preds.filter(~pl.col("fold_year").is_in(work)))
        predictions = pl.concat([p.select(old_preds.columns).cast(old_preds.schema) for p in parts])
        return EveningPredictions(
            predictions.sort("symbol", "date"),
            tuple(exports),
            [folds[y] for y in sorted(folds)],
            [parity[y] for y in sorted(parity)],
        )

    # --------------------------------------------------------------- decisions
    def decisions(
        self,
        trace: Trace,
        params: Mapping[str, Any],
        bars: pl.DataFrame,
    ) -> tuple[pl.DataFrame, date, list[date]] | None:
        """The previous decisions that stand, the last previous session, and the previous sessions
        to decide again (their predictions changed), when sessions may be decided alone (see the
        module docstring); None (traced) otherwise."""
        try:
            if not self.predictions_reused or self.previous_last is None:
                raise _Refused("the predictions were recomputed in full")
            last = self.previous_last
            old_preds_sha = self.records["predictions"]["sha256"]
            bars_sha = self._verified("bars", self._linked("bars"))
            decisions_file = self.run_dir / ARTIFACTS["decisions"].file
            self._verified("decisions", decisions_file)
            columns = ["symbol", "date", "close", "volume"]
            old_bars = pl.from_arrow(pq.read_table(self._linked("bars"), columns=columns))
            assert isinstance(old_bars, pl.DataFrame)
            end = old_bars["date"].max()
            self._recorded_inputs(
                "decisions",
                {**params, "end": end.isoformat()},  # type: ignore[union-attr]
                {"predictions": old_preds_sha, "bars": bars_sha},
            )
            if end != last:
                raise _Refused(f"the previous bars end {end}, the previous features {last}")
            if not bars.select(columns).filter(pl.col("date") <= last).equals(old_bars):
                raise _Refused("bars of the previous sessions changed (close or volume)")
            again: list[date] = self.moved_sessions.astype("datetime64[D]").tolist()
            old = read_parquet(decisions_file, ARTIFACTS["decisions"].schema)
            old = old.filter(~pl.col("date").is_in(again))
        except _Refused as refused:
            trace.event("incremental", stage="decisions", used=False, reason=str(refused))
            return None
        trace.event("incremental", stage="decisions", used=True, after=last.isoformat(), again=len(again))
        return old, last, again


def exclusions_after(bars: pl.DataFrame, last: date, universe: Mapping[str, Any]) -> pl.DataFrame:
    """``universe_exclusions`` of the sessions after ``last`` from each symbol's last rows only.

    Each symbol keeps its rows after ``last`` plus max(window - 1, min history) before them (all
    of them when it has fewer): every new row's median window lies inside that tail, and its count
    of rows reaches the minimum history exactly when the full count does. A rolling median is an
    order statistic of its window's values, the same wherever the computation starts.
    """
    days = bars.filter(pl.col("date") > last)["date"].n_unique()
    keep = max(int(universe["dollar_volume_window_sessions"]) - 1, int(universe["min_history_sessions"]))
    tail = (
        bars.select("symbol", "date", "close", "volume")
        .group_by("symbol", maintain_order=True)
        .tail(keep + days)
    )
    return universe_exclusions(tail, **universe).filter(pl.col("date") > last)


def _history_changes(previous: Path, new: pl.DataFrame) -> tuple[date, np.ndarray, bool]:
    """The previous last session, the sessions up to it whose feature rows differ between the
    previous and the newer features, and whether any label known then differs; refused when the
    rows themselves differ. The previous file is read one column at a time (memory: one column)."""
    source = pq.ParquetFile(previous)

    def column(name: str) -> pl.Series:
        series = pl.from_arrow(source.read(columns=[name]).column(name))
        assert isinstance(series, pl.Series)
        return series

    dates = column("date")
    last = dates.max()
    if not isinstance(last, date):
        raise _Refused("the previous features hold no row")
    mask = new["date"] <= last
    if int(mask.sum()) != dates.len() or not new["date"].filter(mask).equals(dates):
        raise _Refused(f"the feature rows up to {last} are not the previous ones")
    for key in ("symbol", "ts"):
        if not new[key].filter(mask).equals(column(key)):
            raise _Refused(f"the feature rows up to {last} are not the previous ones")
    differs = np.zeros(dates.len(), dtype=bool)
    for name in FEATURE_COLUMNS:
        before, after = column(name).to_numpy(), new[name].filter(mask).to_numpy()
        differs |= before.view(np.uint32) != after.view(np.uint32)
    old_label, new_label = column("label"), new["label"].filter(mask)
    known = old_label.is_not_null()
    labels = not np.array_equal(
        old_label.filter(known).to_numpy().view(np.uint64),
        new_label.filter(known).fill_null(float("nan")).to_numpy().view(np.uint64),
    )
    return last, np.unique(dates.to_numpy()[differs]), labels


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
