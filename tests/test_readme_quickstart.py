"""The README's Quickstart and session table say what the repository really does."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

NOX_SESSION = re.compile(r"\bnox (?:-[rR] )?-s ([\w-]+)")
TOOL_PIN = re.compile(r"\b(nox|uv)==([\w.]+)")


def _section(readme: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}.*?$(.*?)(?=^## )", readme, flags=re.MULTILINE | re.DOTALL)
    assert match, f"README has no '## {heading}' section"
    return match.group(1)


def _code_lines(markdown: str) -> list[list[str]]:
    """Each ```bash block's commands, comments and blank lines dropped."""
    blocks = re.findall(r"^```bash\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)
    return [
        [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]
        for block in blocks
    ]


@pytest.fixture(scope="module")
def readme(repo_root: Path) -> str:
    return (repo_root / "README.md").read_text()


@pytest.fixture(scope="module")
def quickstart(readme: str) -> str:
    return _section(readme, "Quickstart")


@pytest.fixture(scope="module")
def sessions(repo_root: Path) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-m", "nox", "--list"], cwd=repo_root, check=True, capture_output=True, text=True
    ).stdout
    names = {line[2:].split(" -> ")[0].strip() for line in out.splitlines() if line[:2] in {"* ", "- "}}
    return {name.split("(")[0] for name in names}


def test_quickstart_is_one_line_to_set_up_and_run_and_one_to_test(repo_root: Path, quickstart: str) -> None:
    setup_and_run, test = _code_lines(quickstart)[0]
    install, run = setup_and_run.split(" && ")
    assert install.startswith("python3 -m pip install ")
    assert run == "python3 -m nox -s run"
    assert test == "python3 -m nox -s l0"
    # .ci/run starts with the README's test command, after the same install.
    ci_run = (repo_root / ".ci" / "run").read_text()
    assert re.findall(r"^step ([\w-]+)", ci_run, flags=re.MULTILINE)[0] == "l0"
    assert dict(TOOL_PIN.findall(install)) == dict(TOOL_PIN.findall(ci_run)) != {}


def test_every_session_the_quickstart_names_exists(quickstart: str, sessions: set[str]) -> None:
    named = set(NOX_SESSION.findall(quickstart))
    assert {"run", "l0", "dev"} <= named
    assert named <= sessions, f"not in noxfile.py: {named - sessions}"


def test_quickstart_says_how_to_get_aurora_on_path(quickstart: str) -> None:
    assert ["python3 -m nox -s dev && source .venv/bin/activate"] in _code_lines(quickstart)


def test_quickstart_names_chromium_for_l0(quickstart: str) -> None:
    assert "/usr/bin/chromium" in quickstart
    assert "apt-get install -y chromium" in quickstart


def test_the_session_table_lists_exactly_the_noxfile_sessions(readme: str, sessions: set[str]) -> None:
    table = _section(readme, "Sessions")
    listed = set(re.findall(r"^\| `([\w-]+)` \|", table, flags=re.MULTILINE))
    # `unit` runs inside l0 (each package alone); the table describes it in l0's row.
    assert listed == sessions - {"unit"}
