"""Real runs for the blessing tests: the short window of the bundled data, flags off and hgb_model on.

Made once per test module (each run takes a few seconds) and copied by any
test that changes one, so drills never touch the shared runs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from _runs import SHORT_WINDOW, aurora
from aurora_e2d.artifacts import sha256_file

EXIT_OK, EXIT_NOT_BLESSED, EXIT_BAD_INPUT, EXIT_BREAKER = 0, 1, 2, 4


def make_run(
    root: Path, name: str, *args: str, env: dict[str, str] | None = None, expect: int = EXIT_OK
) -> Path:
    run_dir = root / name
    done = aurora("run", "--run-dir", run_dir, *SHORT_WINDOW, *args, env=env)
    assert done.returncode == expect, done.stderr[-3000:]
    return run_dir


def copy_run(run_dir: Path, target: Path) -> Path:
    shutil.copytree(run_dir, target, ignore=shutil.ignore_patterns("run.lock"))
    return target


def manifest_verifies(run_dir: Path) -> list[str]:
    """Artifacts whose bytes differ from the manifest (empty: the run verifies)."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    return [
        name
        for name, record in sorted(manifest["artifacts"].items())
        if sha256_file(run_dir / record["path"]) != record["sha256"]
    ]


def make_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The shared runs of a test module: ``golden`` (flags off) and ``hgb`` (hgb_model on)."""
    root = tmp_path_factory.mktemp("bless-runs")
    return {
        "golden": make_run(root, "golden"),
        "hgb": make_run(root, "hgb", env={"AURORA_FLAG_HGB_MODEL": "1"}),
    }
