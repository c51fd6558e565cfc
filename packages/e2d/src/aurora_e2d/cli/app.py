"""The `aurora` console script.

Each subcommand is a thin adapter: parse arguments, call one function of the
package that owns the concept, map its outcome to an exit code (DESIGN.md §2).
User errors become one line on stderr and exit 2, never a traceback. The
gates package adds `gate`, `ratchet` and `promote` through the
`aurora.commands` entry point, so e2d never imports gates.
"""

from __future__ import annotations

import functools
import io
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from shlex import quote
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from aurora_e2d.cli.backup import backup, restore
from aurora_e2d.cli.bless import bless as bless_command
from aurora_e2d.cli.data import data_app
from aurora_e2d.cli.levers import breaker_app, kill, unkill
from aurora_e2d.cli.progress import stage_progress
from aurora_e2d.core.errors import CheckFailedError
from aurora_e2d.core.exitcodes import ExitCode
from aurora_e2d.core.signals import EXIT_CODES, StopSignals
from aurora_e2d.launch import abandon_start_up_claim
from aurora_safety import AuroraError, ConfigError, StorageError

if TYPE_CHECKING:
    from aurora_e2d.run.job import RunResult
    from aurora_e2d.rundir.config import RunConfig

app = typer.Typer(
    name="aurora",
    help="Aurora: ML trading pipeline from raw bars to paper-traded orders, behind hard gates.\n\n"
    "Exit codes: 0 done, 1 a gate or check failed, 2 bad input or configuration, "
    "3 halted by the kill switch, 4 halted by a circuit breaker, "
    "130 / 143 interrupted by SIGINT / SIGTERM at a session boundary (resume continues).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

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
    snapshot: Annotated[
        Path | None,
        typer.Option(
            "--snapshot", help="Snapshot directory (aurora data import/synthetic); default: the bundled data."
        ),
    ] = None,
    executor: Annotated[
        str,
        typer.Option(
            "--executor",
            help="What runs stages 2-5 (a map over symbol partitions): local (this process) or dask "
            "(a local dask.distributed cluster of worker processes, or --scheduler's). Same bytes either way.",
        ),
    ] = "local",
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Worker processes of the local dask cluster (default: CPU count)."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Address of an existing dask scheduler, e.g. tcp://host:8786."),
    ] = None,
) -> None:
    """E2D + paper trading over a snapshot (default: the bundled real data), checkpointed every session.

    Ctrl-C (SIGINT) or SIGTERM stops at a session boundary (exit 130/143); `aurora resume` continues.
    """
    from aurora_e2d.run.claim import abandon_early_claim

    claimed: list[Path] = []  # the run directory once it exists (for the second signal's hint)
    try:
        _run(config, run_dir, start, end, snapshot, executor, workers, scheduler, claimed)
    finally:
        abandon_early_claim()  # refused before the claim: release the launcher's lock, remove its dir


def _run(
    config: Path | None,
    run_dir: Path | None,
    start: str | None,
    end: str | None,
    snapshot: Path | None,
    executor: str,
    workers: int | None,
    scheduler: str | None,
    claimed: list[Path],
) -> None:
    from aurora_e2d.core.paths import check_snapshot_dir
    from aurora_e2d.research.executors import ExecutorSpec
    from aurora_e2d.run.claim import claim_run_dir, new_run_id
    from aurora_e2d.rundir.config import load_config

    with StopSignals(on_second=_second_signal(run_dir, claimed)) as stop:
        how = ExecutorSpec.from_options(executor, workers, scheduler)  # how, not what: not in the config hash
        if snapshot is not None:
            check_snapshot_dir(snapshot)  # as typed; a missing directory is refused before anything loads
        settings = load_config(
            config, snapshot=snapshot, start=_date("--start", start), end=_date("--end", end)
        )
        if settings.data.snapshot is not None:
            check_snapshot_dir(Path(settings.data.snapshot))  # [data] snapshot of a config file
        _stop_before_claim(stop, run_dir)
        from aurora_e2d.run.watch import watched

        target = run_dir if run_dir is not None else Path("runs") / new_run_id(settings)
        # Watched outside the claim: metrics.prom and the summary read the run once its lock is free.
        # The claim: lock, config.json and run id exist before any stage; a kill lands from this instant.
        with watched("run", target, settings) as watch, claim_run_dir(settings, target) as claim:
            claimed.append(claim.run_dir)
            from aurora_e2d.run.job import run_claimed  # the heavy stack loads only now

            with _progress() as progress:
                result = watch.result = run_claimed(settings, claim, progress, stop, executor=how)
    _finish(result, stop)


@app.command()
def resume(
    run_dir: Annotated[Path, typer.Option("--run-dir", help="The run directory to continue.")],
) -> None:
    """Continue a killed, crashed, interrupted or halted run from its last committed session.

    Refused (exit 2) while another process holds the run; a completed run is left as it is.
    """
    with StopSignals(on_second=_second_signal(run_dir)) as stop:
        from aurora_e2d.run.job import resume_job
        from aurora_e2d.run.watch import watched

        with watched("resume", run_dir, _watched_config(run_dir)) as watch, _progress() as progress:
            result = watch.result = resume_job(run_dir, progress, stop)
    _finish(result, stop)


@app.command()
def advance(
    run_dir: Annotated[Path, typer.Option("--run-dir", help="The run to continue (started without --end).")],
    snapshot: Annotated[Path, typer.Option("--snapshot", help="The newer snapshot (aurora data import).")],
    accept_restatement: Annotated[
        bool,
        typer.Option(
            "--accept-restatement",
            help="Go on although the snapshot restates history already traded (journaled, in the manifest).",
        ),
    ] = False,
) -> None:
    """Daily operation: continue a run with a newer snapshot; only the new sessions are traded.

    A snapshot with no new session is a no-op (exit 0), so a timer may retry. One that restates
    traded history or skips sessions of its calendar is refused (exit 2), nothing changed.
    """
    from aurora_e2d.run.evening import quick_advance

    quick = quick_advance(run_dir, snapshot)  # refusals and "nothing new" before anything heavy loads
    if quick is not None:
        typer.echo(quick.message, err=quick.exit_code != 0)
        raise typer.Exit(quick.exit_code)
    with StopSignals(on_second=_second_signal(run_dir)) as stop:
        from aurora_e2d.run.advance import advance_job
        from aurora_e2d.run.watch import watched

        with watched("advance", run_dir, _watched_config(run_dir)) as watch, _progress() as progress:
            result = watch.result = advance_job(
                run_dir, snapshot, accept_restatement=accept_restatement, progress=progress, stop=stop
            )
    _finish(result, stop)


@app.command()
def migrate(
    run_dir: Annotated[Path, typer.Option("--run-dir", help="The run directory to upgrade in place.")],
) -> None:
    """Upgrade a run directory written by an older Aurora (journal copied to journal.sqlite.bak-vN first).

    `run`, `resume` and `advance` migrate on their own; a directory already current is left as it is.
    """
    from aurora_e2d.run.migrate import migrate_run

    typer.echo(migrate_run(run_dir))


@app.command()
def status(
    run_dir: Annotated[Path, typer.Option("--run-dir", help="The run directory to inspect.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")] = False,
) -> None:
    """Live, interrupted, halted or completed, and the next command; progress, state, breakers, kill,
    positions, cash, equity. Never changes the run."""
    from aurora_e2d.run.status import collect_status, render_status

    info = collect_status(run_dir)
    if as_json:
        typer.echo(json.dumps(info, indent=2, sort_keys=True))
    else:
        render_status(info, Console())


@app.command()
def route(
    orders_csv: Annotated[Path, typer.Argument(help="The orders CSV (columns above).")],
    config: ConfigOption = None,
    run_dir: Annotated[
        Path | None, typer.Option("--run-dir", help="Route against this run's account (a scratch copy).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write results CSV here (default stdout).")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when any row was rejected (for scripts).")
    ] = False,
    at_close: Annotated[
        bool,
        typer.Option(
            "--at-close",
            help="Judge reference-price staleness at the reference session's close, not the wall clock.",
        ),
    ] = False,
) -> None:
    """Push hand-written orders through the same router and broker.

    Input columns (any order): client_order_id, symbol, side, quantity, limit_price.

    Output CSV: client_order_id, status, reason, detail; a summary on stderr. --strict: exit 1
    when any row was rejected.

    Prices are the last committed session's (--run-dir) or the bundled data's last session;
    their staleness is judged against the wall clock unless --at-close.
    """
    from aurora_e2d.engine.route import route_orders
    from aurora_e2d.run.claim import load_run_config
    from aurora_e2d.rundir.config import load_config

    settings = load_run_config(run_dir) if run_dir is not None and config is None else load_config(config)
    if out is None:
        results = route_orders(orders_csv, settings, run_dir, sys.stdout, at_close=at_close)
    else:
        from aurora_e2d.rundir.artifacts import atomic_write_bytes

        buffer = io.StringIO()
        results = route_orders(orders_csv, settings, run_dir, buffer, at_close=at_close)
        atomic_write_bytes(out, buffer.getvalue().encode())
    rejected = sum(1 for r in results if str(r.status) == "rejected")
    if strict and rejected:
        typer.echo(f"aurora: route --strict: {rejected} of {len(results)} row(s) rejected", err=True)
        raise typer.Exit(ExitCode.CHECK_FAILED)


@app.command()
def report(
    run_dir: Annotated[Path, typer.Option("--run-dir", help="The run directory to report on.")],
) -> None:
    """Re-render <run-dir>/report.html (self-contained, no network) with today's gate reports and goldens.

    Every run writes one; this refreshes it as the run's only writer and re-records its hash in the
    manifest, so `aurora gate l0` still finds every listed file intact.
    """
    from aurora_e2d.report.page import write_report
    from aurora_e2d.run.claim import load_run_config
    from aurora_e2d.run.lock import RunLock
    from aurora_e2d.rundir.layout import MANIFEST_FILE, REPORT_ENTRY
    from aurora_e2d.rundir.manifest import rerecord

    load_run_config(run_dir)  # a clear exit 2 for a directory that is not a run
    with RunLock(run_dir):
        path = write_report(run_dir)
        if (run_dir / MANIFEST_FILE).is_file():
            rerecord(run_dir, REPORT_ENTRY)
    typer.echo(f"wrote {path}")


app.add_typer(breaker_app, name="breaker")
app.command()(backup)
app.command()(restore)
app.command()(kill)
app.command()(unkill)
app.add_typer(data_app, name="data")
app.command(name="bless")(bless_command)


def _watched_config(run_dir: Path) -> RunConfig | None:
    """The run's config for its alert sinks; None when there is none (the job says why, exit 2)."""
    from aurora_e2d.run.job import load_run_config

    try:
        return load_run_config(run_dir)
    except AuroraError:
        return None


def _finish(result: RunResult, stop: StopSignals | None = None) -> None:
    typer.echo(result.message, err=result.exit_code != 0)
    if result.exit_code == ExitCode.OK and stop is not None and stop.requested is not None:
        name = signal.Signals(stop.requested).name
        typer.echo(f"aurora: {name} arrived after the last session; the run completed anyway", err=True)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _stop_before_claim(stop: StopSignals, run_dir: Path | None) -> None:
    """A signal before the run directory is claimed: leave, having created nothing to resume."""
    if stop.requested is None:
        return
    name = signal.Signals(stop.requested).name
    where = "" if run_dir is None else f" {run_dir} was not touched;"
    typer.echo(f"aurora: interrupted by {name} before the run started;{where} nothing to resume", err=True)
    raise typer.Exit(EXIT_CODES[signal.Signals(stop.requested)])


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None] | None]:
    """The sessions bar of run, resume and advance (cli.progress)."""
    with stage_progress() as update:
        yield None if update is None else functools.partial(update, "sessions")


def _date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(option, "must be a date YYYY-MM-DD", value, "command line") from None


def _second_signal(run_dir: Path | None, claimed: list[Path] | None = None) -> Callable[[int], str]:
    """The line a second signal leaves with: a resume hint only for a directory that can be resumed."""

    def message(signum: int) -> str:
        from aurora_e2d.run.phase import is_run_dir

        name = signal.Signals(signum).name
        where = claimed[-1] if claimed else run_dir
        if where is None or not is_run_dir(where):
            from aurora_e2d.run.claim import abandon_early_claim

            abandon_early_claim()
            return f"aurora: second {name}: stopping now; no run directory was created, nothing to resume"
        return (
            f"aurora: second {name}: stopping now; the last committed session is kept "
            f"(resume with: aurora resume --run-dir {quote(str(where))})"
        )

    return message


def _builtin_command(argv: list[str]) -> bool:
    """True when ``argv`` names one of e2d's own commands: then no plugin needs to load (gates'
    import alone costs more than the whole of `aurora status` may take)."""
    first = next((a for a in argv if not a.startswith("-")), None)
    names = {(c.name or c.callback.__name__).replace("_", "-") for c in app.registered_commands if c.callback}
    names |= {g.name for g in app.registered_groups if g.name}
    return first in names


def _load_plugins() -> None:
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group="aurora.commands"), key=lambda e: e.name):
        ep.load()(app)


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code (typer: usage errors exit 2).

    Every bad-input error Aurora raises derives from ``AuroraError`` (config,
    input data, journal, orders file, storage faults) and becomes one line and
    exit 2, as does any disk-full, I/O, read-only or permission ``OSError``;
    anything else is a bug and keeps its traceback.
    """
    if not _builtin_command(sys.argv[1:] if argv is None else argv):
        _load_plugins()
    try:
        app(args=argv, prog_name="aurora")
    except AuroraError as error:
        typer.echo(f"aurora: error: {error}", err=True)
        return ExitCode.BAD_INPUT
    except OSError as error:  # a storage fault at a write no code named more precisely: still one line
        fault = StorageError.from_os_error(error)
        if fault is None:
            raise
        typer.echo(f"aurora: error: {fault}", err=True)
        return ExitCode.BAD_INPUT
    except CheckFailedError as failed:
        typer.echo(f"aurora: check failed: {failed}", err=True)
        return ExitCode.CHECK_FAILED
    except KeyboardInterrupt:  # Ctrl-C outside a run's own handler (start-up, a read-only command)
        abandon_start_up_claim()  # the launcher's lock on `run --run-dir D` (the nightly hit this window)
        typer.echo("aurora: interrupted (SIGINT); nothing was left half-written", err=True)
        return ExitCode.INTERRUPTED
    except Terminated:  # SIGTERM outside a run's own handler (entry() installs it)
        abandon_start_up_claim()
        typer.echo("aurora: terminated (SIGTERM); nothing was left half-written", err=True)
        return EXIT_CODES[signal.SIGTERM]
    except SystemExit as done:  # typer's normal way out, with the command's code
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return ExitCode.OK


class Terminated(BaseException):
    """SIGTERM outside a command's own signal handling (like KeyboardInterrupt for SIGINT)."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


def entry() -> None:
    """The console script: run, flush, and leave without interpreter finalization.

    Native thread pools (onnxruntime, OpenMP, arrow) torn down during
    finalization occasionally aborted the process ("terminate called without
    an active exception", SIGABRT) after it had finished -- 3 of 8 concurrent
    runs on a loaded 2-core machine -- turning an exit 2 into a crash. Every
    file Aurora writes is closed and fsynced before this point (atomic
    writes, journal transactions), so skipping finalization loses nothing.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)  # KeyboardInterrupt: one line in main()
    signal.signal(signal.SIGTERM, _raise_terminated)
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
