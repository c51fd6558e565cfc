"""The evidence directory: where the gate sessions leave their reports and promote reads them.

Locally it is ``<repo>/reports``; a CI job that runs l2 on another machine
downloads the l0, l1 and rollback-test artifacts into some directory and
points ``aurora promote --evidence`` at it. Every file name is declared here
once; the sessions write them, the checks and the checklist read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["AUDIT_REPORT", "BLESSING_REPORT", "REPORTS", "SBOM_REPORT", "Evidence", "mutation_report_name"]

REPORTS = Path("reports")  # the default evidence directory, relative to the repository
BLESSING_REPORT = "blessing.json"  # the l2 session's `aurora bless --json` output
SBOM_REPORT = "sbom.cdx.json"  # CycloneDX SBOM of the run environment (noxfile: _supply_chain)
AUDIT_REPORT = "audit.json"  # pip-audit of requirements.lock, summarised (noxfile: _supply_chain)


def mutation_report_name(package: str) -> str:
    """One package's mutation report: ``mutation-e2d.json`` (its log: ``mutation-e2d.log``)."""
    return f"mutation-{package}.json"


@dataclass(frozen=True)
class Evidence:
    """The reports under one evidence directory, laid out as ``reports/`` is."""

    root: Path

    @classmethod
    def default(cls, repo_root: Path) -> Evidence:
        return cls(repo_root / REPORTS)

    def gate(self, level: str) -> Path:
        """``gate-l0.json``: written by ``aurora gate <level> --json``."""
        return self.root / f"gate-{level}.json"

    @property
    def rollback(self) -> Path:
        return self.root / "rollback-test.json"

    @property
    def blessing(self) -> Path:
        """``blessing.json``: written by ``aurora bless --json`` (the l2 session)."""
        return self.root / BLESSING_REPORT

    @property
    def sbom(self) -> Path:
        """``sbom.cdx.json``: the CycloneDX SBOM of the run environment (nox -s l2 / supply-chain)."""
        return self.root / SBOM_REPORT

    @property
    def audit(self) -> Path:
        """``audit.json``: the vulnerability audit of the pinned set, beside the SBOM."""
        return self.root / AUDIT_REPORT

    @property
    def l1(self) -> Path:
        """The nightly's raw evidence: the junit XML and the mutation reports."""
        return self.root / "l1"

    @property
    def junit(self) -> Path:
        return self.l1 / "junit.xml"

    def mutation(self, package: str) -> Path:
        return self.l1 / mutation_report_name(package)

    def show(self, path: Path, repo_root: Path) -> str:
        """``path`` relative to the repository when it is inside it (shorter messages)."""
        try:
            return str(path.relative_to(repo_root))
        except ValueError:
            return str(path)
