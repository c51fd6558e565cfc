"""`aurora promote` lists the SBOM and the vulnerability audit the evidence carries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aurora_gates.promote import run_checklist
from aurora_gates.promote.commands import CommandInventory
from aurora_gates.promote.render import PromotionReport
from test_promote import FakeGit, write_evidence


def _supply_chain(report: PromotionReport):
    return next(r for r in report.results if r.name == "supply_chain")


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    return write_evidence(tmp_path / "reports")


def _check(evidence: Path, tmp_path: Path) -> PromotionReport:
    inventory = CommandInventory(aurora=None, nox_sessions=set())
    return run_checklist(tmp_path, evidence=evidence, git=FakeGit(), inventory_factory=lambda: inventory)


def test_the_sbom_and_the_audit_are_listed_with_what_was_not_audited(evidence: Path, tmp_path: Path) -> None:
    result = _supply_chain(_check(evidence, tmp_path))
    assert result.passed, result.reason
    assert result.evidence["sbom"] == str(evidence / "sbom.cdx.json")
    assert result.evidence["sbom_components"] == 1
    assert result.evidence["audit_status"] == "not audited"
    assert "no vulnerability service" in result.evidence["audit_line"]


def test_a_known_vulnerability_fails_naming_it(evidence: Path, tmp_path: Path) -> None:
    line = "audit: known vulnerabilities in jinja2==3.1.6"
    (evidence / "audit.json").write_text(json.dumps({"status": "vulnerable", "line": line}))
    result = _supply_chain(_check(evidence, tmp_path))
    assert not result.passed
    assert result.reason == line


def test_a_missing_sbom_fails(evidence: Path, tmp_path: Path) -> None:
    (evidence / "sbom.cdx.json").unlink()
    result = _supply_chain(_check(evidence, tmp_path))
    assert not result.passed
    assert "sbom.cdx.json does not exist" in result.reason


def test_an_sbom_without_components_fails(evidence: Path, tmp_path: Path) -> None:
    (evidence / "sbom.cdx.json").write_text(json.dumps({"bomFormat": "CycloneDX", "components": []}))
    result = _supply_chain(_check(evidence, tmp_path))
    assert not result.passed
    assert "not a CycloneDX SBOM with components" in result.reason
