"""The promotion report: markdown for people, JSON for machines, a table for the terminal."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from aurora_e2d.rundir.artifacts import atomic_write_bytes
from aurora_gates.evidence import REPORTS
from aurora_gates.promote import mltestscore
from aurora_gates.registry import CheckResult

__all__ = ["REPORT_JSON", "REPORT_MD", "PromotionReport"]

# Where `aurora promote` writes, relative to the repository (not into the evidence directory,
# which may be a CI download that is read-only in spirit).
REPORT_JSON = REPORTS / "promotion.json"
REPORT_MD = REPORTS / "promotion.md"


@dataclass(frozen=True)
class PromotionReport:
    revision: str | None
    results: Sequence[CheckResult] = field(default_factory=tuple)
    evidence_dir: str | None = None  # where the l0, l1 and rollback-test reports were read
    ml_test_score: Mapping[str, Any] | None = None  # the self-assessment (mltestscore.assess)

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "passed": self.passed,
            "evidence_dir": self.evidence_dir,
            "items": [r.as_dict() for r in self.results],
            "ml_test_score": None if self.ml_test_score is None else dict(self.ml_test_score),
        }

    def markdown(self) -> str:
        verdict = "PASSED" if self.passed else "FAILED"
        lines = [
            "# Promotion checklist",
            "",
            f"- revision: `{self.revision}`",
            f"- evidence: `{self.evidence_dir}`",
            f"- verdict: **{verdict}** ({sum(r.passed for r in self.results)}/{len(self.results)} items pass)",
            "",
            "| item | result | what it checked |",
            "|---|---|---|",
        ]
        lines += [
            f"| {r.name} | {'pass' if r.passed else '**FAIL**'} | {r.statement} |" for r in self.results
        ]
        for r in self.results:
            lines += ["", f"## {r.name}: {'pass' if r.passed else 'FAIL'}", "", r.statement, ""]
            if not r.passed:
                lines += [f"Reason: {r.reason}", ""]
            evidence = json.dumps(dict(r.evidence), indent=2, sort_keys=True, default=str)
            lines += ["Evidence:", "", "```json", evidence, "```"]
        if self.ml_test_score is not None:
            lines += mltestscore.markdown(self.ml_test_score)
        return "\n".join(lines) + "\n"

    def write(self, json_path: Path, markdown_path: Path) -> None:
        for path, text in (
            (json_path, json.dumps(self.as_dict(), indent=2, sort_keys=True, default=str) + "\n"),
            (markdown_path, self.markdown()),
        ):
            atomic_write_bytes(path, text.encode())

    def print_table(self, console: Console) -> None:
        table = Table(title=f"promotion checklist (revision {self.revision})")
        for column in ("item", "result", "checked / reason"):
            table.add_column(column)
        for r in self.results:
            verdict = "[green]pass[/green]" if r.passed else "[bold red]FAIL[/bold red]"
            table.add_row(r.name, verdict, r.statement if r.passed else r.reason)
        console.print(table)
        console.print(f"promotion: {'PASSED' if self.passed else 'FAILED'}")
