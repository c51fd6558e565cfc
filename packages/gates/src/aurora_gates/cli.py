"""`aurora gate`: added to the e2d CLI through the `aurora.commands` entry point."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from aurora_gates.paths import repo_root
from aurora_gates.registry import GateContext, Level
from aurora_gates.runner import run_gate


def gate(
    level: Annotated[
        Level, typer.Argument(help="Gate level: l0 (every PR), l1 (nightly), l2 (pre-promotion).")
    ],
    run_dir: Annotated[Path | None, typer.Option(help="Run directory whose artifacts are checked.")] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the results as JSON here.")
    ] = None,
) -> None:
    """Run one gate level's checks, print a table; exit 1 on any failure."""
    context = GateContext(repo_root=repo_root(), run_dir=run_dir, environ=dict(os.environ))
    report = run_gate(level, context)
    report.print_table(Console(stderr=False))
    if json_path is not None:
        report.write_json(json_path)
    if not report.passed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command(name="gate")(gate)
