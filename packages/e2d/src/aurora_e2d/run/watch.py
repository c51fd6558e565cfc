"""What happens around every trading command (`run`, `resume`, `advance`) so nobody has to poll.

While the command runs, every alert it writes to `alerts.jsonl` (kill, breaker
trip, halt, reconciliation, stale data) is also queued for the `[alerts]`
sinks. When it ends -- completed, halted or interrupted -- `metrics.prom` is
rewritten, a one-line summary of the command (sessions, orders, fills, P&L,
drawdown, data freshness) is queued, an advance whose data is stale says so,
and the notifier gets at most `exit_wait_secs` to finish delivering.
None of this can change a trade or the command's exit code: a failure here is
one warning line on stderr.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aurora_broker import JOURNAL_NAME, JournalReader
from aurora_e2d.engine.alerts import ALERTS, FORWARDERS
from aurora_e2d.run.metrics_prom import collect_figures, write_metrics
from aurora_e2d.run.notify import Notification, Notifier
from aurora_e2d.run.phase import is_run_dir
from aurora_e2d.rundir.config import AlertsConfig, RunConfig

if TYPE_CHECKING:
    from aurora_e2d.run.job import RunResult

__all__ = ["Watch", "watched"]

_OUTCOME = {
    0: "done",
    1: "check failed",
    2: "refused",
    3: "HALTED (kill switch)",
    4: "HALTED (breaker/reconciliation)",
    130: "interrupted (SIGINT)",
    143: "interrupted (SIGTERM)",
}


@dataclass
class Watch:
    """Set ``result`` when the job returns; the hook reads it at the end."""

    command: str
    result: RunResult | None = None
    forwarded: list[str] = field(default_factory=list)


def _alert_text(record: Mapping[str, Any]) -> str:
    return (
        f"aurora {record.get('run_id')}: {str(record.get('kind', 'alert')).upper()}: {record.get('reason')}"
    )


def _before(run_dir: Path | None) -> tuple[date | None, int | None]:
    """The last committed session and its equity (cents) before the command, if the run has any."""
    if run_dir is None or not (run_dir / JOURNAL_NAME).is_file():
        return None, None
    try:
        with JournalReader.open(run_dir) as reader:
            snaps = reader.equity_snapshots()
    except Exception:
        return None, None
    return (snaps[-1].session, snaps[-1].equity_cents) if snaps else (None, None)


@contextmanager
def watched(command: str, run_dir: Path | None, config: RunConfig | None) -> Iterator[Watch]:
    """Forward the command's alerts to its sinks; at the end, metrics, summary and a bounded wait."""
    notifier = Notifier(config.alerts if config is not None else AlertsConfig())
    watch = Watch(command)
    started = time.monotonic()
    before = _before(run_dir)
    if before[1] is None and config is not None:  # a new run starts from its starting cash
        before = (None, round(config.execution.starting_cash_usd * 100))

    def forward(path: Path, record: Mapping[str, Any]) -> None:
        watch.forwarded.append(str(record.get("kind")))
        notifier.submit(Notification(str(record.get("kind")), _alert_text(record), path, record))

    FORWARDERS.append(forward)
    try:
        yield watch
    finally:
        FORWARDERS.remove(forward)
        duration = time.monotonic() - started
        figures = _guarded(command, lambda: _announce_end(watch, notifier, before))
        notifier.close()  # bounded: at most [alerts] exit_wait_secs
        if figures is not None and watch.result is not None:  # after close: its failures are counted
            result = watch.result
            _guarded(
                command,
                lambda: write_metrics(
                    result.run_dir,
                    figures,
                    command=command,
                    duration_secs=duration,
                    exit_code=result.exit_code,
                ),
            )


def _guarded(command: str, work: Callable[[], Any]) -> Any:
    """Telemetry must never turn a trade's outcome into a crash: one warning line instead."""
    try:
        return work()
    except Exception as error:
        print(f"aurora: warning: metrics/notifications after {command} failed: {error!r}", file=sys.stderr)
        return None


def _announce_end(
    watch: Watch, notifier: Notifier, before: tuple[date | None, int | None]
) -> dict[str, Any] | None:
    """Queue the summary (and stale data after an advance); the figures for metrics.prom."""
    result = watch.result
    if result is None or not is_run_dir(result.run_dir) or not (result.run_dir / JOURNAL_NAME).is_file():
        return None
    run_dir = result.run_dir
    figures = collect_figures(run_dir)
    status = figures["status"]
    alerts_path = run_dir / ALERTS
    line = summary_line(watch.command, result, figures, before)
    if line is not None:
        notifier.submit(Notification("summary", line, alerts_path, {"run_id": status["run_id"]}))
    data = status["daily"]["data"] or {}
    if watch.command == "advance" and data.get("stale") and "stale_data" not in watch.forwarded:
        text = (
            f"aurora {status['run_id']}: STALE_DATA: last session {status['last_session']} is "
            f"{data['sessions_behind_today']} sessions of {status['daily']['calendar']} behind today"
        )
        notifier.submit(Notification("stale_data", text, alerts_path, {"run_id": status["run_id"]}))
    return figures


def summary_line(
    command: str, result: RunResult, figures: dict[str, Any], before: tuple[date | None, int | None]
) -> str | None:
    """One line for the desk: sessions, orders, fills, P&L, drawdown, data freshness; None if no session."""
    after_session, equity_before = before
    with JournalReader.open(result.run_dir) as reader:
        snaps = [s for s in reader.equity_snapshots() if after_session is None or s.session > after_session]
        orders = sum(reader.order_counts(after_session).values())
        fills = len(reader.fills(after_session))
    if not snaps:
        return None
    status = figures["status"]
    pnl = "" if equity_before is None else f", P&L {(snaps[-1].equity_cents - equity_before) / 100:+,.2f} USD"
    data = status["daily"]["data"] or {}
    fresh = "STALE" if data.get("stale") else "fresh"
    outcome = _OUTCOME.get(result.exit_code, f"exit {result.exit_code}")
    span = f"{snaps[0].session}" if len(snaps) == 1 else f"{snaps[0].session}..{snaps[-1].session}"
    return (
        f"aurora {status['run_id']}: {command} {outcome}: {len(snaps)} session(s) {span}, {orders} orders, "
        f"{fills} fills{pnl}, equity {snaps[-1].equity_cents / 100:,.2f} USD, drawdown "
        f"{figures['drawdown']:.2%}, data {fresh} ({data.get('sessions_behind_today', '?')} sessions behind)"
    )
