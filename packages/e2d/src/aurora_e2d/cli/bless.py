"""``aurora bless``: bless a candidate run against the champion run (DESIGN.md §2, ADR 0006).

A thin adapter over ``aurora_e2d.blessing``: exit 0 blessed, 1 not blessed
(one stderr line per failed check), 2 bad input (raised as ``InputError``,
printed by the ``aurora`` entry point). The heavy modules load inside the
command, so ``aurora --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aurora_e2d.core.exitcodes import ExitCode

__all__ = ["bless"]


def bless(
    candidate_run: Annotated[
        Path,
        typer.Option(
            "--candidate-run", help="The finished run to bless (its blessing.json is written there)."
        ),
    ],
    champion_run: Annotated[
        Path,
        typer.Option("--champion-run", help="The finished run it must replace (the same one is allowed)."),
    ],
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the verdict here (promotion evidence).")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="TOML whose \\[bless] section sets the thresholds (default: built in)."
        ),
    ] = None,
    ledger: Annotated[
        Path | None,
        typer.Option(
            "--ledger",
            help="Blessings recorded for the reference, counted as the deflated Sharpe ratio's trials "
            "(default: blessings.jsonl in the goldens aurora.toml \\[gates] names, else goldens/).",
        ),
    ] = None,
    record: Annotated[
        bool, typer.Option("--record", help="Append this blessing to the ledger (one more trial).")
    ] = False,
) -> None:
    """Champion/challenger blessing: exit 0 blessed, 1 not (every failed check named), 2 bad input."""
    from aurora_e2d.blessing import bless_runs
    from aurora_e2d.core.reference import find_goldens
    from aurora_e2d.rundir.config import DEFAULT_SOURCE, load_config

    thresholds = load_config(config).bless
    blessing = bless_runs(
        candidate_run,
        champion_run,
        thresholds,
        thresholds_source=DEFAULT_SOURCE if config is None else str(config),
        json_path=json_path,
        ledger=ledger if ledger is not None else find_goldens().ledger,
        record=record,
    )
    table = Table(title=f"bless {candidate_run} against {champion_run}")
    for column in ("check", "result", "evidence"):
        table.add_column(column)
    for check in blessing.checks:
        verdict = "[green]pass[/green]" if check.passed else "[bold red]FAIL[/bold red]"
        table.add_row(check.name, verdict, check.message)
    Console(width=200).print(table)
    inference = blessing.sharpe
    typer.echo(
        f"sharpe: {inference.get('message') or inference.get('error')} (ledger {inference.get('ledger')})"
    )
    if not blessing.blessed:
        for check in blessing.failed:
            typer.echo(f"aurora: not blessed: {check.name}: {check.message}", err=True)
        raise typer.Exit(ExitCode.CHECK_FAILED)
    typer.echo(f"blessed: {candidate_run} against {champion_run} ({len(blessing.checks)} checks pass)")
