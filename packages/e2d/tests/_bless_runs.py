"""Real runs for the blessing tests: the short window of the bundled data, flags off and hgb_model on.

Made once per test run (``_runs.cached_run``: every module and xdist worker that asks shares
them) and copied by any test that changes one, so drills never touch the shared runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _runs import SHORT_WINDOW, aurora_here, cached_run
from _runs import copy_run as copy_run
from aurora_e2d.rundir.artifacts import sha256_file

EXIT_OK, EXIT_NOT_BLESSED, EXIT_BAD_INPUT, EXIT_BREAKER = 0, 1, 2, 4


def make_run(
    root: Path, name: str, *args: str, env: dict[str, str] | None = None, expect: int = EXIT_OK
) -> Path:
    run_dir = root / name
    done = aurora_here("run", "--run-dir", run_dir, *SHORT_WINDOW, *args, env=env)
    assert done.returncode == expect, done.stderr[-3000:]
    return run_dir


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
    return {
        "golden": cached_run(tmp_path_factory, *SHORT_WINDOW).run_dir,
        "hgb": cached_run(tmp_path_factory, *SHORT_WINDOW, env={"AURORA_FLAG_HGB_MODEL": "1"}).run_dir,
    }
