"""Fixtures shared by the gate tests: one real `aurora run` per test run.

The run is aurora_e2d.testkit's shared short-window run: built once however many
xdist workers (and, under nox, suites) ask, and never modified here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aurora_e2d.testkit import cache_root, shared_run
from gates_helpers import REPO_ROOT, aurora_exe

# The short window e2d's tests share (their _runs.SHORT_WINDOW): under nox, one run for both suites.
SHORT_WINDOW = ("--start", "2012-06-01", "--end", "2013-03-01")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run of the whole pipeline on the bundled snapshot, short window (never modified)."""
    root = cache_root(tmp_path_factory.getbasetemp())
    run_dir, facts = shared_run(root, aurora_exe(), SHORT_WINDOW, cwd=REPO_ROOT)
    assert facts["returncode"] == 0, facts["stderr"][-3000:]
    return run_dir


@pytest.fixture
def run_copy(real_run: Path, tmp_path: Path) -> Path:
    """A private copy of the real run for a drill to break."""
    target = tmp_path / "run"
    shutil.copytree(real_run, target)
    return target
