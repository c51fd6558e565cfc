"""`aurora status`: what an operator needs to know about a run, from its journal.

Phase (live, interrupted, halted with its trigger, completed) and the exact
next command, progress, the daily view (last session processed, next
session due, the model's age, stale data), trading state, breakers, kill
state, positions, cash, equity and the last commit time. Reads only (a read-only journal, a
lock probe): it never changes a run directory, live or not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from aurora_broker import JOURNAL_FORMAT_VERSION, JOURNAL_NAME, JournalReader
from aurora_e2d.engine.halts import Halt, read_halt
from aurora_e2d.engine.stack import restore_governor
from aurora_e2d.run.daily import daily_view
from aurora_e2d.run.phase import RunPhase, read_phase


def collect_status(run_dir: Path) -> dict[str, Any]:
    from aurora_e2d.run.claim import load_run_config

    config = load_run_config(run_dir)
    info = read_phase(run_dir, config)
    halt = read_halt(run_dir) if info.phase is RunPhase.HALTED else None
    positions: list[dict[str, Any]] = []
    cash = equity = config.execution.starting_cash_usd
    committed = None
    breakers: dict[str, dict[str, Any]] = {}
    breaker_events = 0
    journal_format = None
    if (run_dir / JOURNAL_NAME).is_file():
        with JournalReader.open(run_dir) as reader:
            journal_format = reader.schema_version()  # an older one migrates at the next write
            snapshots = reader.equity_snapshots()
            if snapshots:
                cash, equity = snapshots[-1].cash_cents / 100.0, snapshots[-1].equity_cents / 100.0
            positions = [
                {"symbol": p.symbol, "quantity": p.quantity, "mark_price": p.mark_price}
                for p in reader.positions()
                if p.quantity
            ]
            committed = reader.last_commit_ns()
            board = restore_governor(reader, config.limits).board
            breaker_events = len(reader.breaker_events())
            breakers = {
                name: {
                    "tripped": board[name].tripped,
                    "reason": board[name].trip.reason if board[name].trip else None,  # type: ignore[union-attr]
                }
                for name in board.names
            }
    return {
        "run_dir": str(run_dir),
        "run_id": run_dir.name,
        "phase": str(info.phase),
        "live_process": None if info.holder is None else info.holder.describe(),
        "progress": {"sessions_done": info.sessions_done, "sessions_total": info.sessions_total},
        "last_session": None if info.last_session is None else info.last_session.isoformat(),
        "last_commit_utc": None
        if committed is None
        else datetime.fromtimestamp(committed / 1e9, UTC).isoformat(timespec="seconds"),
        "trading_state": str(info.trading_state),
        "halt": None
        if info.phase is not RunPhase.HALTED
        else {
            "cause": None if info.halt_cause is None else str(info.halt_cause),
            "reason": info.halt_reason,
            "open_breakers": list(info.open_breakers),
            "decisive": None if halt is None else halt.decisive,
            "governed_by": [] if halt is None else list(halt.governed_by),
            "trips_again": False if halt is None else halt.trips_again,
        },
        "breakers": breakers,
        "breaker_events": breaker_events,
        "kill": {"active": info.kill.active, "trigger": info.kill.trigger},
        "positions": positions,
        "cash_usd": cash,
        "equity_usd": equity,
        "resume_needed": info.phase in (RunPhase.INTERRUPTED, RunPhase.HALTED, RunPhase.NOT_STARTED),
        "next": _next(info.next_commands(), halt),
        "daily": daily_view(run_dir, info.last_session, datetime.now(UTC).date()),
        "journal_format": {"found": journal_format, "current": JOURNAL_FORMAT_VERSION},
    }


def _next(commands: list[str], halt: Halt | None) -> list[str]:
    """A reset plus resume that would trip again on the same decisions and limits is not advised."""
    if halt is None or not halt.trips_again:
        return commands
    keep = [c for c in commands if c.startswith("aurora unkill")]
    fields = ", ".join(f for f in halt.governed_by if not f.endswith("max_consecutive_rejects"))
    return [
        *keep,
        f"(not `breaker reset` + `resume`: the same decisions under the same limits would trip again; "
        f"change {fields or 'the limits'} in a config and start a new run: "
        f"aurora run --config F --run-dir NEW)",
    ]


def render_status(status: dict[str, Any], console: Console) -> None:
    progress = status["progress"]
    head = Table(title=f"run {status['run_id']}", show_header=False)
    head.add_column("field")
    head.add_column("value")
    phase = status["phase"]
    tone = {"live": "cyan", "completed": "green", "interrupted": "yellow", "halted": "red"}.get(
        phase, "white"
    )
    live = f" ({status['live_process']})" if status["live_process"] else ""
    head.add_row("phase", f"[{tone}]{phase}[/{tone}]{live}")
    if status["halt"] is not None:
        halt = status["halt"]
        head.add_row("halted by", str(halt["reason"]))
        if halt["decisive"]:
            head.add_row("decisive", str(halt["decisive"]))
        if halt["governed_by"]:
            head.add_row("governed by", ", ".join(halt["governed_by"]))
    head.add_row("progress", f"{progress['sessions_done']} / {progress['sessions_total']} sessions")
    head.add_row("last session", str(status["last_session"]))
    daily = status["daily"]
    if daily["next_session_due"] is not None:
        head.add_row("next session due", f"{daily['next_session_due']} ({daily['calendar']})")
    if daily["model"] is not None:
        model = daily["model"]
        head.add_row(
            "model",
            f"fold {model['fold']}, trained through {model['trained_through']} ({model['age_sessions']} sessions old)",
        )
    if daily["data"] is not None:
        data = daily["data"]
        behind = f"{data['sessions_behind_today']} sessions behind today"
        head.add_row("data", f"[red]STALE: {behind}[/red]" if data["stale"] else f"fresh ({behind})")
    head.add_row("last commit (UTC)", str(status["last_commit_utc"]))
    found = status["journal_format"]
    if found["found"] is not None and found["found"] < found["current"]:
        head.add_row(
            "journal", f"format v{found['found']}: migrates to v{found['current']} at the next advance"
        )
    state = status["trading_state"]
    colour = {"ACTIVE": "green", "REDUCING": "yellow", "HALTED": "red"}[state]
    head.add_row(
        "trading state",
        f"[{colour}]{state}[/{colour}]",
    )
    kill = status["kill"]
    head.add_row("kill switch", f"[red]ACTIVE ({kill['trigger']})[/red]" if kill["active"] else "clear")
    head.add_row("cash", f"${status['cash_usd']:,.2f}")
    head.add_row("equity", f"${status['equity_usd']:,.2f}")
    head.add_row("next", "\n".join(status["next"]))
    console.print(head)
    breakers = Table(title="circuit breakers")
    breakers.add_column("breaker")
    breakers.add_column("state")
    for name, info in status["breakers"].items():
        breakers.add_row(name, f"[red]TRIPPED: {info['reason']}[/red]" if info["tripped"] else "ok")
    console.print(breakers)
    positions = Table(title="positions")
    positions.add_column("symbol")
    positions.add_column("quantity", justify="right")
    positions.add_column("mark", justify="right")
    for row in status["positions"]:
        mark = "-" if row["mark_price"] is None else f"{row['mark_price']:.2f}"
        positions.add_row(row["symbol"], str(row["quantity"]), mark)
    console.print(positions)
