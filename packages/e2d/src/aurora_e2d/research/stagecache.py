"""Stage-level checkpoints: a stage whose output exists, whose bytes match what
was recorded and whose inputs hash the same is skipped; anything else is
recomputed. A corrupted or missing artifact is never trusted.

The record lives in <run-dir>/stages.json (operational state, not an
artifact), rewritten atomically after each stage.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aurora_e2d.data.corpactions import BARS_ARTIFACT
from aurora_e2d.research.decisions import DECISIONS_ARTIFACT, PREDICTIONS_ARTIFACT
from aurora_e2d.research.features import FEATURES_ARTIFACT
from aurora_e2d.rundir.artifacts import atomic_write_bytes, sha256_file
from aurora_e2d.rundir.layout import STAGES_FILE

# The stages recorded here, by name, with the artifact each writes.
STAGE_ARTIFACTS = {
    spec.name: spec for spec in (BARS_ARTIFACT, FEATURES_ARTIFACT, PREDICTIONS_ARTIFACT, DECISIONS_ARTIFACT)
}


def input_hash(stage: str, code_version: str, params: Mapping[str, Any], upstream: Mapping[str, str]) -> str:
    """Hash of everything a stage's output depends on (never wall time or paths)."""
    payload = json.dumps(
        {"stage": stage, "code": code_version, "params": params, "upstream": dict(sorted(upstream.items()))},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


class StageCache:
    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / STAGES_FILE
        self.run_dir = run_dir
        try:
            self._records: dict[str, dict[str, str]] = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            self._records = {}  # an unreadable record only costs a recompute

    def fresh(self, stage: str, inputs: str, rel_path: str) -> str | None:
        """The output's sha256 if it can be reused, else None."""
        record = self._records.get(stage)
        path = self.run_dir / rel_path
        if record is None or record.get("inputs") != inputs or not path.is_file():
            return None
        sha = sha256_file(path)
        return sha if sha == record.get("sha256") else None

    def recorded(self, stage: str) -> dict[str, str] | None:
        """The stage's last record (inputs hash and output sha256), as read or written."""
        record = self._records.get(stage)
        return None if record is None else dict(record)

    def record(self, stage: str, inputs: str, sha256: str) -> None:
        self._records[stage] = {"inputs": inputs, "sha256": sha256}
        data = json.dumps(self._records, indent=2, sort_keys=True) + "\n"
        atomic_write_bytes(self.path, data.encode())
