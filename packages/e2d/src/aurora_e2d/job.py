"""One `aurora run`: prepare the run directory, run the stages, write the manifest.

The run directory holds everything a run produced (DESIGN.md §5). Its config
is frozen into `config.json` at creation; a rerun or resume of the same
directory must use the same config (hash checked), so nothing committed is
ever reinterpreted under other settings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aurora_e2d.artifacts import atomic_write_bytes
from aurora_e2d.config import RunConfig
from aurora_e2d.errors import InputError
from aurora_e2d.manifest import Manifest, git_revision
from aurora_e2d.paths import repo_root
from aurora_e2d.pipeline import StageRunner, run_data_stages
from aurora_e2d.schemas import ARTIFACTS
from aurora_e2d.trace import Trace
from aurora_safety import effective_flags

CONFIG_FILE = "config.json"


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    run_id: str
    exit_code: int
    message: str


def new_run_id(config: RunConfig) -> str:
    """Readable and unique per start: UTC start time plus the config hash prefix."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{config.config_hash()[:8]}"


def prepare_run_dir(config: RunConfig, run_dir: Path | None) -> tuple[Path, str]:
    """Create (or re-open) a run directory whose frozen config equals `config`."""
    if run_dir is None:
        run_id = new_run_id(config)
        run_dir = Path("runs") / run_id
    frozen = run_dir / CONFIG_FILE
    if frozen.is_file():
        saved = json.loads(frozen.read_text(encoding="utf-8"))
        if saved.get("config_hash") != config.config_hash():
            raise InputError(
                str(frozen),
                f"run directory was created with config {saved.get('config_hash', '?')[:12]}, "
                f"this run asks for {config.config_hash()[:12]}; use a new --run-dir or the original config",
            )
        return run_dir, saved["run_id"]
    run_dir.mkdir(parents=True, exist_ok=True)
    run_id = run_dir.name
    payload = {
        "run_id": run_id,
        "config_hash": config.config_hash(),
        "config": config.model_dump(mode="json"),
    }
    atomic_write_bytes(frozen, (json.dumps(payload, indent=2, sort_keys=True) + "\n").encode())
    return run_dir, run_id


def run_job(config: RunConfig, run_dir: Path | None) -> RunResult:
    flags = effective_flags(config.flags)
    run_dir, run_id = prepare_run_dir(config, run_dir)
    trace = Trace(run_dir / "trace.jsonl", run_id)
    runner = StageRunner(run_dir, trace)
    run_data_stages(runner, config)

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
        git_revision=git_revision(repo_root()),
    )
    for name, rows in runner.outputs.rows.items():
        spec = ARTIFACTS[name]
        manifest.record(run_dir, name, spec.file, rows, spec.schema_strings())
    manifest.record(run_dir, "config", CONFIG_FILE, None, None)
    manifest.write(run_dir)
    return RunResult(run_dir, run_id, 0, f"run {run_id} complete")
