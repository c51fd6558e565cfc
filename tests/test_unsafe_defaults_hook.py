"""The unsafe-defaults pre-commit hook blocks real commits in a real git repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HOOK_CONFIG = """\
repos:
  - repo: local
    hooks:
      - id: unsafe-defaults
        name: unsafe defaults
        entry: {python} tools/unsafe_defaults.py
        language: system
        pass_filenames: true
        always_run: true
        types: [python]
"""

FLAGS = "packages/safety/src/aurora_safety/flags.toml"
LIMITS = "packages/safety/src/aurora_safety/config.py"


def _git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    return subprocess.run(["git", *args], cwd=repo, env=env, check=check, capture_output=True, text=True)


@pytest.fixture
def repo(repo_root: Path, tmp_path: Path) -> Path:
    """A fresh git repo holding the hook and the files it guards, with the hook installed."""
    repo = tmp_path / "repo"
    for rel in ["tools/unsafe_defaults.py", FLAGS, LIMITS]:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(repo_root / rel, repo / rel)
    shutil.copytree(repo_root / "docs" / "adr", repo / "docs" / "adr")
    (repo / ".pre-commit-config.yaml").write_text(HOOK_CONFIG.format(python=sys.executable))
    _git(repo, "init", "-q", "-b", "main")
    subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo, check=True, capture_output=True)
    _git(repo, "add", "-A")
    first = _git(repo, "commit", "-q", "-m", "clean tree", check=False)
    assert first.returncode == 0, f"the clean tree must pass the hook:\n{first.stdout}{first.stderr}"
    return repo


def _commit(repo: Path) -> subprocess.CompletedProcess[str]:
    _git(repo, "add", "-A")
    return _git(repo, "commit", "-q", "-m", "change", check=False)


def _assert_blocked(repo: Path, expected: str) -> None:
    head_before = _git(repo, "rev-parse", "HEAD").stdout
    result = _commit(repo)
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"commit was not blocked:\n{output}"
    assert expected in output
    assert _git(repo, "rev-parse", "HEAD").stdout == head_before


def _edit(repo: Path, rel: str, old: str, new: str) -> None:
    path = repo / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


def test_clean_repository_tree_passes(repo_root: Path) -> None:
    result = subprocess.run(
        [sys.executable, "tools/unsafe_defaults.py"], cwd=repo_root, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_flag_defaulting_to_true_is_blocked(repo: Path) -> None:
    _edit(repo, FLAGS, "default = false", "default = true")
    _assert_blocked(repo, "'default' must be false, was True")


def test_flag_without_adr_file_is_blocked(repo: Path) -> None:
    adr = next(p for p in (repo / "docs" / "adr").glob("*hgb*"))
    adr.unlink()
    _assert_blocked(repo, f"ADR file docs/adr/{adr.name} does not exist")


def test_reusing_a_retired_flag_name_is_blocked(repo: Path) -> None:
    with (repo / FLAGS).open("a") as flags:
        flags.write(
            '\n[[flag]]\nname = "legacy_power_peg"\ndefault = false\n'
            'description = "repurposed"\nadr = "docs/adr/0003-hgb-model-flag.md"\nstatus = "active"\n'
        )
    _assert_blocked(repo, "flag 'legacy_power_peg': name already declared (retired)")


@pytest.mark.parametrize("bad", ["0", "-5.0", "float('inf')", "float('nan')"])
def test_disabled_limit_default_is_blocked(repo: Path, bad: str) -> None:
    text = (repo / LIMITS).read_text()
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("max_order_notional_usd"))
    head, _, _ = line.partition("=")
    (repo / LIMITS).write_text(text.replace(line, f"{head}= {bad}", 1))
    _assert_blocked(repo, "Limits.max_order_notional_usd: default must be finite and > 0")


def test_missing_limit_default_is_blocked(repo: Path) -> None:
    text = (repo / LIMITS).read_text()
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("max_order_notional_usd"))
    (repo / LIMITS).write_text(text.replace(line, line.split("=")[0].rstrip(), 1))
    _assert_blocked(repo, "Limits.max_order_notional_usd: default is missing")


@pytest.mark.parametrize(
    "line",
    [
        'import os\nkilled = os.environ.get("AURORA_KILL")\n',
        'import os\nrollback = os.getenv("AURORA_ROLLBACK", "0")\n',
        'import os\nhgb = os.environ["AURORA_FLAG_HGB_MODEL"]\n',
        'import os\nname = "X"\non = os.environ.get(f"AURORA_FLAG_{name}")\n',
        'import os\nkilled = "AURORA_KILL_FILE" in os.environ\n',
    ],
)
def test_reading_guarded_env_outside_safety_is_blocked(repo: Path, line: str) -> None:
    target = repo / "packages" / "router" / "src" / "aurora_router" / "sneaky.py"
    target.parent.mkdir(parents=True)
    target.write_text(line)
    _assert_blocked(repo, "sneaky.py")


def test_setting_guarded_env_for_a_child_process_is_allowed(repo: Path) -> None:
    target = repo / "packages" / "e2d" / "tests" / "test_child.py"
    target.parent.mkdir(parents=True)
    target.write_text('env = {"AURORA_KILL": "1"}\n')
    result = _commit(repo)
    assert result.returncode == 0, result.stdout + result.stderr
