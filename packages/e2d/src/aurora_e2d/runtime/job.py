"""One `aurora run` / `aurora resume`: run dir, stages, execution loop, artifacts, manifest.

The run directory holds everything a run produced (DESIGN.md §5). Its config
is frozen into `config.json` at creation; a rerun or resume of the same
directory must use the same config (hash checked here and by the journal),
so nothing committed is ever reinterpreted under other settings.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aurora_broker import JOURNAL_NAME, JournalReader
from aurora_e2d.artifacts import atomic_write_bytes, write_parquet
from aurora_e2d.config import RunConfig, load_config, validate_config
from aurora_e2d.data.ingest import Snapshot, load_snapshot
from aurora_e2d.errors import InputError
from aurora_e2d.exitcodes import ExitCode
from aurora_e2d.manifest import REPORT_ENTRY, Manifest, git_revision
from aurora_e2d.paths import repo_root
from aurora_e2d.report.page import BLESSING, REPORT, write_report
from aurora_e2d.report.summary import frictionless_metrics, performance, run_metrics, write_summary
from aurora_e2d.research.executors import ExecutorSpec
from aurora_e2d.research.model import ModelKind
from aurora_e2d.research.pipeline import (
    MODELS_DIR,
    StageRunner,
    data_window,
    run_data_stages,
    run_model_stages,
)
from aurora_e2d.runtime.alerts import AlertSink, ObservingSink
from aurora_e2d.runtime.derive import derive_frames
from aurora_e2d.runtime.lock import RunDirBusyError, RunLock, holder
from aurora_e2d.runtime.loop import (
    ExecutionLoop,
    LoopOutcome,
    LoopStatus,
    ReplayClock,
    peak_rss_mb,
)
from aurora_e2d.runtime.phase import CONFIG_FILE, RunPhase, read_phase
from aurora_e2d.runtime.sessions import build_sessions
from aurora_e2d.runtime.signals import Interrupted, StopSignals
from aurora_e2d.runtime.stack import open_stack
from aurora_e2d.schemas import ARTIFACTS
from aurora_e2d.trace import Trace
from aurora_safety import effective_flags

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


def new_run_id(config: RunConfig) -> str:
    """Readable and unique per start: UTC start time plus the config hash prefix."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{config.config_hash()[:8]}"


def prepare_run_dir(config: RunConfig, run_dir: Path, *, move_snapshot: bool = False) -> tuple[Path, str]:
    """Create (or re-open) a run directory whose frozen config equals `config` (caller holds its lock).

    Re-opening with another snapshot directory is refused unless ``move_snapshot``: only
    `aurora advance` moves a run to a newer snapshot, after its restatement checks.
    """
    frozen = run_dir / CONFIG_FILE
    run_id = run_dir.name
    if frozen.is_file():
        saved = _read_frozen(frozen)
        run_id = str(saved["run_id"])
        if saved.get("config_hash") != config.config_hash():
            raise InputError(
                str(frozen),
                f"run directory was created with config {str(saved.get('config_hash', '?'))[:12]}, "
                f"this run asks for {config.config_hash()[:12]}; use a new --run-dir or the original config",
            )
        before = (saved["config"].get("data") or {}).get("snapshot")
        if before == config.data.snapshot:
            return run_dir, run_id
        if not move_snapshot:
            raise InputError(
                str(frozen),
                f"run reads snapshot {before or 'bundled'}, not {config.data.snapshot or 'bundled'}; "
                "move it to newer data with `aurora advance --run-dir D --snapshot NEW`",
            )
    run_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "run_id": run_id,
        "config_hash": config.config_hash(),
        "config": config.model_dump(mode="json"),
    }
    atomic_write_bytes(frozen, (json.dumps(payload, indent=2, sort_keys=True) + "\n").encode())
    return run_dir, run_id


def _read_frozen(path: Path) -> dict:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        saved["run_id"], saved["config"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(str(path), f"unreadable run config ({type(error).__name__})") from None
    return saved


def load_run_config(run_dir: Path) -> RunConfig:
    """The config a run directory was created with (for resume and status)."""
    frozen = run_dir / CONFIG_FILE
    if not frozen.is_file():
        raise InputError(str(run_dir), "not an Aurora run directory (no config.json)")
    return validate_config(_read_frozen(frozen)["config"], str(frozen))


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
) -> RunResult:
    """Run (or continue) a run as its only writer; bad input leaves no half-made run directory behind.

    ``executor`` runs stages 2-5 (default: this process); it changes no artifact byte, so it is not config.
    """
    flags = effective_flags(config.flags)
    snapshot = load_snapshot(None if config.data.snapshot is None else Path(config.data.snapshot))  # stage 1
    data_window(snapshot, config)  # a window outside the data is refused before anything is written
    if run_dir is None:
        run_dir = Path("runs") / new_run_id(config)
    created = not run_dir.exists()
    try:
        with RunLock(run_dir):
            run_dir, run_id = prepare_run_dir(config, run_dir)
            return execute_run(config, flags, snapshot, run_dir, run_id, progress, stop, executor)
    except InputError as error:
        # only a directory this call created, never one the user had -- nor one another writer holds
        if created and not isinstance(error, RunDirBusyError):
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    except Interrupted as signal_:
        return _interrupted_result(run_dir, signal_, "before the first session committed")


def _interrupted_result(run_dir: Path, signal_: Interrupted, where: str) -> RunResult:
    return RunResult(
        run_dir,
        run_dir.name,
        signal_.exit_code,
        f"aurora: interrupted by {signal_.name} ({where}); resume with: aurora resume --run-dir {run_dir}",
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
) -> RunResult:
    _remove_stale_temp_files(run_dir)
    # A blessing judged the run as it was; a run that continues must be blessed again.
    (run_dir / BLESSING).unlink(missing_ok=True)
    trace = Trace(run_dir / "trace.jsonl", run_id)
    alerts = AlertSink(run_dir, run_id)
    runner = StageRunner(run_dir, trace, stop)
    start, end = run_data_stages(runner, config, snapshot, executor)
    run_model_stages(runner, config, ModelKind.from_flag(flags.get("hgb_model", False)), start, end)

    frames = runner.outputs.frames
    sessions = build_sessions(frames["bars"], frames["decisions"], snapshot.actions)
    if not sessions:  # e.g. a weekend, or before the first walk-forward fold: nothing to trade
        if frames["predictions"].height == 0:  # no walk-forward fold fits in the data at all
            first = frames["features"]["date"].min()
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
    loop = ExecutionLoop(stack, clock, trace, alerts, stop)
    try:
        with trace.span("stage:execution", stage="execution") as out:
            outcome = loop.run(sessions, progress)
            out.update(
                status=str(outcome.status), sessions_done=outcome.sessions_done, message=outcome.message
            )
        with trace.span("stage:artifacts", stage="artifacts") as out:
            _derive_artifacts(runner, loop)
            out.update(rows={k: runner.outputs.rows[k] for k in ("orders", "fills", "positions", "equity")})
    finally:
        loop.close()
    _write_summary(runner, run_id, outcome, config)
    manifest = _write_manifest(runner, run_id, config, flags)
    with trace.span("stage:report", stage="report"):
        write_report(run_dir)  # reads the manifest, so it comes after it ...
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


def _write_summary(runner: StageRunner, run_id: str, outcome: LoopOutcome, config: RunConfig) -> None:
    frames = runner.outputs.frames
    payload = {
        "run_id": run_id,
        "status": str(outcome.status),
        "message": outcome.message,
        "sessions": {"done": outcome.sessions_done, "total": outcome.sessions_total},
        "metrics": run_metrics(frames["equity"], frames["orders"], frames["predictions"], frames["features"]),
        # before costs over the same sessions as the run and with its position caps
        "frictionless": frictionless_metrics(
            frames["decisions"], frames["bars"], equity=frames["equity"], limits=config.limits
        ),
        "performance": performance(outcome.latencies_ms, peak_rss_mb()),
    }
    write_summary(runner.run_dir, payload)


def _history(run_dir: Path) -> list[dict[str, object]]:
    """Each advance and accepted restatement the journal records, in order (their wall times are not)."""
    with JournalReader.open(run_dir) as reader:
        return [{"kind": event.kind, **event.data} for event in reader.run_events()]


def _write_manifest(runner: StageRunner, run_id: str, config: RunConfig, flags: dict[str, bool]) -> Manifest:
    run_dir = runner.run_dir
    snapshot = runner.outputs.snapshot
    assert snapshot is not None
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
        history=_history(run_dir),
    )
    for name, rows in runner.outputs.rows.items():
        spec = ARTIFACTS[name]
        manifest.record(run_dir, name, spec.file, rows, spec.schema_strings())
    for extra in (CONFIG_FILE, "summary.json", JOURNAL_NAME):
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
    return run_job(config, run_dir, progress, stop)


__all__ = ["RunResult", "load_config", "load_run_config", "resume_job", "run_job"]
