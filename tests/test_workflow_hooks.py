"""The workflow hooks of `nox -s lint` pass on the real workflows and catch broken ones.

GitHub Actions cannot run here, so these hooks are the only check a workflow
gets before it reaches GitHub. Each drill writes a workflow into a scratch git
repository that holds the very hook definitions of .pre-commit-config.yaml and
runs that hook with pre-commit, as `nox -s lint` does.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOW_HOOKS = ("check-github-workflows", "check-github-workflows-timeout", "zizmor")
HOOK_HEADER = re.compile(r"^\S.*?\.{3,}(?:Passed|Failed|\(no files to check\)Skipped)$", re.MULTILINE)
SCHEMA_ERROR = re.compile(r"^  (\.github/workflows/[\w.-]+\.yml)::", re.MULTILINE)
ZIZMOR_FINDING = re.compile(r"^\w+\[([\w-]+)\]: .*\n\s*--> ([^:\s]+):", re.MULTILINE)

# A workflow every hook accepts; each drill breaks one thing in it.
GOOD = """\
name: drill
on:
  schedule:
    - cron: "17 3 * * *"
permissions: {}
concurrency:
  group: drill
jobs:
  test:
    name: test
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0
        with:
          persist-credentials: false
      - run: nox -s l0
"""

DRILLS = {
    # id: (hook, (old, new) in GOOD, what the hook must say)
    "on-typo": ("check-github-workflows", ("  schedule:", "  schedul:"), "{'schedul': "),
    "steps-typo": ("check-github-workflows", ("    steps:", "    step:"), "'step' was unexpected"),
    "no-timeout": (
        "check-github-workflows-timeout",
        ("    timeout-minutes: 10\n", ""),
        "'timeout-minutes' is a required property",
    ),
    "unpinned-action": (
        "zizmor",
        ("@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0", "@v4"),
        "unpinned-uses",
    ),
    "write-all": ("zizmor", ("permissions: {}", "permissions: write-all"), "excessive-permissions"),
    "persisted-credentials": (
        "zizmor",
        ("        with:\n          persist-credentials: false\n", ""),
        "artipacked",
    ),
    "template-injection": (
        "zizmor",
        (
            "      - run: nox -s l0\n",
            '      - run: nox -s l0\n      - run: echo "${{ github.event.issue.title }}"\n',
        ),
        "template-injection",
    ),
}


def _hook_definitions(repo_root: Path) -> list[dict[str, Any]]:
    config = yaml.safe_load((repo_root / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    missing = [hook_id for hook_id in WORKFLOW_HOOKS if hook_id not in hooks]
    assert not missing, f".pre-commit-config.yaml has no hook {missing}"
    return [hooks[hook_id] for hook_id in WORKFLOW_HOOKS]


@pytest.fixture(scope="module")
def scratch(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository whose pre-commit config is the workflow hooks of ours, verbatim."""
    repo = tmp_path_factory.mktemp("workflow-hooks")
    config = {"repos": [{"repo": "local", "hooks": _hook_definitions(repo_root)}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (repo / ".github" / "workflows").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    return repo


def _pre_commit(repo_root: Path, repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The hooks run their tools from PATH (`language: unsupported`): the ones installed beside this
    # interpreter from the hashed lock, as `nox -s lint` runs them from its environment.
    home = os.environ.get("PRE_COMMIT_HOME", str(repo_root / ".nox" / ".pre-commit-cache"))
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)  # pre-commit refuses an unstaged config
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", *args],
        cwd=repo,
        env={**os.environ, "PRE_COMMIT_HOME": home, "PATH": path},
        capture_output=True,
        text=True,
        check=False,
    )


def _write(repo: Path, name: str, text: str) -> str:
    """A workflow in the scratch repository; its path as the hooks print it."""
    rel = f".github/workflows/{name}.yml"
    (repo / rel).write_text(text)
    return rel


def _sections(output: str) -> dict[str, str]:
    """pre-commit's output of each failed hook, by hook id."""
    starts = [m.start() for m in HOOK_HEADER.finditer(output)] + [len(output)]
    sections = {}
    for begin, end in itertools.pairwise(starts):
        hook_id = re.search(r"^- hook id: (\S+)$", output[begin:end], flags=re.MULTILINE)
        if hook_id is not None:
            sections[hook_id.group(1)] = output[begin:end]
    return sections


def _per_file(hook: str, section: str) -> dict[str, str]:
    """What a hook said about each file: check-jsonschema's error blocks, zizmor's rule ids."""
    said: dict[str, str] = {}
    if hook == "zizmor":
        for finding in ZIZMOR_FINDING.finditer(section):
            said[finding.group(2)] = said.get(finding.group(2), "") + finding.group(1) + "\n"
        return said
    marks = list(SCHEMA_ERROR.finditer(section))
    ends = [m.start() for m in marks[1:]] + [len(section)]
    for mark, end in zip(marks, ends, strict=True):
        said[mark.group(1)] = section[mark.start() : end]
    return said


def test_the_repositorys_and_the_drills_good_workflows_pass_every_workflow_hook(
    repo_root: Path, scratch: Path
) -> None:
    """The control: each drill below fails for what it breaks, not for something else."""
    files = [_write(scratch, "good", GOOD)]
    for path in sorted((repo_root / ".github" / "workflows").glob("*.yml")):
        files.append(_write(scratch, path.stem, path.read_text()))
    assert len(files) == 4
    result = _pre_commit(repo_root, scratch, "--files", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Passed") == len(WORKFLOW_HOOKS), result.stdout  # none skipped


@pytest.fixture(scope="module")
def drills(repo_root: Path, scratch: Path) -> dict[str, dict[str, str]]:
    """Every hook run once over every broken workflow (one pre-commit run: l0 stays quick)."""
    files = []
    for drill, (_, (old, new), _) in DRILLS.items():
        assert GOOD.count(old) == 1, f"drill {drill}: {old!r} must occur once in GOOD"
        files.append(_write(scratch, drill, GOOD.replace(old, new)))
    result = _pre_commit(repo_root, scratch, "--files", *files)
    assert result.returncode != 0, result.stdout + result.stderr
    return {hook: _per_file(hook, text) for hook, text in _sections(result.stdout).items()}


@pytest.mark.parametrize("drill", sorted(DRILLS))
def test_a_workflow_hook_catches_a_broken_workflow(drills: dict[str, dict[str, str]], drill: str) -> None:
    hook, _, expected = DRILLS[drill]
    assert hook in drills, f"{hook} passed every broken workflow"
    said = drills[hook].get(f".github/workflows/{drill}.yml")
    assert said is not None, f"{hook} let {drill} pass: {drills[hook]}"
    assert expected in said
