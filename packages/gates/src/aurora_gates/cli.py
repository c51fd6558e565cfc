"""`aurora gate`, `aurora ratchet`, `aurora promote`: added to the e2d CLI through the
`aurora.commands` entry point (e2d never imports gates)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aurora_gates.paths import repo_root
from aurora_gates.registry import GateContext, Level
from aurora_gates.runner import run_gate

DEFAULT_L2_RUN_DIR = Path("runs") / "gate-l2"  # the run `nox -s l2` makes, under the repository


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
    from aurora_gates import ratchet  # noqa: F401  (registers the L2 `ratchet` check)

    context = GateContext(repo_root=repo_root(), run_dir=run_dir, environ=dict(os.environ))
    report = run_gate(level, context)
    report.print_table(Console(stderr=False))
    if json_path is not None:
        report.write_json(json_path)
    if not report.passed:
        raise typer.Exit(1)


def _fail_usage(message: str) -> typer.Exit:
    typer.echo(f"aurora: error: {message}", err=True)
    return typer.Exit(2)


def ratchet(
    run_dir: Annotated[
        Path | None,
        typer.Option(help=f"Run whose summary.json is compared (default: <repo>/{DEFAULT_L2_RUN_DIR})."),
    ] = None,
    update: Annotated[
        bool,
        typer.Option("--update", help="Rewrite goldens/metrics.json, moving goldens only the better way."),
    ] = False,
    allow_loosen: Annotated[
        bool,
        typer.Option("--allow-loosen", help="With --update: also move goldens the worse way (needs --adr)."),
    ] = False,
    adr: Annotated[
        Path | None, typer.Option("--adr", help="The ADR docs/adr/NNNN-title.md that justifies loosening.")
    ] = None,
) -> None:
    """Compare a run's metrics with goldens/metrics.json; --update only tightens. Exit 1 if worse."""
    from aurora_gates import ratchet as rt

    root = repo_root()
    run = run_dir if run_dir is not None else root / DEFAULT_L2_RUN_DIR
    path = root / rt.GOLDENS
    try:
        if (allow_loosen or adr is not None) and not update:
            raise rt.RatchetError("'--allow-loosen' and '--adr' only go with '--update'")
        old = rt.load_goldens(path)
        summary = rt.load_summary(run)
        flags_on = rt.run_flags_on(run)
        # The flags-off baseline's decisions and fills are pinned; a run with a flag on is not held to them.
        names = tuple(sorted(set(rt.BASELINE_ARTIFACTS) | set(old.baseline_hashes)))
        baseline = None if flags_on else rt.run_baseline_hashes(run, names)
        new = old
        if update:
            new = rt.update(old, summary, allow_loosen=allow_loosen, adr=adr, baseline=baseline)
    except rt.RatchetError as error:
        raise _fail_usage(str(error)) from None
    console = Console()
    findings = rt.compare(summary, new)
    table = Table(title=f"ratchet: {run} vs {rt.GOLDENS}")
    for column in ("metric", "result", "golden", "run", "tolerance", "better"):
        table.add_column(column)
    for f in findings:
        verdict = "[green]ok[/green]" if f.passed else f"[bold red]{f.verdict.upper()}[/bold red]"
        table.add_row(
            f.metric, verdict, _number(f.golden), _number(f.value), _number(f.tolerance), str(f.direction)
        )
    console.print(table)
    for f in findings:
        if not f.passed:
            typer.echo(f"FAIL {f.message}")
    wrong = {} if baseline is None else rt.baseline_mismatches(new.baseline_hashes, baseline)
    for name, pair in wrong.items():
        typer.echo(f"FAIL baseline {name}: golden sha256 {pair['golden']}, run {pair['run']}")
    if baseline is None:
        kept = " (and kept in the goldens)" if update else ""
        typer.echo(f"baseline hashes not compared{kept}: the run has flags on {flags_on}")
    if update:
        changes = rt.describe_changes(old, new)
        if new != old:
            rt.write_goldens(path, new)
        for line in changes or ["goldens unchanged"]:
            typer.echo(f"update: {line}")
    passed = all(f.passed for f in findings) and not wrong
    typer.echo(f"ratchet: {'PASSED' if passed else 'FAILED'}")
    if not passed:
        raise typer.Exit(1)


def _number(value: float | None) -> str:
    return "null" if value is None else f"{value:.6g}"


def promote(
    json_path: Annotated[
        Path | None,
        typer.Option("--json", help="Write the JSON report here (default reports/promotion.json)."),
    ] = None,
) -> None:
    """The promotion checklist: writes reports/promotion.md and .json; exit 1 unless every item passes."""
    from aurora_gates import promote as pm

    root = repo_root()
    report = pm.run_checklist(root)
    json_out = json_path if json_path is not None else root / pm.REPORT_JSON
    markdown_out = root / pm.REPORT_MD
    report.write(json_out, markdown_out)
    report.print_table(Console())
    typer.echo(f"wrote {markdown_out} and {json_out}")
    if not report.passed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command(name="gate")(gate)
    app.command(name="ratchet")(ratchet)
    app.command(name="promote")(promote)
