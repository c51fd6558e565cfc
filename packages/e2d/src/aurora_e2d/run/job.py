"""One `aurora run` / `aurora resume`: run dir, stages, execution loop, artifacts, manifest.

The run directory holds everything a run produced (DESIGN.md §5). Its config
is frozen into `config.json` at creation; a rerun or resume of the same
directory must use the same config (hash checked here and by the journal),
so nothing committed is ever reinterpreted under other settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from shlex import quote
from typing import TYPE_CHECKING

import numpy as np

from aurora_broker import JOURNAL_NAME, JournalReader
from aurora_e2d.core.errors import InputError
from aurora_e2d.core.exitcodes import ExitCode
from aurora_e2d.core.paths import repo_root
from aurora_e2d.core.signals import Interrupted, StopSignals
from aurora_e2d.core.trace import Trace
from aurora_e2d.data.ingest import Snapshot, load_snapshot
from aurora_e2d.engine.alerts import AlertSink, ObservingSink
from aurora_e2d.engine.catalog import ARTIFACTS
from aurora_e2d.engine.derive import derive_frames
from aurora_e2d.engine.halts import halt_refusal, read_halt
from aurora_e2d.engine.loop import (
    ExecutionLoop,
    LoopOutcome,
    LoopStatus,
    ReplayClock,
    peak_rss_mb,
)
from aurora_e2d.engine.sessions import build_sessions, trading_days
from aurora_e2d.engine.stack import open_stack
from aurora_e2d.report.page import BLESSING, REPORT, write_report
from aurora_e2d.report.summary import (
    frictionless_returns,
    idealised_metrics,
    performance,
    run_metrics,
    write_summary,
)
from aurora_e2d.research.executors import ExecutorSpec
from aurora_e2d.research.incremental import Base, discard_base
from aurora_e2d.research.model import ModelKind
from aurora_e2d.research.pipeline import (
    MODELS_DIR,
    StageRunner,
    data_window,
    run_data_stages,
    run_model_stages,
)
from aurora_e2d.research.stagecache import STAGE_ARTIFACTS
from aurora_e2d.run.claim import (
    CONFIG_FILE,
    RunClaim,
    claim_run_dir,
    load_run_config,
    new_run_id,
    prepare_run_dir,
)
from aurora_e2d.run.lock import RunDirBusyError, holder
from aurora_e2d.run.phase import RunPhase, read_phase
from aurora_e2d.rundir.artifacts import read_parquet, write_parquet
from aurora_e2d.rundir.config import RunConfig, load_config
from aurora_e2d.rundir.layout import REPORT_ENTRY, SUMMARY_FILE, TRACE_FILE
from aurora_e2d.rundir.manifest import Manifest, git_revision
from aurora_e2d.rundir.runformat import (
    BACKUP_GLOB,
)
from aurora_safety import effective_flags

if TYPE_CHECKING:
    import polars as pl

_EXIT = {
    LoopStatus.COMPLETED: ExitCode.OK,
    LoopStatus.KILLED: ExitCode.KILLED,
    LoopStatus.HALTED: ExitCode.BREAKER,
}
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    run_id: str
    exit_code: int
    message: str


def _remove_stale_temp_files(run_dir: Path) -> None:
    """A crash mid-write leaves `.name.xxxx.tmp`; the atomic rename never happened, so drop it."""
    for stale in run_dir.rglob(".*.tmp"):
        stale.unlink(missing_ok=True)


def run_job(
    config: RunConfig,
    run_dir: Path | None,
    progress: Progress | None = None,
    stop: StopSignals | None = None,
    executor: ExecutorSpec | None = None,
    *,
    operator_resume: bool = False,
) -> RunResult:
    """Run (or continue) a run as its only writer; bad input leaves no half-made run directory behind.

    ``executor`` runs stages 2-5 (default: this process); it changes no artifact byte, so it is not config.
    Only ``operator_resume`` (`aurora resume`) lifts a halt; otherwise a halted run is refused (3/4).
    """
    with claim_run_dir(config, run_dir) as claim:
        return run_claimed(config, claim, progress, stop, executor, operator_resume=operator_resume)


def run_claimed(
    config: RunConfig,
    claim: RunClaim,
    progress: Progress | None = None,
    stop: StopSignals | None = None,
    executor: ExecutorSpec | None = None,
    *,
    operator_resume: bool = False,
) -> RunResult:
    """The run on a directory this process already holds (`claim_run_dir`), from stage 1 on."""
    run_dir = claim.run_dir
    try:
        if not operator_resume:
            refused = halt_refusal(run_dir, "aurora run")
            if refused is not None:
                return RunResult(run_dir, claim.run_id, refused.exit_code, refused.message)
        flags = effective_flags(config.flags)
        snapshot = load_snapshot(None if config.data.snapshot is None else Path(config.data.snapshot))
        data_window(snapshot, config)  # a window outside the data is refused before any stage
        return execute_run(
            config, flags, snapshot, run_dir, claim.run_id, progress, stop, executor, operator_resume
        )
    except Interrupted as signal_:
        return _interrupted_result(run_dir, signal_, "before the first session committed")


def _interrupted_result(run_dir: Path, signal_: Interrupted, where: str) -> RunResult:
    return RunResult(
        run_dir,
        run_dir.name,
        signal_.exit_code,
        f"aurora: interrupted by {signal_.name} ({where}); resume with: aurora resume --run-dir {quote(str(run_dir))}",
    )


def execute_run(
    config: RunConfig,
    flags: dict[str, bool],
    snapshot: Snapshot,
    run_dir: Path,
    run_id: str,
    progress: Progress | None,
    stop: StopSignals | None,
    executor: ExecutorSpec | None = None,
    operator_resume: bool = False,
    incremental: bool = False,
) -> RunResult:
    """``incremental`` (an evening, `aurora advance`): stages 6-7 reuse what provably stands."""
    _remove_stale_temp_files(run_dir)
    discard_base(run_dir)  # left by a killed evening
    # A blessing judged the run as it was; a run that continues must be blessed again.
    (run_dir / BLESSING).unlink(missing_ok=True)
    trace = Trace(run_dir / TRACE_FILE, run_id)
    alerts = AlertSink(run_dir, run_id)
    runner = StageRunner(run_dir, trace, stop)
    base = Base.capture(run_dir) if incremental else None
    try:
        start, end = run_data_stages(runner, config, snapshot, executor, consume=True)
        kind = ModelKind.from_flag(flags.get("hgb_model", False))
        run_model_stages(runner, config, kind, start, end, base)
    finally:
        if base is not None:
            base.release()

    frames = runner.outputs.frames
    days = trading_days(frames["decisions"])
    if not days:  # e.g. a weekend, or before the first walk-forward fold: nothing to trade
        # no walk-forward fold fits the data at all
        if _stage_frame(runner, "predictions", ["date"]).height == 0:
            first = str(_stage_frame(runner, "features", ["date"])["date"].min())
            raise InputError(
                "'model.min_train_years'",
                f"no walk-forward fold fits the data: features start {first} (after their warm-up) and a "
                f"fold needs {config.model.min_train_years} years before its test year; give more history "
                "or lower [model] min_train_years",
            )
        raise InputError.bad_value("start", f"a window with a trading session (end {end})", str(start))
    symbols = sorted(frames["bars"]["symbol"].unique().to_list())
    clock = ReplayClock()
    stack = open_stack(
        run_dir,
        config,
        clock,
        symbols=symbols,
        kill_run_dir=run_dir,
        observe=lambda journal_sink: ObservingSink(journal_sink, trace, alerts),
    )
    loop = ExecutionLoop(stack, clock, trace, alerts, stop, operator_resume=operator_resume)
    try:
        # Only the sessions the journal has not committed (an evening: one). The loop trades from
        # them; the research frames are on disk and are read back for the summary after it: the
        # execution holds the sessions, not the research history too.
        sessions = build_sessions(
            frames["bars"], frames["decisions"], snapshot.actions, after=loop.last_session()
        )
        del frames["decisions"]  # (features and predictions went when the stages that read them ended)
        # past this point the bars serve the session closes of the derived artifacts and the
        # summary's idealised book: the prices and adjusted series go (~280 MB at 2,000 x 10 y)
        frames["bars"] = frames["bars"].select("symbol", "date", "ts", "close_tr")
        with trace.span("stage:execution", stage="execution") as out:
            outcome = loop.run(sessions, progress, total=len(days))
            del sessions  # the trading window's columns: not needed past the loop
            out.update(
                status=str(outcome.status), sessions_done=outcome.sessions_done, message=outcome.message
            )
        with trace.span("stage:artifacts", stage="artifacts") as out:
            _derive_artifacts(runner, loop)
            out.update(rows={k: runner.outputs.rows[k] for k in ("orders", "fills", "positions", "equity")})
    finally:
        loop.close()
    if outcome.status is LoopStatus.HALTED:
        outcome = _explained(run_dir, outcome)
    with trace.span("stage:summary", stage="summary"):
        reference = _write_summary(runner, run_id, outcome, config)
    manifest = _write_manifest(runner, run_id, config, flags)
    runner.outputs.frames.clear()  # the report reads the artifacts it needs; the run's frames go first
    with trace.span("stage:report", stage="report"):
        # reads the manifest, so it comes after it ...
        write_report(run_dir, config=config, frictionless=reference)
    manifest.record(run_dir, REPORT_ENTRY, REPORT, None, None)  # ... and is then listed in it
    manifest.write(run_dir)
    if outcome.status is LoopStatus.INTERRUPTED:
        assert stop is not None
        assert stop.requested is not None
        signal_ = Interrupted(stop.requested)
        alerts.alert("interrupted", f"{signal_.name}: {outcome.message}", signal=signal_.name)
        trace.close()
        return _interrupted_result(run_dir, signal_, outcome.message)
    trace.close()
    return RunResult(
        run_dir, run_id, _EXIT[outcome.status], f"run {run_id} {outcome.status}: {outcome.message}: {run_dir}"
    )


def _explained(run_dir: Path, outcome: LoopOutcome) -> LoopOutcome:
    """A breaker halt names its decisive rejections and the config field that governs it."""
    halt = read_halt(run_dir)
    if halt is None or (halt.decisive is None and not halt.governed_by):
        return outcome
    extra = "" if halt.decisive is None else f"; decisive: {halt.decisive}"
    extra += f"; governed by {', '.join(halt.governed_by)}" if halt.governed_by else ""
    if halt.trips_again:
        extra += "; a breaker reset and resume would trip again on the same decisions and limits"
    return replace(outcome, message=outcome.message + extra)


def _derive_artifacts(runner: StageRunner, loop: ExecutionLoop) -> None:
    bars = runner.outputs.frames["bars"]
    days = bars.select("date", "ts").unique(subset="date")  # one close per session, not per bar
    ts_by_day = dict(zip(days["date"].to_list(), days["ts"].to_list(), strict=True))
    for name, frame in derive_frames(loop.journal.read, ts_by_day).items():
        spec = ARTIFACTS[name]
        sha = write_parquet(frame, runner.run_dir / spec.file, spec.schema, list(spec.sort_by))
        runner.outputs.frames[name] = frame
        runner.outputs.sha256[name] = sha
        runner.outputs.rows[name] = frame.height


def _stage_frame(runner: StageRunner, name: str, columns: list[str]) -> pl.DataFrame:
    """The ``columns`` of a research stage's artifact (its frame was released during execution)."""
    spec = STAGE_ARTIFACTS[name]
    return read_parquet(runner.run_dir / spec.file, spec.schema, columns)


def _write_summary(
    runner: StageRunner, run_id: str, outcome: LoopOutcome, config: RunConfig
) -> np.ndarray | None:
    """summary.json; returns the idealised book's daily returns for the report (None without
    decisions: the report then has no idealised column, as when it reads the run alone)."""
    frames = dict(runner.outputs.frames)
    # only what the metrics read: at 2,000 symbols x 10 years these are 3.5-5 M rows each
    frames["features"] = _stage_frame(runner, "features", ["symbol", "date", "label"])
    frames["predictions"] = _stage_frame(runner, "predictions", ["symbol", "date", "prediction"])
    frames["decisions"] = _stage_frame(runner, "decisions", ["date", "ts", "symbol", "target_weight"])
    # the idealised close-to-close reference over the same sessions and with the position caps
    reference = frictionless_returns(
        frames["decisions"], frames["bars"], equity=frames["equity"], limits=config.limits
    )
    payload = {
        "run_id": run_id,
        "status": str(outcome.status),
        "message": outcome.message,
        "sessions": {"done": outcome.sessions_done, "total": outcome.sessions_total},
        "metrics": run_metrics(frames["equity"], frames["orders"], frames["predictions"], frames["features"]),
        "frictionless": idealised_metrics(reference),
        "performance": performance(outcome.latencies_ms, peak_rss_mb()),
    }
    write_summary(runner.run_dir, payload)
    return reference if frames["decisions"].height else None


def _history(run_dir: Path) -> tuple[list[dict[str, object]], dict[str, object]]:
    """The journal's run events in order (advances, restatements, migrations; not their wall times),
    and its format and chain head: the manifest binds the artifacts to this journal."""
    with JournalReader.open(run_dir) as reader:
        history: list[dict[str, object]] = [
            {"kind": event.kind, **event.data} for event in reader.run_events()
        ]
        head = reader.chain_head()
        journal: dict[str, object] = {
            "format_version": reader.schema_version(),
            "chain_head": None if head is None else {"session": head[0].isoformat(), "sha256": head[1]},
        }
    return history, journal


def _write_manifest(runner: StageRunner, run_id: str, config: RunConfig, flags: dict[str, bool]) -> Manifest:
    run_dir = runner.run_dir
    snapshot = runner.outputs.snapshot
    assert snapshot is not None
    history, journal = _history(run_dir)
    manifest = Manifest(
        run_id=run_id,
        config=config.model_dump(mode="json"),
        config_hash=config.config_hash(),
        flags=flags,
        snapshot_sha256={
            "stocks.parquet": snapshot.prices_sha256,
            "corporate_actions.parquet": snapshot.actions_sha256,
        },
        snapshot_identity={
            "lock_sha256": snapshot.lock_sha256,
            "calendar": snapshot.calendar,
            "kind": snapshot.kind,
        },
        git_revision=git_revision(repo_root()),
        history=history,
        journal=journal,
    )
    for name, rows in runner.outputs.rows.items():
        spec = ARTIFACTS[name]
        manifest.record(run_dir, name, spec.file, rows, spec.schema_strings())
    backups = sorted(p.name for p in run_dir.glob(BACKUP_GLOB))  # left by a format upgrade
    for extra in (CONFIG_FILE, SUMMARY_FILE, JOURNAL_NAME, *backups):
        manifest.record(run_dir, extra, extra, None, None)
    for path in sorted((run_dir / MODELS_DIR).iterdir()):
        rel = f"{MODELS_DIR}/{path.name}"
        manifest.record(run_dir, rel, rel, None, None)
    manifest.write(run_dir)
    return manifest


def resume_job(run_dir: Path, progress: Progress | None = None, stop: StopSignals | None = None) -> RunResult:
    """Continue a killed, crashed, interrupted or halted run; a completed one is left exactly as it is."""
    config = load_run_config(run_dir)
    live = holder(run_dir)
    if live is not None:  # refused before reading a journal the live writer may hold locked
        raise RunDirBusyError(run_dir, live)
    if read_phase(run_dir, config).phase is RunPhase.COMPLETED:
        return RunResult(
            run_dir,
            run_dir.name,
            ExitCode.OK,
            f"run {run_dir.name} already completed; nothing to resume: {run_dir}",
        )
    return run_job(config, run_dir, progress, stop, operator_resume=True)


__all__ = [
    "CONFIG_FILE",
    "RunResult",
    "load_config",
    "load_run_config",
    "new_run_id",
    "prepare_run_dir",
    "resume_job",
    "run_claimed",
    "run_job",
]
