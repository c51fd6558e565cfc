"""Drills for the L1 and L2 checks: each passes on good evidence and fails, naming why, on bad."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aurora_gates import REGISTRY, GateContext, run_check
from aurora_gates import runner as gate_runner

JUNIT_OK = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="0" skipped="0" tests="2">
<testcase classname="t" name="a"/><testcase classname="t" name="b"/></testsuite></testsuites>"""


@pytest.fixture(autouse=True)
def _checks_loaded() -> None:
    gate_runner._load_checks()


def _repo(tmp_path: Path, junit: str | None = JUNIT_OK, mutation: dict | None = None) -> GateContext:
    reports = tmp_path / "reports" / "l1"
    reports.mkdir(parents=True)
    if junit is not None:
        (reports / "junit.xml").write_text(junit)
    if mutation is not None:
        (reports / "mutation.json").write_text(json.dumps(mutation))
    return GateContext(repo_root=tmp_path)


class TestL1Suite:
    def test_a_clean_suite_passes(self, tmp_path: Path) -> None:
        result = run_check(REGISTRY.get("l1_suite"), _repo(tmp_path))
        assert result.passed, result.reason
        assert result.evidence["tests"] == 2

    def test_missing_evidence_fails(self, tmp_path: Path) -> None:
        result = run_check(REGISTRY.get("l1_suite"), _repo(tmp_path, junit=None))
        assert not result.passed
        assert result.reason == "reports/l1/junit.xml is missing (run `nox -s l1`)"

    def test_a_failure_fails(self, tmp_path: Path) -> None:
        junit = JUNIT_OK.replace('failures="0"', 'failures="1"').replace(
            '<testcase classname="t" name="b"/>', '<testcase classname="t" name="b"><failure/></testcase>'
        )
        result = run_check(REGISTRY.get("l1_suite"), _repo(tmp_path, junit=junit))
        assert not result.passed
        assert result.reason == "1 failures and 0 errors in the nightly suite"
        assert result.evidence["failed_tests"] == ["t::b"]

    def test_a_skip_fails(self, tmp_path: Path) -> None:
        junit = JUNIT_OK.replace('skipped="0"', 'skipped="1"').replace(
            '<testcase classname="t" name="b"/>', '<testcase classname="t" name="b"><skipped/></testcase>'
        )
        result = run_check(REGISTRY.get("l1_suite"), _repo(tmp_path, junit=junit))
        assert not result.passed
        assert result.reason == "1 tests skipped: at L1 every suite must run"
        assert result.evidence["skipped_tests"] == ["t::b"]

    def test_no_test_at_all_fails(self, tmp_path: Path) -> None:
        junit = '<testsuites><testsuite name="pytest" errors="0" failures="0" skipped="0" tests="0"/></testsuites>'
        result = run_check(REGISTRY.get("l1_suite"), _repo(tmp_path, junit=junit))
        assert not result.passed
        assert result.reason == "the nightly suite ran no test"


class TestMutationScore:
    def test_at_the_threshold_passes(self, tmp_path: Path) -> None:
        report = {
            "score": 0.8,
            "counts": {"killed": 8, "survived": 2, "timeout": 0, "skipped": 0, "total": 10},
        }
        result = run_check(REGISTRY.get("mutation_score"), _repo(tmp_path, mutation=report))
        assert result.passed, result.reason

    def test_under_the_threshold_fails(self, tmp_path: Path) -> None:
        report = {
            "score": 0.79,
            "counts": {"killed": 79, "survived": 21, "timeout": 0, "skipped": 0, "total": 100},
        }
        result = run_check(REGISTRY.get("mutation_score"), _repo(tmp_path, mutation=report))
        assert not result.passed
        assert result.reason == "mutation score 79.0% is under 80%"

    def test_zero_mutants_fails(self, tmp_path: Path) -> None:
        report = {"score": 1.0, "counts": {"total": 0}}
        result = run_check(REGISTRY.get("mutation_score"), _repo(tmp_path, mutation=report))
        assert not result.passed
        assert result.reason == "mutation testing produced no mutant"


class TestCrossProcessDeterminism:
    def test_passes_on_a_real_run_and_fails_when_an_artifact_changed(
        self, real_run: Path, run_copy: Path, repo_root: Path
    ) -> None:
        import os

        ctx = GateContext(repo_root=repo_root, run_dir=real_run, environ=dict(os.environ))
        good = run_check(REGISTRY.get("cross_process_determinism"), ctx)
        assert good.passed, good.reason
        manifest = json.loads((run_copy / "manifest.json").read_text())
        manifest["artifacts"]["fills"]["sha256"] = "0" * 64  # as if this process had written other bytes
        (run_copy / "manifest.json").write_text(json.dumps(manifest))
        bad = run_check(
            REGISTRY.get("cross_process_determinism"),
            GateContext(repo_root=repo_root, run_dir=run_copy, environ=dict(os.environ)),
        )
        assert not bad.passed
        assert bad.reason == "1 artifacts differ across processes: fills.parquet"
