"""The E2D pipeline: stages 1-7 in order, each writing one checkpointed artifact.

    1 ingest      verify the pinned snapshot            (trace only)
    2 sanity      strict/repair checks                  (trace: every count)
    3 calendar    XNYS session close as `ts`            -> bars
    4 corp. act.  close_tr, close_adj                   -> bars
    5 features    lagged float32 features + label       -> features
    6 model       walk-forward fits, ONNX predictions   -> predictions
    7 decisions   target weights with a risk veto       -> decisions

Stages 3-4 share one artifact (`bars`). A stage whose recorded inputs hash
and output bytes still match is skipped on a rerun or resume; anything else
is recomputed. Stages 2-5 run as one map over symbol partitions, in this
process or on a dask cluster (executors.py, partitions.py): the same bytes
either way. Execution (stage 8) is the run loop, in runloop.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from aurora_e2d import __version__
from aurora_e2d.core.errors import InputError
from aurora_e2d.core.trace import Trace
from aurora_e2d.data.ingest import Snapshot
from aurora_e2d.data.sessions import session_closes
from aurora_e2d.research.decisions import decide
from aurora_e2d.research.executors import Executor, ExecutorSpec, executor_session
from aurora_e2d.research.features import FEATURE_COLUMNS, LABEL_HORIZON
from aurora_e2d.research.incremental import Base, exclusions_after
from aurora_e2d.research.model import ModelKind, fit_walk_forward, predict_walk_forward
from aurora_e2d.research.partitions import CORPORATE_ACTION_MODE, PartitionedStages
from aurora_e2d.research.stagecache import STAGE_ARTIFACTS, StageCache, input_hash
from aurora_e2d.research.universe import universe_exclusions
from aurora_e2d.rundir.artifacts import as_frame, atomic_write_bytes, read_parquet, write_canonical
from aurora_e2d.rundir.config import RunConfig
from aurora_e2d.rundir.layout import MODELS_DIR as MODELS_DIR  # re-exported: research names where exports go

if TYPE_CHECKING:
    from aurora_e2d.core.signals import StopSignals


@dataclass
class StageOutputs:
    """What the stages produced: frames for the next stage, hashes for the manifest."""

    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    sha256: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    snapshot: Snapshot | None = None


class StageRunner:
    """Runs one stage with its checkpoint: reuse verified output, else compute and write."""

    def __init__(self, run_dir: Path, trace: Trace, stop: StopSignals | None = None) -> None:
        self.run_dir = run_dir
        self.trace = trace
        self.stop = stop  # a SIGINT/SIGTERM stops the run between stages, never inside one
        self.cache = StageCache(run_dir)
        self.outputs = StageOutputs()

    def run(
        self,
        name: str,
        params: dict[str, Any],
        upstream: tuple[str, ...],
        compute: Callable[[], pl.DataFrame | pa.Table],
    ) -> pl.DataFrame:
        if self.stop is not None:
            self.stop.check()
        spec = STAGE_ARTIFACTS[name]
        inputs = input_hash(name, __version__, params, {u: self.outputs.sha256[u] for u in upstream})
        with self.trace.span(f"stage:{name}", stage=name, inputs_hash=inputs) as out:
            sha = self.cache.fresh(name, inputs, spec.file)
            if sha is not None:
                frame = read_parquet(self.run_dir / spec.file, spec.schema)
                out["reused"] = True
            else:
                table = compute()
                sha, written = write_canonical(
                    table, self.run_dir / spec.file, spec.schema, list(spec.sort_by)
                )
                del table  # the computed rows are freed: one copy of the stage's rows, the artifact's
                frame = as_frame(written)  # what reading the file back would give
                self.cache.record(name, inputs, sha)
                out["reused"] = False
            out.update(sha256=sha, rows=frame.height)
        self.outputs.frames[name] = frame
        self.outputs.sha256[name] = sha
        self.outputs.rows[name] = frame.height
        return frame


def data_window(snapshot: Snapshot, config: RunConfig) -> tuple[date, date]:
    """The sessions the run trades: the config's window, checked against the data."""
    bounds = pc.min_max(snapshot.prices.column("date"))
    first, last = bounds["min"].as_py(), bounds["max"].as_py()
    start = config.start or first
    end = config.end or last
    if start < first or start > last:
        raise InputError.bad_value(
            "start", f"a date within the snapshot's data ({first}..{last})", str(start)
        )
    if end < first or end > last:
        raise InputError.bad_value("end", f"a date within the snapshot's data ({first}..{last})", str(end))
    if start > end:
        raise InputError.bad_value("start", f"a date not after end ({end})", str(start))
    return start, end


def run_data_stages(
    runner: StageRunner,
    config: RunConfig,
    snapshot: Snapshot,
    executor: ExecutorSpec | Executor | None = None,
    *,
    consume: bool = False,
) -> tuple[date, date]:
    """Stages 2-5 on the verified snapshot (stage 1, `load_snapshot`). Returns the trading window.

    ``executor`` says what runs the map over symbol partitions (default: this
    process; a started ``Executor`` is borrowed, not closed); it is not a
    stage parameter, since it changes no byte. ``consume``: the caller hands
    the snapshot's raw prices over, and they are released (``release_prices``)
    as soon as stages 2-4 have read them -- a run does; a caller that runs the
    stages again on the same snapshot does not.
    """
    runner.trace.event("ingest", prices_sha256=snapshot.prices_sha256, actions_sha256=snapshot.actions_sha256)
    runner.outputs.snapshot = snapshot
    start, end = data_window(snapshot, config)
    # Nothing after `end` may reach any stage: a shorter run is a run that
    # happened earlier, not a peek at the future.
    prices = snapshot.prices
    if pc.max(prices.column("date")).as_py() > end:  # a copy only when rows are cut (GBs at scale)
        prices = prices.filter(pc.less_equal(prices.column("date"), pa.scalar(end)))
    if prices.num_rows == 0:
        raise InputError.bad_value("end", "a window with data", str(end))
    first = pc.min(prices.column("date")).as_py()
    closes = session_closes(first, end, snapshot.calendar)
    data_params = {
        "snapshot": snapshot.lock_sha256,  # the lock names the calendar too
        "end": end.isoformat(),
        "sanity_mode": config.data.sanity_mode,
        "mode": CORPORATE_ACTION_MODE.value,
        # close_adj/volume_adj anchored at each symbol's first bar (ADR 0016): a record of bars
        # back-adjusted by an earlier release is never reused for them
        "adjusted_anchor": "first_bar",
    }
    stages = PartitionedStages(prices, snapshot.actions, closes, config.data.sanity_mode, runner.trace)
    del prices  # the stages hold the window's prices until their map has read them

    def bars() -> pa.Table:
        table = stages.bars(pool())
        # Stages 2-5 have read the raw prices (the largest table a run loads: 320 MB at 2,000 x
        # 10 y); every stage after this one reads the bars, so they go before the bars are written.
        if consume:
            stages.release_prices()
            snapshot.release_prices()
        return table

    # The executor starts (a cluster, say) only if a stage must be computed.
    with executor_session(executor, runner.stop, runner.trace) as pool:
        bars_frame = runner.run("bars", data_params, (), bars)
        runner.run("features", {}, ("bars",), lambda: stages.features(pool(), bars_frame))
    if consume:
        snapshot.release_prices()  # (when the bars were reused, nothing read them at all)
    # the adjusted series fed the features alone: 80 MB less for the rest of the run at 2,000 x 10 y
    runner.outputs.frames["bars"] = bars_frame.drop("close_adj", "volume_adj")
    return start, end


def run_model_stages(
    runner: StageRunner,
    config: RunConfig,
    model_kind: ModelKind,
    start: date,
    end: date,
    base: Base | None = None,
) -> None:
    """Stages 6-7: walk-forward ONNX predictions, then decisions inside the trading window.

    With ``base`` (an evening, `aurora advance`), each stage first tries its
    incremental path (research/incremental.py): the same bytes, or a traced
    fall-back to the full recompute.
    """
    model_params = {
        "kind": model_kind.value,
        "ridge_alpha": config.model.ridge_alpha,
        "min_train_years": config.model.min_train_years,
        "label_horizon": LABEL_HORIZON,
        "features": list(FEATURE_COLUMNS),
    }

    def predictions() -> pl.DataFrame:
        features = runner.outputs.frames["features"]
        if base is not None:
            evening = base.predictions(
                runner.trace,
                model_params,
                features,
                model_kind=model_kind,
                label_horizon=LABEL_HORIZON,
                min_train_years=config.model.min_train_years,
                ridge_alpha=config.model.ridge_alpha,
            )
            if evening is not None:
                _write_model_exports(runner.run_dir, evening.exports, evening.folds, evening.parity)
                return evening.predictions
        fitted = fit_walk_forward(
            features,
            FEATURE_COLUMNS,
            model_kind=model_kind,
            label_horizon=LABEL_HORIZON,
            min_train_years=config.model.min_train_years,
            ridge_alpha=config.model.ridge_alpha,
        )
        result = predict_walk_forward(fitted, features)
        _write_model_exports(runner.run_dir, result.exports, fitted.metadata())
        return result.predictions

    predicted = runner.run("predictions", model_params, ("features",), predictions)
    runner.outputs.frames.pop("features")  # read by the model alone: its rows need not outlive it
    if not (runner.run_dir / MODELS_DIR / "folds.json").is_file():
        raise InputError(str(runner.run_dir / MODELS_DIR), "model exports missing while predictions exist")
    decision_params = {
        "top_k": config.decisions.top_k,
        "max_weight": config.decisions.max_weight,
        "max_gross": config.decisions.max_gross,
        "universe": config.universe.model_dump(mode="json"),
        "start": start.isoformat(),
        "end": end.isoformat(),
    }

    def decisions() -> pl.DataFrame:
        window = _dated(predicted, start, end)
        # what the universe filter reads (up to `end`: nothing after it reaches a stage)
        bars = _dated(runner.outputs.frames["bars"].select("symbol", "date", "close", "volume"), None, end)
        previous = None if base is None else base.decisions(runner.trace, decision_params, bars)
        universe = config.universe.model_dump()
        if previous is not None:  # the previous decisions stand; decide the new (and moved) sessions alone
            old, last, again = previous
            window = window.filter((pl.col("date") > last) | pl.col("date").is_in(again))
            excluded = (
                universe_exclusions(bars, **universe) if again else exclusions_after(bars, last, universe)
            )
        else:
            excluded = universe_exclusions(bars, **universe)
        made = decide(
            window,
            top_k=config.decisions.top_k,
            max_weight=config.decisions.max_weight,
            max_gross=config.decisions.max_gross,
            exclusions=excluded,
        )
        if previous is None:
            return made
        return pl.concat([old, made.select(old.columns).cast(old.schema)])

    runner.run("decisions", decision_params, ("predictions", "bars"), decisions)
    runner.outputs.frames.pop("predictions")  # read by the decisions alone (the summary reads the file)


def _dated(frame: pl.DataFrame, first: date | None, last: date) -> pl.DataFrame:
    """``frame``'s rows dated ``first..last``: the frame itself when no row falls outside, since a
    filter copies every column even when it keeps every row (the 25 M bars of 5,000 x 20 y: ~0.9 GB)."""
    dates = frame["date"]
    if frame.height == 0 or (dates.max() <= last and (first is None or dates.min() >= first)):  # type: ignore[operator]
        return frame
    keep = pl.col("date") <= last if first is None else pl.col("date").is_between(first, last)
    return frame.filter(keep)


def _write_model_exports(
    run_dir: Path,
    exports: tuple,
    folds: list[dict[str, Any]],
    parity: list[dict[str, Any]] | None = None,
) -> None:
    """Each fold's ONNX and skops bytes, plus fold metadata and export parity per fold
    (``parity`` given: an evening writes only its new folds' files, and every fold's parity)."""
    target = run_dir / MODELS_DIR
    target.mkdir(exist_ok=True)
    for export in exports:
        atomic_write_bytes(target / f"fold-{export.year}.onnx", export.onnx)
        atomic_write_bytes(target / f"fold-{export.year}.skops", export.skops)
    summary = {"folds": folds, "parity": [export.parity for export in exports] if parity is None else parity}
    text = json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n"
    atomic_write_bytes(target / "folds.json", text.encode())
