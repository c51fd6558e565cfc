"""CI runs exactly the nox sessions a person runs: the GitHub workflows and .ci/run.

The workflows are parsed as data (what GitHub would run), not grepped, except
where only the raw text holds the fact (the version comment of a pinned action).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

NOX_STEP = re.compile(r"^nox -s ([\w-]+)$")
# A line that starts nox (`nox ...`, `python -m nox ...`): it must be exactly NOX_STEP.
INVOKES_NOX = re.compile(r"^\s*(?:python3? -m )?nox(?:\s|$)", re.MULTILINE)
# Test, lint and type tools run inside nox sessions only, never straight from a workflow.
DIRECT_TOOL = re.compile(r"(?<![\w-])(pytest|mypy|pre-commit|ruff|aurora)(?![\w-])")
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}$")
PIN_COMMENT = re.compile(r"^\s*-?\s*uses:\s*(\S+)\s+#\s*v\d+(?:\.\d+)*\s*$")
TOOL_PIN = re.compile(r"'(nox|uv)==([\w.]+)'")
SHA = "${{ github.sha }}"
# What each gate leaves as evidence, uploaded as an artifact named by commit.
EVIDENCE = {
    ("pull-request.yml", f"gate-evidence-l0-{SHA}"): ["reports/gate-l0.json"],
    ("nightly.yml", f"gate-evidence-l1-{SHA}"): [
        "reports/l1/junit.xml",
        "reports/l1/mutation*.json",
        "reports/gate-l1.json",
    ],
    ("promotion.yml", f"gate-evidence-rollback-test-{SHA}"): ["reports/rollback-test.json"],
    ("nightly.yml", f"timings-l1-{SHA}"): ["reports/l1/timings.json", "reports/l1/durations.txt"],
    ("promotion.yml", f"gate-evidence-l2-{SHA}"): [
        "reports/gate-l2.json",
        "reports/promotion.*",
        "reports/sbom.cdx.json",  # the SBOM and the audit `aurora promote` lists (nox -s l2 writes them)
        "reports/audit.json",
    ],
}
LOCAL_SEQUENCE = ["l0", "lint", "typecheck", "rollback-test", "l1", "l2"]


def _nox_sessions(root: Path) -> set[str]:
    """Every session the noxfile defines (selected by default or not), from `nox --list`."""
    out = subprocess.run(
        [sys.executable, "-m", "nox", "--list"], cwd=root, check=True, capture_output=True, text=True
    ).stdout
    names = {line[2:].split(" -> ")[0].strip() for line in out.splitlines() if line[:2] in {"* ", "- "}}
    return names | {name.split("(")[0] for name in names}


@pytest.fixture(scope="module")
def sessions(repo_root: Path) -> set[str]:
    return _nox_sessions(repo_root)


@pytest.fixture(scope="module")
def workflows(repo_root: Path) -> dict[str, dict[str, Any]]:
    return {
        path.name: yaml.safe_load(path.read_text())
        for path in sorted((repo_root / ".github" / "workflows").glob("*.yml"))
    }


def _triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as the boolean True.
    on = workflow.get("on", workflow.get(True))
    return {on: None} if isinstance(on, str) else dict(on)


def _jobs(workflows: dict[str, dict[str, Any]]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, workflow in workflows.items():
        for job_id, job in workflow["jobs"].items():
            yield name, job_id, job


def _nox_steps(job: dict[str, Any]) -> list[str]:
    """The sessions a job runs, in order."""
    matches = (NOX_STEP.match(step.get("run", "").strip()) for step in job.get("steps", []))
    return [match.group(1) for match in matches if match]


def _step_index(job: dict[str, Any], predicate: Any) -> int:
    return next(i for i, step in enumerate(job["steps"]) if predicate(step))


def _ci_run(repo_root: Path) -> str:
    return (repo_root / ".ci" / "run").read_text()


def test_the_three_workflows_exist_and_ci_holds_no_pipeline(
    repo_root: Path, workflows: dict[str, dict[str, Any]]
) -> None:
    assert set(workflows) == {"pull-request.yml", "nightly.yml", "promotion.yml"}
    assert not list((repo_root / "ci").glob("*.y*ml")), "pipelines live in .github/workflows only"
    assert ".github/workflows" in (repo_root / "ci" / "README.md").read_text()


def test_every_nox_step_is_exactly_a_session_that_exists(
    workflows: dict[str, dict[str, Any]], sessions: set[str]
) -> None:
    seen = 0
    for name, job_id, job in _jobs(workflows):
        for step in job.get("steps", []):
            script = step.get("run", "")
            if not INVOKES_NOX.search(script):
                continue
            seen += 1
            match = NOX_STEP.match(script.strip())
            assert match, f"{name} {job_id}: {script!r} is not exactly `nox -s <session>`"
            assert match.group(1) in sessions, f"{name} {job_id}: no session {match.group(1)!r} in noxfile.py"
    assert seen >= 6


def test_tests_and_linters_run_only_through_nox(workflows: dict[str, dict[str, Any]]) -> None:
    for name, job_id, job in _jobs(workflows):
        for step in job.get("steps", []):
            script = step.get("run", "")
            if NOX_STEP.match(script.strip()):
                continue
            found = DIRECT_TOOL.search(script)
            assert found is None, f"{name} {job_id}: runs {found.group(1)} outside nox: {script!r}"


def test_pull_requests_run_l0_lint_and_typecheck(workflows: dict[str, dict[str, Any]]) -> None:
    workflow = workflows["pull-request.yml"]
    triggers = _triggers(workflow)
    assert "pull_request" in triggers
    assert triggers["push"]["branches"] == ["main"]  # main's l0 evidence is what promotion uses
    jobs = workflow["jobs"]
    ran = {job_id: _nox_steps(job) for job_id, job in jobs.items() if _nox_steps(job)}
    assert ran == {"l0": ["l0"], "lint": ["lint"], "typecheck": ["typecheck"]}


def test_all_green_needs_every_job_and_always_reports(workflows: dict[str, dict[str, Any]]) -> None:
    jobs = workflows["pull-request.yml"]["jobs"]
    gate = jobs["all-green"]
    assert set(gate["needs"]) == set(jobs) - {"all-green"}
    assert "always()" in gate["if"]


def _all_green(workflows: dict[str, dict[str, Any]], needs: dict[str, str]) -> int:
    """Run the all-green step's own script with a `needs` context as GitHub would pass it."""
    (step,) = workflows["pull-request.yml"]["jobs"]["all-green"]["steps"]
    assert step["shell"] == "python"
    assert step["env"]["NEEDS"] == "${{ toJSON(needs) }}"
    context = {job: {"result": result, "outputs": {}} for job, result in needs.items()}
    env = {**os.environ, "NEEDS": json.dumps(context)}
    return subprocess.run([sys.executable, "-c", step["run"]], env=env, capture_output=True).returncode


@pytest.mark.parametrize(
    ("needs", "passes"),
    [
        ({"l0": "success", "lint": "success", "typecheck": "success"}, True),
        ({"l0": "success", "lint": "failure", "typecheck": "success"}, False),
        ({"l0": "cancelled", "lint": "success", "typecheck": "success"}, False),
        ({"l0": "success", "lint": "success", "typecheck": "skipped"}, False),
        ({}, False),
    ],
)
def test_all_green_fails_unless_every_needed_job_succeeded(
    workflows: dict[str, dict[str, Any]], needs: dict[str, str], passes: bool
) -> None:
    assert (_all_green(workflows, needs) == 0) is passes


def test_nightly_runs_l1_on_a_schedule_off_the_hour(workflows: dict[str, dict[str, Any]]) -> None:
    workflow = workflows["nightly.yml"]
    triggers = _triggers(workflow)
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    crons = [entry["cron"] for entry in triggers["schedule"]]
    assert crons
    for cron in crons:
        minute, hour, *_ = cron.split()
        assert minute.isdigit(), f"{cron!r}: one fixed minute"
        assert 0 < int(minute) < 60, f"{cron!r}: runs on the hour are often delayed"
        assert hour.isdigit(), f"{cron!r}: once a night, not every hour"
    assert [s for job in workflow["jobs"].values() for s in _nox_steps(job)] == ["l1"]


def test_promotion_is_manual_under_a_protected_environment(workflows: dict[str, dict[str, Any]]) -> None:
    workflow = workflows["promotion.yml"]
    assert set(_triggers(workflow)) == {"workflow_dispatch"}
    (job,) = workflow["jobs"].values()
    environment = job["environment"]
    assert (environment["name"] if isinstance(environment, dict) else environment) == "promotion"
    assert _nox_steps(job) == ["rollback-test", "l2"]
    assert job["permissions"] == {"contents": "read", "actions": "read"}  # read other runs' artifacts


def test_promotion_downloads_this_commits_l0_and_l1_evidence_before_l2(
    workflows: dict[str, dict[str, Any]],
) -> None:
    (job,) = workflows["promotion.yml"]["jobs"].values()
    l2 = _step_index(job, lambda s: s.get("run", "").strip() == "nox -s l2")
    downloads = {
        step["with"]["name"]: (i, step["with"])
        for i, step in enumerate(job["steps"])
        if step.get("uses", "").startswith("actions/download-artifact@")
    }
    assert set(downloads) == {f"gate-evidence-l0-{SHA}", f"gate-evidence-l1-{SHA}"}
    for index, inputs in downloads.values():
        assert index < l2
        # `aurora promote --evidence DIR` defaults to reports/, where l2's promote looks.
        assert inputs["path"] == "reports"
        assert inputs["run-id"].startswith("${{ steps.")  # another workflow's run, found for this commit


def test_gate_evidence_is_uploaded_named_by_commit(workflows: dict[str, dict[str, Any]]) -> None:
    uploaded: dict[tuple[str, str], list[str]] = {}
    for name, _, job in _jobs(workflows):
        for i, step in enumerate(job.get("steps", [])):
            if step.get("uses", "").startswith("actions/upload-artifact@"):
                artifact = step["with"]["name"]
                uploaded[(name, artifact)] = step["with"]["path"].split()
                # after the session that writes it
                assert any(NOX_STEP.match(s.get("run", "").strip()) for s in job["steps"][:i])
    assert uploaded == EVIDENCE


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version(repo_root: Path) -> None:
    uses_lines = [
        (path.name, line)
        for path in sorted((repo_root / ".github" / "workflows").glob("*.yml"))
        for line in path.read_text().splitlines()
        if re.match(r"^\s*-?\s*uses:", line)
    ]
    assert len(uses_lines) >= 10
    for name, line in uses_lines:
        match = PIN_COMMENT.match(line)
        assert match, f"{name}: {line.strip()!r} lacks its `# vX.Y.Z` comment"
        assert PINNED.match(match.group(1)), f"{name}: {match.group(1)!r} is not pinned to a full commit SHA"


def test_the_same_action_is_pinned_to_the_same_sha_everywhere(repo_root: Path) -> None:
    pins: dict[str, set[str]] = {}
    for path in (repo_root / ".github" / "workflows").glob("*.yml"):
        for action, sha in re.findall(r"uses:\s*([\w./-]+)@([0-9a-f]{40})", path.read_text()):
            pins.setdefault(action, set()).add(sha)
    assert pins
    assert {action: shas for action, shas in pins.items() if len(shas) > 1} == {}


def test_every_job_has_a_timeout(workflows: dict[str, dict[str, Any]]) -> None:
    for name, job_id, job in _jobs(workflows):
        timeout = job.get("timeout-minutes")
        assert isinstance(timeout, int), f"{name} {job_id}: timeout-minutes {timeout!r}"
        assert 0 < timeout <= 180, f"{name} {job_id}: timeout-minutes {timeout!r}"


def test_permissions_are_least_privilege(workflows: dict[str, dict[str, Any]]) -> None:
    for name, workflow in workflows.items():
        assert workflow["permissions"] in ({}, {"contents": "read"}), f"{name}: top-level permissions"
    for name, job_id, job in _jobs(workflows):
        permissions = job.get("permissions", {})
        assert isinstance(permissions, dict), f"{name} {job_id}: {permissions!r}"
        assert "write" not in permissions.values(), f"{name} {job_id}: writes {permissions}"


def test_checkout_never_persists_credentials(workflows: dict[str, dict[str, Any]]) -> None:
    checkouts = [
        step
        for _, _, job in _jobs(workflows)
        for step in job.get("steps", [])
        if step.get("uses", "").startswith("actions/checkout@")
    ]
    assert len(checkouts) == 5
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)


def test_sessions_run_concurrently_only_where_sensible(workflows: dict[str, dict[str, Any]]) -> None:
    for name, workflow in workflows.items():
        assert "group" in workflow["concurrency"], name
    # A nightly or a promotion is never cancelled half-way by the next one.
    assert workflows["nightly.yml"]["concurrency"]["cancel-in-progress"] is False
    assert workflows["promotion.yml"]["concurrency"]["cancel-in-progress"] is False


def test_every_nox_job_is_set_up_as_ci_run_sets_up(
    repo_root: Path, workflows: dict[str, dict[str, Any]]
) -> None:
    local_pins = dict(TOOL_PIN.findall(_ci_run(repo_root)))
    assert set(local_pins) == {"nox", "uv"}
    constraints = (repo_root / "constraints.txt").read_text().splitlines()
    assert f"nox=={local_pins['nox']}" in constraints
    for name, job_id, job in _jobs(workflows):
        if not _nox_steps(job):
            continue
        steps = job["steps"]
        python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
        assert python["with"]["python-version"] == "3.11", f"{name} {job_id}"
        uv = next(s for s in steps if s.get("uses", "").startswith("astral-sh/setup-uv@"))
        assert uv["with"]["enable-cache"] is True, f"{name} {job_id}"
        assert uv["with"]["version"] == local_pins["uv"], f"{name} {job_id}"
        install = next(s for s in steps if "pip install" in s.get("run", ""))
        assert dict(TOOL_PIN.findall(install["run"])) == local_pins, f"{name} {job_id}: not .ci/run's pins"
        first_nox = _step_index(job, lambda s: bool(NOX_STEP.match(s.get("run", "").strip())))
        assert steps.index(install) < first_nox


@pytest.mark.parametrize("session", ["l0", "l1"])
def test_sessions_with_the_browser_test_get_chromium_first(
    workflows: dict[str, dict[str, Any]], session: str
) -> None:
    (job,) = [job for _, _, job in _jobs(workflows) if session in _nox_steps(job)]
    chromium = _step_index(job, lambda s: "/usr/bin/chromium --headless" in s.get("run", ""))
    assert chromium < _step_index(job, lambda s: s.get("run", "").strip() == f"nox -s {session}")


def test_local_ci_script_runs_exactly_the_workflow_sessions(
    repo_root: Path, workflows: dict[str, dict[str, Any]], sessions: set[str]
) -> None:
    script = _ci_run(repo_root)
    assert re.search(r"^python3 -m pip install .*'nox==", script, flags=re.MULTILINE)
    ran = re.findall(r"^step ([\w-]+)", script, flags=re.MULTILINE)
    assert ran == LOCAL_SEQUENCE  # the README's test command (l0) first
    called = {s for _, _, job in _jobs(workflows) for s in _nox_steps(job)}
    assert set(ran) == called
    assert set(ran) <= sessions
