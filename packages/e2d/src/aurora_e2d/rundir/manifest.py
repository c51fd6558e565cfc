"""manifest.json: what a run was made of and what it produced.

Records the run id, package versions, git revision, the config and its hash,
the effective flags, the input snapshot hash, the run-directory format, the
journal's format and checkpoint chain head (binding journal and artifacts)
and, for every artifact, its path, sha256, row count and schema. The gates check the run directory
against it, so every file that matters must be listed here.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from aurora_e2d.rundir.artifacts import atomic_write_bytes, sha256_file
from aurora_e2d.rundir.layout import MANIFEST_FILE
from aurora_e2d.rundir.runformat import RUN_FORMAT_VERSION

AURORA_DISTRIBUTIONS = ("aurora-safety", "aurora-broker", "aurora-router", "aurora-e2d", "aurora-gates")
THIRD_PARTY = (
    "polars",
    "pyarrow",
    "numpy",
    "scikit-learn",
    "onnxruntime",
    "skl2onnx",
    "skops",
    "exchange-calendars",
)


def package_versions() -> dict[str, str]:
    found = {}
    for name in (*AURORA_DISTRIBUTIONS, *THIRD_PARTY):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    found.update(blas_kernels())
    return found


def blas_kernels() -> dict[str, str]:
    """The BLAS kernels in use (e.g. ``openblas: Haswell``): model fits depend on them (see __init__)."""
    from threadpoolctl import threadpool_info

    return {
        f"blas:{pool['internal_api']}": str(pool.get("architecture"))
        for pool in threadpool_info()
        if pool.get("user_api") == "blas"
    }


def git_revision(cwd: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


@dataclass
class ArtifactRecord:
    path: str  # relative to the run directory
    sha256: str
    rows: int | None
    schema: dict[str, str] | None

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "rows": self.rows, "schema": self.schema}


@dataclass
class Manifest:
    run_id: str
    config: Mapping[str, Any]
    config_hash: str
    flags: Mapping[str, bool]
    snapshot_sha256: Mapping[str, str]
    snapshot_identity: Mapping[str, str] = field(default_factory=dict)  # lock_sha256, calendar, kind
    history: list[dict[str, Any]] = field(default_factory=list)  # advances, accepted restatements
    versions: Mapping[str, str] = field(default_factory=package_versions)
    git_revision: str | None = None
    artifacts: dict[str, ArtifactRecord] = field(default_factory=dict)
    journal: Mapping[str, Any] = field(default_factory=dict)  # format_version, chain_head {session, sha256}

    def record(
        self, run_dir: Path, name: str, rel_path: str, rows: int | None, schema: dict[str, str] | None
    ) -> None:
        self.artifacts[name] = ArtifactRecord(rel_path, sha256_file(run_dir / rel_path), rows, schema)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format_version": RUN_FORMAT_VERSION,
            "run_id": self.run_id,
            "journal": dict(self.journal),
            "git_revision": self.git_revision,
            "versions": dict(self.versions),
            "config": self.config,
            "config_hash": self.config_hash,
            "flags": dict(self.flags),
            "snapshot": dict(self.snapshot_sha256),
            "snapshot_identity": dict(self.snapshot_identity),
            "history": list(self.history),
            "artifacts": {name: rec.as_dict() for name, rec in sorted(self.artifacts.items())},
        }

    def write(self, run_dir: Path) -> Path:
        return write_manifest(run_dir, self.as_dict())


def read_manifest(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / MANIFEST_FILE).read_text(encoding="utf-8"))


def write_manifest(run_dir: Path, data: Mapping[str, Any]) -> Path:
    """``data`` as ``run_dir``'s manifest: sorted, indented JSON, replaced atomically (every writer's form)."""
    path = run_dir / MANIFEST_FILE
    atomic_write_bytes(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())
    return path


def rerecord(run_dir: Path, name: str) -> None:
    """Re-hash one listed file (a re-rendered report) in an existing manifest; nothing else changes."""
    data = read_manifest(run_dir)
    record = data["artifacts"][name]
    record["sha256"] = sha256_file(run_dir / record["path"])
    write_manifest(run_dir, data)


def record_in_manifest(run_dir: Path, name: str, rel_path: str) -> None:
    """List (or re-hash) one file of ``run_dir`` in its manifest; every other record stays as it is."""
    data = read_manifest(run_dir)
    if name in data["artifacts"]:
        rerecord(run_dir, name)
        return
    data["artifacts"][name] = {
        "path": rel_path,
        "sha256": sha256_file(run_dir / rel_path),
        "rows": None,
        "schema": None,
    }
    data["artifacts"] = dict(sorted(data["artifacts"].items()))
    write_manifest(run_dir, data)
