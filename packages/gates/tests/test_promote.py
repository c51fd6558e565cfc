"""The promotion checklist: every item passes on a complete repository and fails, naming
the item and its evidence, when one piece is missing, stale or wrong."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from aurora_e2d.data.ingest import load_lock
from aurora_e2d.rundir.config import BlessConfig, RunConfig
from aurora_gates.promote import (
    RUNBOOKS,
    CommandInventory,
    PromotionReport,
    aurora_command,
    extract_commands,
    nox_sessions_from_list,
    run_checklist,
)

REVISION = "0123456789abcdef0123456789abcdef01234567"
REPO_ROOT = Path(__file__).resolve().parents[3]
BUNDLED_LOCK = load_lock(REPO_ROOT / "goldens" / "snapshot")[1]
# The sessions DESIGN.md §7 promises; the runbooks may name only these.
SESSIONS = frozenset({"l0", "l1", "l2", "rollback-test", "run", "lint", "bench", "snapshot", "unit"})
FLAGS = """
[[flag]]
name = "hgb_model"
default = false
description = "candidate model"
adr = "docs/adr/0003-hgb-model-flag.md"
status = "active"

[[flag]]
name = "legacy_power_peg"
default = false
description = "retired"
adr = "docs/adr/0004-retired-legacy-power-peg.md"
status = "retired"
"""


@dataclass
class FakeGit:
    rev: str | None = REVISION
    changes: dict[str, list[str]] = field(default_factory=dict)

    def revision(self) -> str | None:
        return self.rev

    def changed(self, *pathspecs: str) -> list[str]:
        return sorted(p for spec in pathspecs for p in self.changes.get(spec, []))


@pytest.fixture(scope="module")
def aurora_tree():
    return aurora_command()


@pytest.fixture
def inventory(aurora_tree) -> CommandInventory:
    return CommandInventory(aurora=aurora_tree, nox_sessions=SESSIONS)


def gate_report(level: str, revision: str = REVISION, passed: bool = True) -> dict:
    return {
        "level": level,
        "revision": revision,
        "passed": passed,
        "checks": [{"name": "schema", "passed": passed}, {"name": "flags", "passed": True}],
    }


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="0" skipped="0" tests="1">
<testcase classname="t" name="a"/></testsuite></testsuites>"""


def mutation_report(score: float = 0.95) -> dict:
    killed = round(score * 100)
    return {
        "score": score,
        "counts": {"killed": killed, "survived": 100 - killed, "timeout": 0, "skipped": 0, "total": 100},
        "survivors": [
            {"name": f"m__mutmut_{i}", "status": "survived", "equivalent": "same value"}
            for i in range(100 - killed)
        ],
    }


def blessing(repo_root: Path) -> dict:
    """A blessing as `aurora bless --json` writes it, of this revision's defaults against the golden."""
    pinned = json.loads((repo_root / "goldens" / "metrics.json").read_text())["baseline_hashes"]
    return {
        "format_version": 1,
        "blessed": True,
        "thresholds": BlessConfig().model_dump(mode="json"),
        "candidate": {
            "git_revision": REVISION,
            "config": RunConfig().model_dump(mode="json"),
            "snapshot_lock_sha256": BUNDLED_LOCK,
        },
        "champion": {
            "flags": {"hgb_model": False},
            "artifact_sha256": pinned,
            "snapshot_lock_sha256": BUNDLED_LOCK,
        },
        "checks": [{"name": "beats_champion", "passed": True, "message": "ok"}],
    }


# The shape `cyclonedx-py environment` writes (only what the supply-chain item reads).
SBOM = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "components": [{"name": "polars", "version": "2.1.0"}],
}


def write_evidence(reports: Path, repo_root: Path = REPO_ROOT) -> Path:
    """Everything l0, l1, rollback-test and the blessing leave behind, laid out as reports/ is."""
    write_json(reports / "blessing.json", blessing(repo_root))
    write_json(reports / "gate-l0.json", gate_report("l0"))
    write_json(reports / "gate-l1.json", gate_report("l1"))
    write_json(
        reports / "rollback-test.json",
        {"revision": REVISION, "passed": True, "flags": ["hgb_model"], "verdicts": [{"passed": True}]},
    )
    (reports / "l1").mkdir(parents=True, exist_ok=True)
    (reports / "l1" / "junit.xml").write_text(JUNIT)
    for package in ("e2d", "safety"):
        write_json(reports / "l1" / f"mutation-{package}.json", mutation_report())
    write_json(reports / "sbom.cdx.json", SBOM)
    write_json(reports / "audit.json", {"status": "not audited", "line": "audit: no vulnerability service"})
    return reports


@pytest.fixture
def repo(tmp_path: Path, repo_root: Path) -> Path:
    """A repository where every item should pass: real runbooks, ADRs, fresh reports."""
    root = tmp_path / "repo"
    shutil.copytree(repo_root / "docs" / "runbooks", root / "docs" / "runbooks")
    for adr in ("0003-hgb-model-flag.md", "0004-retired-legacy-power-peg.md"):
        (root / "docs" / "adr").mkdir(parents=True, exist_ok=True)
        (root / "docs" / "adr" / adr).write_text("# ADR\n")
    (root / "goldens").mkdir()
    shutil.copy(repo_root / "goldens" / "metrics.json", root / "goldens" / "metrics.json")
    write_evidence(root / "reports")
    return root


def checklist(
    repo: Path,
    inventory: CommandInventory,
    git: FakeGit | None = None,
    flags: str = FLAGS,
    evidence: Path | None = None,
) -> PromotionReport:
    return run_checklist(
        repo, evidence=evidence, git=git or FakeGit(), flags_text=flags, inventory_factory=lambda: inventory
    )


def item(report: PromotionReport, name: str):
    return next(r for r in report.results if r.name == name)


def failed(report: PromotionReport) -> dict[str, str]:
    return {r.name: r.reason for r in report.results if not r.passed}


def aurora(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("aurora", path=str(Path(sys.executable).parent))
    assert exe is not None
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=180)


class TestChecklist:
    def test_every_item_passes_on_a_complete_repository(
        self, repo: Path, inventory: CommandInventory
    ) -> None:
        report = checklist(repo, inventory)
        assert failed(report) == {}
        assert report.passed
        names = [r.name for r in report.results]
        assert names[:5] == ["flags", "rollback_test", "gate_l0", "gate_l1", "l1_evidence"]
        assert item(report, "l1_evidence").evidence["checks"]["mutation_safety"]["score"] == 0.95
        assert {f"runbook:{f.removesuffix('.md')}" for f in RUNBOOKS.values()} <= set(names)
        assert names[-1] == "goldens"
        assert item(report, "runbook:rollback").evidence["commands"][0].startswith("aurora ")

    def test_a_flag_without_its_adr_fails(self, repo: Path, inventory: CommandInventory) -> None:
        (repo / "docs" / "adr" / "0004-retired-legacy-power-peg.md").unlink()
        assert failed(checklist(repo, inventory)) == {
            "flags": "flag 'legacy_power_peg': ADR docs/adr/0004-retired-legacy-power-peg.md does not exist"
        }

    def test_rollback_test_of_another_revision_fails(self, repo: Path, inventory: CommandInventory) -> None:
        report = checklist(repo, inventory, FakeGit(rev="f" * 40))
        reasons = failed(report)
        assert (
            reasons["rollback_test"]
            == f"rollback-test report is for revision {REVISION!r}, not the current {'f' * 40!r}"
        )
        assert set(reasons) == {"rollback_test", "gate_l0", "gate_l1", "blessing"}

    def test_a_failed_rollback_test_fails_with_its_first_reason(
        self, repo: Path, inventory: CommandInventory
    ) -> None:
        write_json(
            repo / "reports" / "rollback-test.json",
            {
                "revision": REVISION,
                "passed": False,
                "flags": ["hgb_model"],
                "verdicts": [{"passed": False, "reason": "decisions differs"}],
            },
        )
        assert failed(checklist(repo, inventory)) == {
            "rollback_test": "rollback-test did not pass: decisions differs"
        }

    def test_a_rollback_test_that_skipped_a_flag_fails(self, repo: Path, inventory: CommandInventory) -> None:
        write_json(
            repo / "reports" / "rollback-test.json", {"revision": REVISION, "passed": True, "flags": []}
        )
        assert failed(checklist(repo, inventory)) == {
            "rollback_test": "rollback-test did not cover exactly the active flags"
        }

    def test_missing_l1_report_fails(self, repo: Path, inventory: CommandInventory) -> None:
        (repo / "reports" / "gate-l1.json").unlink()
        reasons = failed(checklist(repo, inventory))
        assert reasons == {"gate_l1": f"gate l1 report {repo / 'reports' / 'gate-l1.json'} does not exist"}

    def test_red_l0_report_fails_naming_the_check(self, repo: Path, inventory: CommandInventory) -> None:
        write_json(repo / "reports" / "gate-l0.json", gate_report("l0", passed=False))
        result = item(checklist(repo, inventory), "gate_l0")
        assert not result.passed
        assert result.reason == "gate l0 did not pass"
        assert result.evidence["failed_checks"] == ["schema"]

    def test_an_empty_gate_report_proves_nothing(self, repo: Path, inventory: CommandInventory) -> None:
        write_json(
            repo / "reports" / "gate-l0.json",
            {"level": "l0", "revision": REVISION, "passed": True, "checks": []},
        )
        assert (
            failed(checklist(repo, inventory))["gate_l0"] == "gate l0 report has no checks: it proves nothing"
        )

    def test_l0_report_filed_as_l1_fails(self, repo: Path, inventory: CommandInventory) -> None:
        write_json(repo / "reports" / "gate-l1.json", gate_report("l0"))
        assert "is a report of level 'l0', not 'l1'" in failed(checklist(repo, inventory))["gate_l1"]

    def test_outside_git_every_revision_item_fails(self, repo: Path, inventory: CommandInventory) -> None:
        report = checklist(repo, inventory, FakeGit(rev=None))
        reasons = failed(report)
        assert reasons["gate_l0"] == "not a git work tree: the current revision is unknown"
        assert {"rollback_test", "gate_l0", "gate_l1"} <= set(reasons)

    def test_missing_runbook_fails(self, repo: Path, inventory: CommandInventory) -> None:
        (repo / "docs" / "runbooks" / "crash-recovery.md").unlink()
        assert failed(checklist(repo, inventory)) == {
            "runbook:crash-recovery": "runbook docs/runbooks/crash-recovery.md (crash recovery and resume) does not exist"
        }

    def test_runbook_naming_a_command_that_does_not_exist_fails(
        self, repo: Path, inventory: CommandInventory
    ) -> None:
        path = repo / "docs" / "runbooks" / "rollback.md"
        path.write_text(path.read_text() + "\n```bash\naurora rollback --all\n```\n")
        reason = failed(checklist(repo, inventory))["runbook:rollback"]
        assert reason.startswith("runbook docs/runbooks/rollback.md:")
        assert reason.endswith("`aurora` has no command 'rollback'")

    def test_runbook_naming_a_missing_nox_session_fails(
        self, repo: Path, inventory: CommandInventory
    ) -> None:
        path = repo / "docs" / "runbooks" / "promotion.md"
        path.write_text(path.read_text() + "\n```bash\nnox -s l3\n```\n")
        assert "nox has no session 'l3'" in failed(checklist(repo, inventory))["runbook:promotion"]

    def test_runbook_without_an_undo_section_fails(self, repo: Path, inventory: CommandInventory) -> None:
        path = repo / "docs" / "runbooks" / "circuit-breaker.md"
        path.write_text(path.read_text().replace("## Undo", "## Afterwards"))
        assert failed(checklist(repo, inventory)) == {
            "runbook:circuit-breaker": "runbook docs/runbooks/circuit-breaker.md has no 'undo' section"
        }

    def test_runbook_without_commands_fails(self, repo: Path, inventory: CommandInventory) -> None:
        path = repo / "docs" / "runbooks" / "kill-switch.md"
        path.write_text("# Kill\n## Symptom\n## Confirm\n## Verify\n## Undo\nNothing to run.\n")
        assert (
            "names no `aurora` or `nox` command" in failed(checklist(repo, inventory))["runbook:kill-switch"]
        )

    def test_goldens_changed_without_an_adr_fail(self, repo: Path, inventory: CommandInventory) -> None:
        git = FakeGit(
            changes={"goldens": ["goldens/metrics.json"], "docs/adr": ["docs/adr/0000-template.md"]}
        )
        result = item(checklist(repo, inventory, git), "goldens")
        assert (
            result.reason
            == "goldens changed since the last commit without a new or changed ADR under docs/adr/"
        )
        assert result.evidence["goldens_changed"] == ["goldens/metrics.json"]

    def test_goldens_changed_with_an_adr_pass(self, repo: Path, inventory: CommandInventory) -> None:
        git = FakeGit(
            changes={"goldens": ["goldens/metrics.json"], "docs/adr": ["docs/adr/0009-new-costs.md"]}
        )
        result = item(checklist(repo, inventory, git), "goldens")
        assert result.passed
        assert result.evidence == {
            "goldens_changed": ["goldens/metrics.json"],
            "adrs_changed": ["docs/adr/0009-new-costs.md"],
        }

    def test_an_item_that_cannot_run_fails_and_the_rest_still_run(self, repo: Path) -> None:
        def broken() -> CommandInventory:
            raise RuntimeError("nox exploded")

        report = run_checklist(repo, git=FakeGit(), flags_text=FLAGS, inventory_factory=broken)
        reasons = failed(report)
        assert set(reasons) == {f"runbook:{f.removesuffix('.md')}" for f in RUNBOOKS.values()}
        assert all("nox exploded" in reason for reason in reasons.values())
        assert item(report, "goldens").passed


class TestEvidenceDirectory:
    def test_reports_are_read_from_the_evidence_directory(
        self, repo: Path, inventory: CommandInventory, tmp_path: Path
    ) -> None:
        downloaded = tmp_path / "artifacts"
        shutil.move(repo / "reports", downloaded)
        assert failed(checklist(repo, inventory)) == {
            "rollback_test": f"rollback-test report {repo / 'reports' / 'rollback-test.json'} does not exist",
            "gate_l0": f"gate l0 report {repo / 'reports' / 'gate-l0.json'} does not exist",
            "gate_l1": f"gate l1 report {repo / 'reports' / 'gate-l1.json'} does not exist",
            "l1_evidence": "l1_suite: reports/l1/junit.xml is missing (run `nox -s l1`)",
            "blessing": f"blessing report {repo / 'reports' / 'blessing.json'} does not exist "
            f"(run `aurora bless ... --json {repo / 'reports' / 'blessing.json'}`)",
            "supply_chain": f"SBOM {repo / 'reports' / 'sbom.cdx.json'} does not exist (nox -s l2 writes it)",
        }
        report = checklist(repo, inventory, evidence=downloaded)
        assert failed(report) == {}
        assert report.evidence_dir == str(downloaded)
        assert item(report, "gate_l1").evidence["report"] == str(downloaded / "gate-l1.json")
        assert item(report, "l1_evidence").evidence["evidence_dir"] == str(downloaded)

    def test_a_green_gate_l1_without_its_mutation_report_fails(
        self, repo: Path, inventory: CommandInventory
    ) -> None:
        (repo / "reports" / "l1" / "mutation-safety.json").unlink()
        assert failed(checklist(repo, inventory)) == {
            "l1_evidence": "mutation_safety: reports/l1/mutation-safety.json is missing (run `nox -s l1`)"
        }

    def test_a_low_mutation_score_in_the_evidence_fails(
        self, repo: Path, inventory: CommandInventory
    ) -> None:
        write_json(repo / "reports" / "l1" / "mutation-safety.json", mutation_report(0.85))
        assert failed(checklist(repo, inventory)) == {
            "l1_evidence": "mutation_safety: mutation score of safety 85.0% is under 90%"
        }

    def test_a_failed_test_in_the_evidence_junit_fails(self, repo: Path, inventory: CommandInventory) -> None:
        junit = JUNIT.replace('failures="0"', 'failures="1"').replace(
            '<testcase classname="t" name="a"/>', '<testcase classname="t" name="a"><failure/></testcase>'
        )
        (repo / "reports" / "l1" / "junit.xml").write_text(junit)
        assert failed(checklist(repo, inventory)) == {
            "l1_evidence": "l1_suite: 1 failures and 0 errors in the nightly suite"
        }


class TestReportFiles:
    def test_markdown_and_json_state_each_item_and_its_evidence(
        self, repo: Path, inventory: CommandInventory, tmp_path: Path
    ) -> None:
        (repo / "reports" / "gate-l1.json").unlink()
        report = checklist(repo, inventory)
        report.write(tmp_path / "p.json", tmp_path / "p.md")
        data = json.loads((tmp_path / "p.json").read_text())
        assert data["passed"] is False
        assert data["revision"] == REVISION
        assert {i["name"]: i["passed"] for i in data["items"]}["gate_l1"] is False
        assert all(i["statement"] for i in data["items"])
        markdown = (tmp_path / "p.md").read_text()
        assert "verdict: **FAILED**" in markdown
        assert "| gate_l1 | **FAIL** |" in markdown
        assert "Reason: gate l1 report" in markdown

    def test_cli_writes_both_reports_and_exits_1(self, tmp_path: Path) -> None:
        root = tmp_path / "repo"
        (root / "goldens").mkdir(parents=True)
        (root / "noxfile.py").write_text("import nox\n\n@nox.session\ndef l0(session):\n    pass\n")
        result = aurora("promote", "--json", str(tmp_path / "out.json"), cwd=root)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert json.loads((tmp_path / "out.json").read_text())["passed"] is False
        assert (root / "reports" / "promotion.md").is_file()

    def test_cli_reads_the_evidence_directory_it_is_given(self, tmp_path: Path) -> None:
        root = tmp_path / "repo"
        (root / "goldens").mkdir(parents=True)
        (root / "noxfile.py").write_text("import nox\n\n@nox.session\ndef l0(session):\n    pass\n")
        evidence = write_evidence(tmp_path / "downloaded")
        result = aurora("promote", "--evidence", str(evidence), cwd=root)
        assert result.returncode == 1, result.stdout + result.stderr  # not a git work tree, no runbooks
        data = json.loads((root / "reports" / "promotion.json").read_text())
        assert data["evidence_dir"] == str(evidence)
        items = {i["name"]: i for i in data["items"]}
        assert items["l1_evidence"]["passed"] is True, items["l1_evidence"]["reason"]
        assert items["gate_l0"]["reason"] == "not a git work tree: the current revision is unknown"
        assert f"- evidence: `{evidence}`" in (root / "reports" / "promotion.md").read_text()

    def test_cli_refuses_an_evidence_directory_that_does_not_exist(self, tmp_path: Path) -> None:
        root = tmp_path / "repo"
        (root / "goldens").mkdir(parents=True)
        (root / "noxfile.py").write_text("")
        result = aurora("promote", "--evidence", "nowhere", cwd=root)
        assert result.returncode == 2
        assert result.stderr == (
            "aurora: error: '--evidence' must be a directory of gate reports, was 'nowhere' (not a directory)\n"
        )
        assert not (root / "reports").exists()


class TestCommands:
    def test_extracts_only_fenced_aurora_and_nox_commands(self) -> None:
        text = """
Run `aurora gate l0` inline: not a code block.
```bash
# a comment
AURORA_FLAG_HGB_MODEL=1 AURORA_ROLLBACK=1 aurora run --run-dir runs/x   # trailing comment
aurora status --run-dir runs/x && nox -s l0
ls -l runs/x ; echo $?
aurora breaker reset drawdown \\
    --reason "loss explained" --run-dir runs/x
```
"""
        commands = extract_commands(text)
        assert [c.text for c in commands] == [
            "aurora run --run-dir runs/x",
            "aurora status --run-dir runs/x",
            "nox -s l0",
            "aurora breaker reset drawdown --reason loss explained --run-dir runs/x",
        ]
        assert [c.line for c in commands] == [5, 6, 6, 9]

    @pytest.mark.parametrize(
        "line",
        [
            "aurora run --run-dir runs/x --start 2010-01-04",
            "aurora resume --run-dir runs/x",
            "aurora status --run-dir runs/x --json",
            "aurora breaker reset drawdown --reason why --run-dir runs/x",
            "aurora kill --reason stop --run-dir runs/x",
            "aurora unkill --run-dir runs/x",
            "aurora gate l2 --run-dir runs/x --json reports/gate-l2.json",
            "aurora ratchet --run-dir runs/x --update --allow-loosen --adr docs/adr/0009-x.md",
            "aurora promote --json reports/p.json",
            "aurora promote --help",
            "nox -s rollback-test",
            "nox -R -s l0 l1",
            "nox --session=bench",
        ],
    )
    def test_commands_that_exist(self, inventory: CommandInventory, line: str) -> None:
        assert inventory.problem(line.split()) is None

    @pytest.mark.parametrize(
        ("line", "problem"),
        [
            ("aurora rollback", "`aurora` has no command 'rollback'"),
            ("aurora run --flags hgb", "`aurora run` has no option '--flags'"),
            ("aurora breaker", "`aurora breaker` is a command group, not a command"),
            ("aurora breaker clear drawdown", "`aurora breaker` has no command 'clear'"),
            ("aurora ratchet --loosen", "`aurora ratchet` has no option '--loosen'"),
            ("nox -s l3", "nox has no session 'l3'"),
        ],
    )
    def test_commands_that_do_not(self, inventory: CommandInventory, line: str, problem: str) -> None:
        found = inventory.problem(line.split())
        assert found is not None
        assert found.startswith(problem)

    def test_nox_list_parsing(self) -> None:
        out = """Sessions defined in /x/noxfile.py:

* unit(package='broker') -> Unit tests.
* l0 -> Every PR.
- rollback-test -> Flags.
sessions marked with * are selected, sessions marked with - are skipped.
"""
        assert nox_sessions_from_list(out) == {"unit(package='broker')", "unit", "l0", "rollback-test"}

    def test_the_real_runbooks_name_only_real_aurora_commands_and_design_sessions(
        self, repo_root: Path, inventory: CommandInventory
    ) -> None:
        for filename in RUNBOOKS.values():
            for command in extract_commands((repo_root / "docs" / "runbooks" / filename).read_text()):
                assert inventory.problem(command.tokens) is None, f"{filename}:{command.line}: {command.text}"
