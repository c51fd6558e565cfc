"""CI calls exactly the nox sessions a person runs, and each of them exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

NOX_STEP = re.compile(r"^nox -s ([\w-]+)$")


def _nox_sessions(root: Path) -> set[str]:
    """Every session the noxfile defines (selected by default or not), from `nox --list`."""
    out = subprocess.run(
        [sys.executable, "-m", "nox", "--list"], cwd=root, check=True, capture_output=True, text=True
    ).stdout
    names = {line[2:].split(" -> ")[0].strip() for line in out.splitlines() if line[:2] in {"* ", "- "}}
    return names | {name.split("(")[0] for name in names}


def _ci_steps(root: Path) -> dict[str, list[str]]:
    steps: dict[str, list[str]] = {}
    for path in sorted((root / "ci").glob("*.yml")):
        pipeline = yaml.safe_load(path.read_text())
        steps[path.name] = [step["run"] for step in pipeline["steps"]]
    return steps


def test_ci_pipelines_exist(repo_root: Path) -> None:
    assert set(_ci_steps(repo_root)) >= {"pull_request.yml", "nightly.yml", "promotion.yml"}


def test_every_ci_step_is_exactly_a_nox_session_that_exists(repo_root: Path) -> None:
    sessions = _nox_sessions(repo_root)
    for name, steps in _ci_steps(repo_root).items():
        assert steps, f"ci/{name} has no steps"
        for step in steps:
            match = NOX_STEP.match(step)
            assert match, f"ci/{name}: step {step!r} is not exactly `nox -s <session>`"
            assert match.group(1) in sessions, f"ci/{name}: session {match.group(1)!r} is not in noxfile.py"


def test_pull_requests_run_l0_and_lint(repo_root: Path) -> None:
    assert _ci_steps(repo_root)["pull_request.yml"] == ["nox -s l0", "nox -s lint"]


def test_local_ci_script_runs_nox_sessions(repo_root: Path) -> None:
    script = (repo_root / ".ci" / "run").read_text()
    assert "pip install" in script
    ran = set(re.findall(r"^step ([\w-]+)", script, flags=re.MULTILINE))
    for pipeline in _ci_steps(repo_root).values():
        for step in pipeline:
            assert step.removeprefix("nox -s ") in ran, f".ci/run does not run {step!r}"
    assert ran <= _nox_sessions(repo_root)
