"""A gate run's results: a readable table for people, JSON for machines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from aurora_e2d.rundir.artifacts import atomic_write_bytes
from aurora_gates.registry import CheckResult, Level

__all__ = ["GateReport"]


@dataclass(frozen=True)
class GateReport:
    level: Level
    results: Sequence[CheckResult]
    revision: str | None

    @property
    def passed(self) -> bool:
        # An empty gate proves nothing: it fails rather than passing vacuously.
        return bool(self.results) and all(result.passed for result in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": str(self.level),
            "revision": self.revision,
            "passed": self.passed,
            "checks": [result.as_dict() for result in self.results],
        }

    def write_json(self, path: Path) -> None:
        atomic_write_bytes(
            path, (json.dumps(self.as_dict(), indent=2, sort_keys=True, default=str) + "\n").encode()
        )

    def print_table(self, console: Console) -> None:
        table = Table(title=f"gate {self.level} ({len(self.results)} checks)", show_lines=False)
        table.add_column("check")
        table.add_column("result")
        table.add_column("ms", justify="right")
        table.add_column("guarantee / reason")
        for result in self.results:
            verdict = "[green]pass[/green]" if result.passed else "[bold red]FAIL[/bold red]"
            text = result.statement if result.passed else f"{result.reason}\n{_evidence(result)}"
            table.add_row(result.name, verdict, f"{result.duration_ms:.0f}", text)
        console.print(table)
        if not self.results:
            console.print(f"[bold red]gate {self.level}: no checks registered — failing[/bold red]")
        summary = "PASSED" if self.passed else "FAILED"
        console.print(f"gate {self.level}: {summary}")


def _evidence(result: CheckResult) -> str:
    return ", ".join(f"{key}={value}" for key, value in result.evidence.items())
