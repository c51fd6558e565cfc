"""Fixtures shared by the gate tests: one real `aurora run` per test session."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from gates_helpers import REPO_ROOT, aurora_exe, clean_env


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run of the whole pipeline on the bundled snapshot (never modified)."""
    run_dir = tmp_path_factory.mktemp("real") / "run"
    result = subprocess.run(
        [aurora_exe(), "run", "--run-dir", str(run_dir), "--start", "2012-01-03"],  # a real run, short window
        cwd=REPO_ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return run_dir


@pytest.fixture
def run_copy(real_run: Path, tmp_path: Path) -> Path:
    """A private copy of the real run for a drill to break."""
    target = tmp_path / "run"
    shutil.copytree(real_run, target)
    return target
