"""`aurora gate`, `aurora ratchet`, `aurora promote`: added to the e2d CLI through the
`aurora.commands` entry point (e2d never imports gates)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aurora_gates.paths import project_root
from aurora_gates.registry import GateContext, Level

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
    """Run one gate level's checks, print a table; exit 1 on any failure.

    l2 judges the run against the reference's goldens (aurora.toml [gates] goldens, else the
    bundled ones): a run over another snapshot is refused (exit 2) before any check runs."""
    from aurora_gates import ratchet  # noqa: F401  (registers the L2 `ratchet` check)
    from aurora_gates.reference import load_reference, require_run_on_reference
    from aurora_gates.runner import run_gate  # pyarrow and the checks: only when a gate runs

    root = project_root()
    if level is Level.L2 and run_dir is not None:
        try:
            require_run_on_reference(run_dir, load_reference(root))
        except rt_errors() as error:
            raise _fail_usage(str(error)) from None
    context = GateContext(repo_root=root, run_dir=run_dir, environ=dict(os.environ))
    report = run_gate(level, context)
    report.print_table(Console(stderr=False))
    if json_path is not None:
        report.write_json(json_path)
    if not report.passed:
        raise typer.Exit(1)


def rt_errors() -> tuple[type[Exception], ...]:
    """The one-line errors of reading a reference: bad goldens, bad project file."""
    from aurora_gates.ratchet import RatchetError
    from aurora_safety import ConfigError

    return (RatchetError, ConfigError)


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
    """Compare a run's metrics with the reference's goldens; --update only tightens. Exit 1 if worse.

    The goldens are those named by aurora.toml [gates] goldens (else goldens/); a run over another
    snapshot than theirs is refused (exit 2)."""
    from aurora_gates import ratchet as rt
    from aurora_gates.reference import load_reference, require_run_on_reference

    root = project_root()
    run = run_dir if run_dir is not None else root / DEFAULT_L2_RUN_DIR
    try:
        reference = load_reference(root)
        require_run_on_reference(run, reference)
        outcome = rt.assess(run, reference.goldens, updating=update, allow_loosen=allow_loosen, adr=adr)
    except rt_errors() as error:
        raise _fail_usage(str(error)) from None
    path = reference.metrics_path
    table = Table(title=f"ratchet: {run} vs {reference.shown}")
    for column in ("metric", "result", "golden", "run", "tolerance", "better"):
        table.add_column(column)
    for f in outcome.findings:
        verdict = "[green]ok[/green]" if f.passed else f"[bold red]{f.verdict.upper()}[/bold red]"
        table.add_row(
            f.metric, verdict, _number(f.golden), _number(f.value), _number(f.tolerance), str(f.direction)
        )
    Console().print(table)
    for f in outcome.failed:
        typer.echo(f"FAIL {f.message}")
    for name, pair in outcome.mismatches.items():
        typer.echo(f"FAIL baseline {name}: golden sha256 {pair['golden']}, run {pair['run']}")
    if outcome.baseline is None:
        kept = " (and kept in the goldens)" if update else ""
        typer.echo(f"baseline hashes not compared{kept}: the run has flags on {list(outcome.flags_on)}")
    if update:
        if outcome.goldens != outcome.previous:
            rt.write_goldens(path, outcome.goldens)
        for line in outcome.changes or ["goldens unchanged"]:
            typer.echo(f"update: {line}")
    typer.echo(f"ratchet: {'PASSED' if outcome.passed else 'FAILED'}")
    if not outcome.passed:
        raise typer.Exit(1)


def _number(value: float | None) -> str:
    return "null" if value is None else f"{value:.6g}"


def promote(
    json_path: Annotated[
        Path | None,
        typer.Option("--json", help="Write the JSON report here (default reports/promotion.json)."),
    ] = None,
    evidence: Annotated[
        Path | None,
        typer.Option(
            "--evidence",
            help="Directory holding gate-l0.json, gate-l1.json, l1/ (junit, mutation reports) and "
            "rollback-test.json, laid out as reports/ is (default: <repo>/reports).",
        ),
    ] = None,
) -> None:
    """The promotion checklist: writes reports/promotion.md and .json; exit 1 unless every item passes."""
    from aurora_gates import promote as pm

    root = project_root()
    if evidence is not None and not evidence.is_dir():
        raise _fail_usage(
            f"'--evidence' must be a directory of gate reports, was '{evidence}' (not a directory)"
        )
    report = pm.run_checklist(root, evidence=None if evidence is None else evidence.absolute())
    json_out = json_path if json_path is not None else root / pm.REPORT_JSON
    markdown_out = root / pm.REPORT_MD
    report.write(json_out, markdown_out)
    report.print_table(Console())
    typer.echo(f"wrote {markdown_out} and {json_out}")
    if not report.passed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    from aurora_gates.reference_cli import goldens_app

    app.add_typer(goldens_app, name="goldens")
    app.command(name="gate")(gate)
    app.command(name="ratchet")(ratchet)
    app.command(name="promote")(promote)
