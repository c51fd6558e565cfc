"""The `aurora` console script.

Each subcommand is a thin adapter: parse arguments, call one function of the
package that owns the concept, map its outcome to an exit code (DESIGN.md §2).
User errors become one line on stderr and exit 2, never a traceback. The
gates package adds `gate`, `ratchet` and `promote` through the
`aurora.commands` entry point, so e2d never imports gates.
"""

from __future__ import annotations

import sys
from datetime import date
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer

from aurora_e2d.exitcodes import ExitCode
from aurora_safety import AuroraError, ConfigError, KillSwitch, disengage, engage, kill_file_path

app = typer.Typer(
    name="aurora",
    help="Aurora: ML trading pipeline from raw bars to paper-traded orders, behind hard gates.\n\n"
    "Exit codes: 0 done, 1 a gate or check failed, 2 bad input or configuration, "
    "3 halted by the kill switch, 4 halted by a circuit breaker.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

RunDirOption = Annotated[
    Path | None,
    typer.Option("--run-dir", help="Run directory; its kill.flag is one of the kill files."),
]


ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="TOML config; the defaults need no file.")
]


@app.command()
def run(
    config: ConfigOption = None,
    run_dir: Annotated[
        Path | None, typer.Option("--run-dir", help="Run directory (default: runs/<run_id>).")
    ] = None,
    start: Annotated[str | None, typer.Option(help="First trading session, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="Last session used at all, YYYY-MM-DD.")] = None,
) -> None:
    """E2D + paper trading replay over the bundled real data, checkpointed every session."""
    from aurora_e2d.config import load_config
    from aurora_e2d.job import run_job

    settings = load_config(config, start=_date("--start", start), end=_date("--end", end))
    result = run_job(settings, run_dir)
    typer.echo(f"{result.message}: {result.run_dir}")
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(option, "must be a date YYYY-MM-DD", value, "command line") from None


@app.command()
def kill(
    reason: Annotated[
        str, typer.Option(help="Why trading is being stopped (logged in the file).")
    ] = "operator",
    run_dir: RunDirOption = None,
) -> None:
    """Engage the kill switch: create the kill file ($AURORA_KILL_FILE, else <run-dir>/kill.flag, else ./kill.flag)."""
    path = engage(kill_file_path(run_dir=run_dir), reason)
    typer.echo(f"kill switch engaged: {path}")


@app.command()
def unkill(run_dir: RunDirOption = None) -> None:
    """Remove kill files. Trading does not restart by itself: resume explicitly."""
    candidates = [kill_file_path(run_dir=run_dir), Path.cwd() / "kill.flag"]
    if run_dir is not None:
        candidates.append(run_dir / "kill.flag")
    removed = disengage(candidates)
    for path in removed:
        typer.echo(f"removed {path}")
    status = KillSwitch(run_dir=run_dir).check()
    if status.active:
        typer.echo(f"kill switch still active: {status.trigger}", err=True)
        raise typer.Exit(ExitCode.KILLED)
    typer.echo("kill switch clear; nothing restarts by itself (use `aurora resume --run-dir D`).")


def _load_plugins() -> None:
    for ep in sorted(entry_points(group="aurora.commands"), key=lambda e: e.name):
        ep.load()(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point: typer handles usage errors (exit 2); ours become one line and exit 2.

    Every bad-input error Aurora raises derives from ``AuroraError`` (config,
    input data, journal, orders file); anything else is a bug and keeps its
    traceback.
    """
    _load_plugins()
    try:
        app(args=argv, prog_name="aurora")
    except AuroraError as error:
        typer.echo(f"aurora: error: {error}", err=True)
        return ExitCode.BAD_INPUT
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
