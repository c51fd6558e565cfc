"""`aurora status`: what an operator needs to know about a run, from its journal.

Progress, trading state, breakers, kill state and trigger, positions, cash,
equity, last commit time and whether a resume is needed. Reads only: it
never changes a run directory.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

from aurora_broker import JOURNAL_NAME, Journal
from aurora_e2d.errors import InputError
from aurora_safety import BreakerBoard, KillSwitch, TradingState


def collect_status(run_dir: Path) -> dict[str, Any]:
    from aurora_e2d.runtime.job import load_run_config

    config = load_run_config(run_dir)
    if not (run_dir / JOURNAL_NAME).is_file():
        raise InputError(str(run_dir), "has no journal yet (the run never reached execution)")
    journal = Journal.open(run_dir, config.config_hash(), create=False)
    try:
        checkpoint = journal.last_checkpoint()
        changes = journal.state_changes()
        saved = journal.load_breaker_state()
        board = BreakerBoard.from_dict(saved) if saved else BreakerBoard.from_limits(config.limits)
        equity_row = journal.query(
            "SELECT session, cash_cents, market_value_cents, equity_cents FROM equity_snapshots"
            " ORDER BY session DESC LIMIT 1"
        )
        positions = journal.query(
            "SELECT symbol, quantity, mark_price FROM positions WHERE quantity != 0 ORDER BY 1"
        )
        committed = journal.query("SELECT MAX(committed_at_ns) FROM checkpoints")[0][0]
        breaker_events = journal.breaker_events()
    finally:
        journal.close()
    days = _decision_days(run_dir)
    total = len(days)
    done = 0 if checkpoint is None else sum(1 for d in days if d <= checkpoint.session)
    kill = KillSwitch(run_dir=run_dir).check()
    state = TradingState(changes[-1]["to_state"]) if changes else TradingState.ACTIVE
    summary = _summary(run_dir)
    finished = summary is not None and summary.get("status") == "completed" and done == total
    return {
        "run_dir": str(run_dir),
        "run_id": run_dir.name,
        "progress": {"sessions_done": done, "sessions_total": total},
        "last_session": None if checkpoint is None else checkpoint.session.isoformat(),
        "last_commit_utc": None
        if committed is None
        else datetime.fromtimestamp(committed / 1e9, UTC).isoformat(timespec="seconds"),
        "trading_state": str(state),
        "state_reason": changes[-1]["reason"] if changes else None,
        "breakers": {
            name: {
                "tripped": board[name].tripped,
                "reason": board[name].trip.reason if board[name].trip else None,
            }
            for name in ("drawdown", "daily_loss", "consecutive_rejects", "order_rate")
        },
        "breaker_events": len(breaker_events),
        "kill": {"active": kill.active, "trigger": kill.trigger},
        "positions": [{"symbol": s, "quantity": q, "mark_price": m} for s, q, m in positions],
        "cash_usd": equity_row[0][1] / 100.0 if equity_row else config.execution.starting_cash_usd,
        "equity_usd": equity_row[0][3] / 100.0 if equity_row else config.execution.starting_cash_usd,
        "run_status": None if summary is None else summary.get("status"),
        "resume_needed": not finished,
        "resume_command": None if finished else f"aurora resume --run-dir {run_dir}",
    }


def _decision_days(run_dir: Path) -> set[Any]:
    """The run's trading sessions (one per decision date); empty before stage 7 wrote them."""
    path = run_dir / "decisions.parquet"
    if not path.is_file():
        return set()
    return set(pq.read_table(path, columns=["date"]).column("date").to_pylist())


def _summary(run_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def render_status(status: dict[str, Any], console: Console) -> None:
    progress = status["progress"]
    head = Table(title=f"run {status['run_id']}", show_header=False)
    head.add_column("field")
    head.add_column("value")
    head.add_row("progress", f"{progress['sessions_done']} / {progress['sessions_total']} sessions")
    head.add_row("last session", str(status["last_session"]))
    head.add_row("last commit (UTC)", str(status["last_commit_utc"]))
    state = status["trading_state"]
    colour = {"ACTIVE": "green", "REDUCING": "yellow", "HALTED": "red"}[state]
    head.add_row(
        "trading state",
        f"[{colour}]{state}[/{colour}]" + (f" ({status['state_reason']})" if status["state_reason"] else ""),
    )
    kill = status["kill"]
    head.add_row("kill switch", f"[red]ACTIVE ({kill['trigger']})[/red]" if kill["active"] else "clear")
    head.add_row("cash", f"${status['cash_usd']:,.2f}")
    head.add_row("equity", f"${status['equity_usd']:,.2f}")
    head.add_row(
        "resume needed", f"yes: {status['resume_command']}" if status["resume_needed"] else "no (finished)"
    )
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
