"""`<run-dir>/metrics.prom`: the run's state for node_exporter's textfile collector.

Written at the end of every command that trades (`run`, `resume`, `advance`
-- in daily operation one advance is one session), whatever its outcome:
completed, halted by the kill switch, a breaker or reconciliation, or
interrupted. Not per session inside a batch: a 2,558-session run would
rewrite it 2,558 times for a scraper that reads it once a minute. The values
come from the journal and the run directory (the same reads as `aurora
status`), so the file says what is committed, never what the loop believes.

The file is operational, like `trace.jsonl`: it carries wall times, so it is
not in the manifest and no gate hashes it. It is written atomically (temp
file, fsync, rename), so the collector never reads half a file.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, generate_latest

from aurora_broker import JOURNAL_NAME, JournalReader, OrderStatus
from aurora_e2d.rundir.artifacts import atomic_write_bytes

__all__ = ["ALERT_FAILED_KIND", "METRICS_FILE", "collect_figures", "render_metrics", "write_metrics"]

METRICS_FILE = "metrics.prom"
ALERT_FAILED_KIND = "alert_delivery_failed"  # the alerts.jsonl record of a notification that never arrived
_ALERTS_FILE = "alerts.jsonl"
_OPEN = (OrderStatus.NEW, OrderStatus.ACCEPTED)
_STATES = ("ACTIVE", "REDUCING", "HALTED")


def _epoch(day: date | None) -> float:
    return 0.0 if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def _journal_figures(run_dir: Path) -> dict[str, Any]:
    if not (run_dir / JOURNAL_NAME).is_file():
        return {"drawdown": 0.0, "max_drawdown": 0.0, "open_orders": 0, "orders": 0}
    with JournalReader.open(run_dir) as reader:
        equity = [snap.equity_cents for snap in reader.equity_snapshots()]
        counts = reader.order_counts()
    peak, worst = 0, 0.0
    for value in equity:
        peak = max(peak, value)
        worst = max(worst, 1.0 - value / peak if peak > 0 else 0.0)
    current = 1.0 - equity[-1] / peak if equity and peak > 0 else 0.0
    return {
        "drawdown": current,
        "max_drawdown": worst,
        "open_orders": sum(counts.get(status, 0) for status in _OPEN),
        "orders": sum(counts.values()),
    }


def _delivery_failures(run_dir: Path) -> int:
    try:
        lines = (run_dir / _ALERTS_FILE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return 0
    failed = 0
    for line in lines:
        try:
            failed += json.loads(line).get("kind") == ALERT_FAILED_KIND
        except (ValueError, AttributeError):
            continue  # a torn last line of a crashed writer is not a metric
    return failed


def render_metrics(status: dict[str, Any], figures: dict[str, Any], extra: dict[str, Any]) -> bytes:
    """The exposition text for one run (``status`` is `aurora status --json`'s dictionary)."""
    registry = CollectorRegistry(auto_describe=True)
    run = status["run_id"]

    def gauge(name: str, doc: str, value: float, **labels: str) -> None:
        metric = Gauge(name, doc, ["run", *labels], registry=registry)
        metric.labels(run, *labels.values()).set(value)

    last = None if status["last_session"] is None else date.fromisoformat(status["last_session"])
    data = status["daily"]["data"] or {}
    gauge(
        "aurora_last_session_timestamp_seconds",
        "Last committed session (00:00 UTC of its date).",
        _epoch(last),
    )
    gauge("aurora_sessions_done", "Sessions committed in the journal.", status["progress"]["sessions_done"])
    gauge("aurora_equity_usd", "Equity at the last committed session.", status["equity_usd"])
    gauge("aurora_cash_usd", "Cash at the last committed session.", status["cash_usd"])
    gauge("aurora_drawdown_ratio", "Drawdown of equity from its peak now (0..1).", figures["drawdown"])
    gauge("aurora_max_drawdown_ratio", "Largest drawdown from peak so far (0..1).", figures["max_drawdown"])
    gauge("aurora_positions", "Symbols with a non-zero position.", len(status["positions"]))
    gauge(
        "aurora_open_orders",
        "Orders accepted and not yet filled, expired or cancelled.",
        figures["open_orders"],
    )
    gauge("aurora_orders", "Orders in the journal, all statuses.", figures["orders"])
    breakers = Gauge(
        "aurora_breaker_tripped", "1 when the breaker is tripped.", ["run", "breaker"], registry=registry
    )
    for name, info in sorted(status["breakers"].items()):
        breakers.labels(run, name).set(1 if info["tripped"] else 0)
    states = Gauge(
        "aurora_trading_state", "1 for the current trading state.", ["run", "state"], registry=registry
    )
    for state in _STATES:
        states.labels(run, state).set(1 if status["trading_state"] == state else 0)
    gauge(
        "aurora_halted",
        "1 when the run is halted (kill, breaker, reconciliation).",
        status["phase"] == "halted",
    )
    gauge("aurora_kill_active", "1 when a kill trigger is active.", bool(status["kill"]["active"]))
    gauge(
        "aurora_data_sessions_behind",
        "Sessions of the calendar between the last one and today.",
        data.get("sessions_behind_today", 0),
    )
    gauge(
        "aurora_data_stale",
        "1 when the data is more sessions behind than allowed.",
        bool(data.get("stale", False)),
    )
    gauge(
        "aurora_alert_delivery_failures",
        "Notifications that were never delivered (alerts.jsonl).",
        extra["failures"],
    )
    gauge(
        "aurora_last_command_duration_seconds",
        "Wall time of the last run/resume/advance.",
        extra["duration"],
        command=extra["command"],
    )
    gauge(
        "aurora_last_command_exit_code",
        "Exit code of the last run/resume/advance.",
        extra["exit_code"],
        command=extra["command"],
    )
    gauge("aurora_metrics_written_timestamp_seconds", "When this file was written (UTC).", extra["written"])
    return generate_latest(registry)


def collect_figures(run_dir: Path) -> dict[str, Any]:
    """What the metrics (and an evening's summary) say: `aurora status`'s view plus drawdown and orders."""
    from aurora_e2d.run.status import collect_status  # status imports the heavier stack

    return {"status": collect_status(run_dir), **_journal_figures(run_dir)}


def write_metrics(
    run_dir: Path, figures: dict[str, Any], *, command: str, duration_secs: float, exit_code: int
) -> Path:
    """Write ``<run_dir>/metrics.prom`` from ``collect_figures``; returns its path."""
    extra = {
        "failures": _delivery_failures(run_dir),
        "duration": duration_secs,
        "command": command,
        "exit_code": exit_code,
        "written": time.time(),
    }
    path = run_dir / METRICS_FILE
    atomic_write_bytes(path, render_metrics(figures["status"], figures, extra))
    return path
