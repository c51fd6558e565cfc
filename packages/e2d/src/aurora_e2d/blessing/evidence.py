"""A finished run directory as blessing evidence: verified against its manifest, identified, read once.

Only a run that stopped for good -- completed, or halted by a breaker or the
kill switch -- is evidence; a live, interrupted or unstarted one is bad
input (exit 2), and so is any file whose bytes differ from its manifest: a
blessing must be about exactly the run the manifest describes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from aurora_e2d.core.errors import InputError
from aurora_e2d.run.job import load_run_config
from aurora_e2d.run.phase import RunPhase, read_phase
from aurora_e2d.rundir.artifacts import sha256_file
from aurora_e2d.rundir.config import RunConfig
from aurora_e2d.rundir.layout import MANIFEST_FILE, SUMMARY_FILE

__all__ = ["FINISHED", "RunEvidence", "load_run"]

FINISHED = (RunPhase.COMPLETED, RunPhase.HALTED)  # a halted run is evidence (and never blessed)


def _json(path: Path, subject: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(subject, f"has no {path.name}: not a finished run") from None
    except (OSError, ValueError) as error:
        raise InputError(subject, f"{path.name} is unreadable ({type(error).__name__})") from None
    if not isinstance(data, dict):
        raise InputError(subject, f"{path.name} is not a JSON object")
    return data


@dataclass(frozen=True)
class RunEvidence:
    """One finished run, as read by `aurora bless`."""

    run_dir: Path
    role: str  # "candidate" or "champion"
    config: RunConfig
    manifest: dict[str, Any]
    summary: dict[str, Any]
    manifest_sha256: str
    _frames: dict[str, pl.DataFrame] = field(default_factory=dict, repr=False)

    def frame(self, name: str) -> pl.DataFrame:
        if name not in self._frames:
            self._frames[name] = pl.read_parquet(self.run_dir / self.manifest["artifacts"][name]["path"])
        return self._frames[name]

    @property
    def status(self) -> str:
        return str(self.summary.get("status"))

    @cached_property
    def sessions(self) -> list[date]:
        """The sessions the run committed (its equity dates)."""
        return self.frame("equity").sort("date")["date"].to_list()

    @cached_property
    def window(self) -> tuple[date | None, date | None]:
        """The trading window the run was set to trade (its decision dates), halted or not."""
        days = self.frame("decisions")["date"]
        return (days.min(), days.max()) if days.len() else (None, None)  # type: ignore[return-value]

    @property
    def snapshot_lock(self) -> str | None:
        return self.manifest.get("snapshot_identity", {}).get("lock_sha256")

    def identity(self) -> dict[str, Any]:
        """What the promotion report records about this run."""
        sessions = self.summary.get("sessions", {})
        artifacts = self.manifest.get("artifacts", {})
        return {
            "run_dir": str(self.run_dir.resolve()),
            "run_id": self.manifest.get("run_id"),
            "status": self.status,
            "sessions_done": sessions.get("done"),
            "sessions_total": sessions.get("total"),
            "config_hash": self.manifest.get("config_hash"),
            "config": self.manifest.get("config"),
            "manifest_sha256": self.manifest_sha256,
            "snapshot_lock_sha256": self.snapshot_lock,
            "git_revision": self.manifest.get("git_revision"),
            "flags": dict(self.manifest.get("flags", {})),
            "artifact_sha256": {n: artifacts[n]["sha256"] for n in ("decisions", "fills") if n in artifacts},
        }


def _verify(run_dir: Path, manifest: dict[str, Any], subject: str) -> None:
    artifacts = manifest.get("artifacts")
    if not isinstance(artifacts, dict) or not artifacts:
        raise InputError(subject, "manifest.json lists no artifacts")
    for _, record in sorted(artifacts.items()):
        path = run_dir / str(record.get("path"))
        if not path.is_file():
            raise InputError(subject, f"{record.get('path')} is listed in manifest.json but missing")
        actual = sha256_file(path)
        if actual != record.get("sha256"):
            raise InputError(
                subject,
                f"{record.get('path')} does not match manifest.json (sha256 {record.get('sha256')}, "
                f"found {actual}): the run was changed after it finished",
            )


def load_run(run_dir: Path, role: str) -> RunEvidence:
    """The run at ``run_dir`` as evidence, or ``InputError`` (exit 2) naming why it is not."""
    subject = f"--{role}-run {run_dir}"
    if not run_dir.is_dir():
        raise InputError(subject, "is not a directory")
    try:
        config = load_run_config(run_dir)
    except InputError as error:
        raise InputError(subject, error.problem) from None
    phase = read_phase(run_dir, config)
    if phase.phase is RunPhase.LIVE and phase.holder is not None:
        raise InputError(subject, f"is still running ({phase.holder.describe()}): bless a finished run")
    if phase.phase not in FINISHED:
        raise InputError(
            subject,
            f"is not a finished run (it is {phase.phase}); finish it with: aurora resume --run-dir {run_dir}",
        )
    manifest = _json(run_dir / MANIFEST_FILE, subject)
    summary = _json(run_dir / SUMMARY_FILE, subject)
    _verify(run_dir, manifest, subject)
    return RunEvidence(run_dir, role, config, manifest, summary, sha256_file(run_dir / MANIFEST_FILE))
