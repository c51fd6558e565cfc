"""alerts.jsonl: every breaker trip, kill and halt, durable within moments of the event.

MiFID II RTS 6 Art. 16 asks for alerts within 5 seconds. Each alert is
appended, flushed and fsynced the moment the loop sees the event (before the
session's transaction commits), with the wall time it was detected and the
wall time it was written, so the bound is measurable. The router's decisions
reach the journal and the log through `ObservingSink`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from aurora_broker import SubmitOrder
from aurora_e2d.core.faults import fault_point
from aurora_e2d.core.trace import Trace
from aurora_router import JournalSink, RouteResult
from aurora_safety import BreakerTripped, StateChanged, StorageError, TradingState

ALERTS = "alerts.jsonl"

# Called with (alerts.jsonl path, record) after each alert is durable: the command's notifier
# (run/notify.py, installed by run/watch.py) queues it for delivery and returns at once.
FORWARDERS: list[Callable[[Path, Mapping[str, Any]], None]] = []


def append_record(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line to an alert log, flushed and fsynced before returning."""
    record["written_at_ns"] = time.time_ns()
    try:
        with path.open("a", encoding="utf-8") as handle:
            fault_point("write_alert", path)
            handle.write(json.dumps(record, sort_keys=True, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:  # a full disk or a read-only directory is named, never a traceback
        fault = StorageError.from_os_error(exc, path, "writing")
        if fault is None:
            raise
        raise fault from exc


class AlertSink:
    def __init__(self, run_dir: Path, run_id: str) -> None:
        self.path = run_dir / ALERTS
        self.run_id = run_id

    def alert(self, kind: str, reason: str, *, detected_ns: int | None = None, **values: Any) -> None:
        detected = time.time_ns() if detected_ns is None else detected_ns
        record = {"run_id": self.run_id, "kind": kind, "reason": reason, "detected_at_ns": detected, **values}
        append_record(self.path, record)
        for forward in FORWARDERS:
            forward(self.path, record)


class ObservingSink:
    """The router's sink in a run: journal everything, log rejections, alert on trips and halts."""

    def __init__(self, journal_sink: JournalSink, trace: Trace, alerts: AlertSink) -> None:
        self.journal_sink = journal_sink
        self.trace = trace
        self.alerts = alerts

    def route_result(self, result: RouteResult, order: SubmitOrder | None) -> None:
        self.journal_sink.route_result(result, order)
        if result.rejection is not None:
            self.trace.event(
                "order_rejected",
                client_order_id=result.client_order_id,
                session=None if order is None else order.session,
                reason=str(result.rejection.reason),
                values=dict(result.rejection.values),
            )

    def state_changed(self, event: StateChanged) -> None:
        self.journal_sink.state_changed(event)
        observe_state_change(event, self.trace, self.alerts)

    def breaker_tripped(self, event: BreakerTripped) -> None:
        self.journal_sink.breaker_tripped(event)
        observe_trip(event, self.trace, self.alerts)


def observe_trip(event: BreakerTripped, trace: Trace, alerts: AlertSink) -> None:
    payload: Mapping[str, Any] = event.as_dict()
    trace.event("breaker_tripped", breaker=event.breaker, reason=event.reason, details=payload)
    alerts.alert(
        "breaker_trip", event.reason, breaker=event.breaker, action=str(event.action), details=payload
    )


def observe_state_change(event: StateChanged, trace: Trace, alerts: AlertSink) -> None:
    trace.event(
        "state_changed", reason=event.reason, to_state=str(event.to_state), from_state=str(event.from_state)
    )
    if event.to_state is not TradingState.ACTIVE:
        alerts.alert(
            "halt" if event.to_state is TradingState.HALTED else "reducing",
            event.reason,
            from_state=str(event.from_state),
            to_state=str(event.to_state),
        )
