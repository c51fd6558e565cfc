"""The operator's levers on a run: the kill switch and the circuit breakers' reset.

Each is an explicit act, journaled or written as a file; none restarts trading (``aurora resume`` does).
Registered on the ``aurora`` app by ``cli.app``.
"""

from __future__ import annotations

from pathlib import Path
from shlex import quote
from typing import Annotated

import typer

from aurora_e2d.core.exitcodes import ExitCode

__all__ = ["breaker_app", "kill", "unkill"]

RunDirOption = Annotated[
    Path | None,
    typer.Option("--run-dir", help="Run directory; its kill.flag is one of the kill files."),
]


def kill(
    reason: Annotated[
        str, typer.Option(help="Why trading is being stopped (logged in the file).")
    ] = "operator",
    run_dir: RunDirOption = None,
    arm: Annotated[
        bool,
        typer.Option(
            "--arm", help="Arm the kill for a run directory that holds no run yet (it will not start)."
        ),
    ] = False,
) -> None:
    """Engage the kill switch: create the kill file ($AURORA_KILL_FILE, else <run-dir>/kill.flag, else ./kill.flag).

    With --run-dir, the directory must hold a run (exit 2 otherwise, naming the live runs);
    --arm says on purpose that it does not yet.
    """
    from aurora_e2d.run.levers import arm_kill

    path = arm_kill(run_dir, reason, arm=arm)
    typer.echo(f"kill switch engaged: {path}")


def unkill(run_dir: RunDirOption = None) -> None:
    """Remove kill files. Trading does not restart by itself: resume explicitly."""
    from aurora_e2d.run.levers import disarm_kill

    removed, still = disarm_kill(run_dir)
    for path in removed:
        typer.echo(f"removed {path}")
    if still is not None:
        typer.echo(f"aurora: kill switch still active: {still}", err=True)
        raise typer.Exit(ExitCode.KILLED)
    if not removed:
        typer.echo("no kill file to remove; kill switch clear")
        return
    target = f" --run-dir {quote(str(run_dir))}" if run_dir is not None else " --run-dir D"
    typer.echo(f"kill switch clear; nothing restarts by itself (use `aurora resume{target}`).")


breaker_app = typer.Typer(
    help="Circuit-breaker operator actions (logged in the run's journal).", no_args_is_help=True
)


@breaker_app.command("reset")
def breaker_reset(
    name: Annotated[str, typer.Argument(help="drawdown, daily_loss, consecutive_rejects or order_rate")],
    reason: Annotated[str, typer.Option(help="Why it is safe to trade again (journaled).")],
    run_dir: Annotated[Path, typer.Option("--run-dir", help="The halted run directory.")],
) -> None:
    """Clear a tripped breaker (an explicit, journaled operator action); then `aurora resume`.

    Refused (exit 2) for a breaker that is not tripped, a completed run, or a run another process holds.
    """
    from aurora_e2d.run.levers import reset_breaker

    event = reset_breaker(run_dir, name, reason)
    typer.echo(
        f"breaker {event.breaker} reset ({reason}); continue with: aurora resume --run-dir {quote(str(run_dir))}"
    )
