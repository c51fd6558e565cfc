"""What happened to the run, from its journal: state changes, breaker trips, kills, advances.

Read-only, through ``aurora_broker.JournalReader``; a run without a journal
(yet) has no events. The halt banner says why a run stopped and the exact
commands that continue it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aurora_broker import JOURNAL_NAME, JournalReader
from aurora_safety import Standing, TransitionCause

__all__ = ["Advance", "Banner", "TimelineEntry", "advances", "banner", "journal", "open_breakers", "timeline"]

ADVANCE_EVENT = "advance"  # run_events kind written by `aurora advance`


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    ts_ns: int
    kind: str  # "state change", "kill", "breaker trip", "breaker reset"
    subject: str
    reason: str

    @property
    def when(self) -> str:
        return datetime.fromtimestamp(self.ts_ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


@contextmanager
def journal(run_dir: Path) -> Iterator[JournalReader | None]:
    """A read-only journal reader, or None when the run has no journal (yet)."""
    if not (run_dir / JOURNAL_NAME).is_file():
        yield None
        return
    with JournalReader.open(run_dir) as reader:
        yield reader


def _values_text(values: Any) -> str:
    if not isinstance(values, list):
        return ""
    parts = []
    for pair in values:
        if isinstance(pair, list) and len(pair) == 2:
            name, value = pair
            big = isinstance(value, float) and abs(value) >= 1_000
            shown = f"{value:,.2f}" if big else f"{value:.4g}" if isinstance(value, float) else str(value)
            parts.append(f"{name}={shown}")
    return ", ".join(parts)


def timeline(run_dir: Path) -> list[TimelineEntry]:
    """State changes (kill halts singled out), breaker trips and resets, in journal order by time."""
    entries: list[tuple[int, int, TimelineEntry]] = []
    with journal(run_dir) as reader:
        if reader is None:
            return []
        for record in reader.state_events():
            change = record.event
            kind = "kill" if change.cause is TransitionCause.KILL_SWITCH else "state change"
            subject = f"{change.from_state} → {change.to_state}"
            entries.append(
                (change.ts_ns, 2 * record.seq + 1, TimelineEntry(change.ts_ns, kind, subject, change.reason))
            )
        for trip in reader.breaker_events():
            seq, ts, breaker, event, data = trip.seq, trip.ts_ns, trip.breaker, trip.event, trip.data
            if event == "BreakerReset":
                text = f"operator: {data.get('operator_reason', '')} (cleared: {data.get('reason', '')})"
                entries.append((ts, 2 * seq, TimelineEntry(ts, "breaker reset", breaker, text)))
            else:
                values = _values_text(data.get("values"))
                text = f"{data.get('reason', '')} [{values}] action {data.get('action', '?')}"
                entries.append((ts, 2 * seq, TimelineEntry(ts, "breaker trip", breaker, text)))
    return [entry for *_, entry in sorted(entries, key=lambda e: (e[0], e[1]))]


def open_breakers(run_dir: Path) -> list[str]:
    """Breakers that require HALTED in the saved board: they must be reset before resuming."""
    with journal(run_dir) as reader:
        if reader is None:
            return []
        return sorted(Standing.from_saved(reader.breaker_state(), reader.trading_state()).halting)


@dataclass(frozen=True, slots=True)
class Banner:
    title: str
    why: list[str]
    commands: list[str]


def banner(run_dir: Path, summary: Mapping[str, Any], events: list[TimelineEntry]) -> Banner | None:
    """For a run that did not complete: why it stopped and the exact commands that continue it."""
    status = str(summary.get("status", "unknown"))
    if status == "completed":
        return None
    import shlex

    where = shlex.quote(str(run_dir.resolve()))
    why = [str(summary.get("message", "(no message in summary.json)"))]
    changes = [e for e in events if e.kind in ("state change", "kill")]
    if changes:
        why.append(
            f"last trading-state change: {changes[-1].subject} at {changes[-1].when}: {changes[-1].reason}"
        )
    commands: list[str] = []
    if status == "killed":
        title = "Run KILLED by the kill switch"
        commands.append(f"aurora unkill --run-dir {where}   # or unset AURORA_KILL, whichever triggered it")
    else:
        breakers = open_breakers(run_dir)
        title = (
            f"Run HALTED by circuit breaker {', '.join(breakers)}" if breakers else f"Run {status.upper()}"
        )
        commands += [
            f"aurora breaker reset {b} --reason 'WHY IT IS SAFE' --run-dir {where}" for b in breakers
        ]
    commands.append(f"aurora resume --run-dir {where}")
    return Banner(title, why, commands)


@dataclass(frozen=True, slots=True)
class Advance:
    """One `aurora advance` of the run (daily operation), as its journal recorded it."""

    seq: int
    ts_ns: int
    data: dict[str, Any]

    @property
    def when(self) -> str:
        return datetime.fromtimestamp(self.ts_ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def advances(run_dir: Path) -> list[Advance]:
    """Every advance of a run operated day by day, in order; none for a batch run."""
    with journal(run_dir) as reader:
        if reader is None:
            return []
        return [Advance(e.seq, e.ts_ns, dict(e.data)) for e in reader.run_events(ADVANCE_EVENT)]
