"""Drills for the L1 and L2 checks: each passes on good evidence and fails, naming why, on bad."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aurora_gates import REGISTRY, GateContext, Level, run_check
from aurora_gates import runner as gate_runner

JUNIT_OK = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="0" skipped="0" tests="2">
<testcase classname="t" name="a"/><testcase classname="t" name="b"/></testsuite></testsuites>"""


@pytest.fixture(autouse=True)
def _checks_loaded() -> None:
    gate_runner._load_checks()


def _repo(
    tmp_path: Path, junit: str | None = JUNIT_OK, mutation: dict[str, dict] | None = None
) -> GateContext:
    """A repository whose reports/l1 holds ``junit`` and one ``mutation-<package>.json`` per entry."""
    reports = tmp_path / "reports" / "l1"
    reports.mkdir(parents=True)
    if junit is not None:
        (reports / "junit.xml").write_text(junit)
    for package, report in (mutation or {}).items():
        (reports / f"mutation-{package}.json").write_text(json.dumps(report))
    return GateContext(repo_root=tmp_path)


def mutation_report(killed: int, survived: int, *, explained: int | None = None) -> dict:
    """A report as aurora_gates.mutation writes it; ``explained`` of the survivors are equivalent."""
    explained = survived if explained is None else explained
    survivors = [
        {
            "name": f"pkg.mod.x_f__mutmut_{i}",
            "status": "survived",
            "equivalent": "same value" if i < explained else None,
            "diff": "-a\n+b",
        }
        for i in range(survived)
    ]
    total = killed + survived
    return {
        "score": killed / total if total else None,
        "counts": {"killed": killed, "survived": survived, "timeout": 0, "skipped": 0, "total": total},
        "survivors": survivors,
    }


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
    def test_both_packages_at_their_thresholds_pass_and_list_their_survivors(self, tmp_path: Path) -> None:
        ctx = _repo(tmp_path, mutation={"e2d": mutation_report(8, 2), "safety": mutation_report(9, 1)})
        e2d = run_check(REGISTRY.get("mutation_e2d"), ctx)
        safety = run_check(REGISTRY.get("mutation_safety"), ctx)
        assert e2d.passed, e2d.reason
        assert safety.passed, safety.reason
        assert (e2d.evidence["threshold"], safety.evidence["threshold"]) == (0.8, 0.9)
        assert safety.evidence["survivors"] == [
            {"name": "pkg.mod.x_f__mutmut_0", "status": "survived", "equivalent": "same value"}
        ]
        assert (safety.evidence["explained"], safety.evidence["unexplained"]) == (1, [])

    def test_under_the_threshold_fails(self, tmp_path: Path) -> None:
        ctx = _repo(tmp_path, mutation={"e2d": mutation_report(79, 21), "safety": mutation_report(89, 11)})
        e2d = run_check(REGISTRY.get("mutation_e2d"), ctx)
        safety = run_check(REGISTRY.get("mutation_safety"), ctx)
        assert e2d.reason == "mutation score of e2d 79.0% is under 80%"
        assert safety.reason == "mutation score of safety 89.0% is under 90%"

    def test_an_unexplained_survivor_fails_naming_it(self, tmp_path: Path) -> None:
        ctx = _repo(tmp_path, mutation={"safety": mutation_report(95, 5, explained=3)})
        result = run_check(REGISTRY.get("mutation_safety"), ctx)
        assert not result.passed
        assert result.reason == (
            "2 surviving mutants of safety are neither killed nor explained in "
            "packages/safety/mutation-equivalents.toml: pkg.mod.x_f__mutmut_3 (and 1 more)"
        )
        assert result.evidence["unexplained"] == ["pkg.mod.x_f__mutmut_3", "pkg.mod.x_f__mutmut_4"]

    def test_zero_mutants_fails(self, tmp_path: Path) -> None:
        ctx = _repo(tmp_path, mutation={"e2d": {"score": 1.0, "counts": {"total": 0}}})
        result = run_check(REGISTRY.get("mutation_e2d"), ctx)
        assert not result.passed
        assert result.reason == "mutation testing of e2d produced no mutant"

    def test_a_missing_package_report_fails(self, tmp_path: Path) -> None:
        ctx = _repo(tmp_path, mutation={"e2d": mutation_report(8, 2)})
        result = run_check(REGISTRY.get("mutation_safety"), ctx)
        assert result.reason == "reports/l1/mutation-safety.json is missing (run `nox -s l1`)"

    @pytest.mark.parametrize(
        ("report", "reason"),
        [
            ({"counts": {"total": 1}}, "mutation-e2d.json: unreadable mutation report (KeyError)"),
            ({"score": 0.9}, "mutation-e2d.json: unreadable mutation report (no 'counts' object)"),
            (
                {"score": 0.9, "counts": {"total": 1}, "survivors": [{"status": "survived"}]},
                "unreadable mutation report: 'survivors' must be a list of named mutants",
            ),
        ],
    )
    def test_a_malformed_report_fails(self, tmp_path: Path, report: dict, reason: str) -> None:
        result = run_check(REGISTRY.get("mutation_e2d"), _repo(tmp_path, mutation={"e2d": report}))
        assert result.reason == reason

    def test_reads_another_evidence_directory(self, tmp_path: Path) -> None:
        elsewhere = tmp_path / "downloaded"
        _repo(elsewhere, mutation={"e2d": mutation_report(8, 2)})
        ctx = GateContext(repo_root=tmp_path / "repo", reports_dir=elsewhere / "reports")
        assert run_check(REGISTRY.get("mutation_e2d"), ctx).passed
        missing = run_check(REGISTRY.get("mutation_safety"), ctx)
        assert (
            missing.reason
            == f"{elsewhere / 'reports' / 'l1' / 'mutation-safety.json'} is missing (run `nox -s l1`)"
        )

    def test_the_l1_gate_has_the_suite_and_one_mutation_check_per_package(self) -> None:
        assert [c.name for c in REGISTRY.checks(Level.L1)] == ["l1_suite", "mutation_e2d", "mutation_safety"]


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
