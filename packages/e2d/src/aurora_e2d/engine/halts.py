"""Why a run is halted, what governs it, and the refusal every non-resume command gives it.

Only `aurora resume` lifts a halt (DESIGN.md §10): `aurora advance` and
`aurora run` on a halted directory exit 3 (kill switch) or 4 (breaker or
reconciliation), name the halt and the commands that lift it, and trade
nothing. The refusal is decided from the journal alone -- no snapshot, no
stage -- so it answers in well under a second.

A halt explains itself: for a breaker trip the rejections of the session
that tripped it are counted by reason code and symbol, and each reason is
mapped to the config field that governs it (``MAX_SESSION_ORDERS`` x 21 ->
``limits.max_session_orders``). Heuristic for "a reset would trip again":
the tripping session's rejections were all decided by static order limits
(not by a price move or the rate throttle), so the same decisions under the
same limits give the same rejections; status then advises changing the
limit (a new run) instead of a reset plus resume.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aurora_e2d.core.exitcodes import ExitCode

if TYPE_CHECKING:
    from aurora_safety import BreakerTripped

__all__ = [
    "BREAKER_FIELDS",
    "REASON_FIELDS",
    "Halt",
    "Refusal",
    "halt_refusal",
    "read_halt",
    "resume_commands",
]

BREAKER_FIELDS = {
    "drawdown": "limits.max_drawdown_pct",
    "daily_loss": "limits.max_daily_loss_pct",
    "consecutive_rejects": "limits.max_consecutive_rejects",
    "order_rate": "limits.max_messages_per_sec",
}
# Rejection codes decided by a static limit: the same orders under the same limits are rejected again.
REASON_FIELDS = {
    "MAX_ORDER_QTY": "limits.max_order_qty_shares",
    "MAX_ORDER_NOTIONAL": "limits.max_order_notional_usd",
    "MAX_POSITION_NOTIONAL": "limits.max_position_notional_usd",
    "MAX_GROSS_EXPOSURE": "limits.max_gross_exposure_usd",
    "MAX_DAILY_NOTIONAL": "limits.max_daily_notional_usd",
    "MAX_SESSION_ORDERS": "limits.max_session_orders",
    "PRICE_BAND": "limits.price_band_bps",
    "STALE_REFERENCE": "limits.stale_after_secs",
    "RATE_LIMIT": "limits.max_messages_per_sec",
}
_STATIC = frozenset(REASON_FIELDS) - {"RATE_LIMIT", "PRICE_BAND", "STALE_REFERENCE"}
_CONSEQUENCES = frozenset({"BREAKER_OPEN", "KILL_SWITCH"})  # rejections after a halt, not its cause


@dataclass(frozen=True)
class Halt:
    """A halted run as the journal records it (plus the kill switch as it is now)."""

    run_dir: Path
    cause: str  # kill_switch | breaker_trip | reconciliation
    reason: str
    open_breakers: tuple[str, ...]
    kill_active: bool
    kill_trigger: str | None
    governed_by: tuple[str, ...] = ()  # config fields, e.g. limits.max_session_orders
    decisive: str | None = None  # e.g. "session 2000-01-03: MAX_SESSION_ORDERS x 21 (NVDA x 21)"
    trips_again: bool = False  # a reset + resume would meet the same decisions under the same limits
    details: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return ExitCode.KILLED if self.kill_active or self.cause == "kill_switch" else ExitCode.BREAKER

    def describe(self) -> str:
        """One line: the reason, the decisive rejections and the governing fields."""
        text = self.reason
        if self.decisive:
            text += f"; decisive: {self.decisive}"
        if self.governed_by:
            text += f"; governed by {', '.join(self.governed_by)}"
        return text


@dataclass(frozen=True)
class Refusal:
    exit_code: int
    message: str


def resume_commands(run_dir: Path, kill_active: bool, open_breakers: tuple[str, ...]) -> list[str]:
    """The commands that lift a halt, in order, shell-quoted for pasting."""
    from shlex import quote

    d = quote(str(run_dir))
    unkill = [f"aurora unkill --run-dir {d}"] if kill_active else []
    resets = [f"aurora breaker reset {b} --reason TEXT --run-dir {d}" for b in open_breakers]
    return [*unkill, *resets, f"aurora resume --run-dir {d}"]


def read_halt(run_dir: Path) -> Halt | None:
    """The run's halt from its journal, or None when it is not halted (or has no journal)."""
    from aurora_broker import JOURNAL_NAME, JournalReader
    from aurora_safety import KillSwitch, Standing, TradingState

    if not (run_dir / JOURNAL_NAME).is_file():
        return None
    with JournalReader.open(run_dir) as reader:
        events = reader.state_events()
        standing = Standing.from_saved(reader.breaker_state(), reader.trading_state())
        open_breakers = standing.halting
        last = events[-1].event if events else None
        if (last is None or last.to_state is not TradingState.HALTED) and not open_breakers:
            return None
        kill = KillSwitch(run_dir=run_dir).check()
        cause = "breaker_trip" if last is None or last.cause is None else str(last.cause)
        reason = (
            last.reason
            if last is not None and last.to_state is TradingState.HALTED
            else "circuit breaker open (" + ", ".join(open_breakers) + ")"
        )
        halt = Halt(run_dir, cause, reason, open_breakers, kill.active, kill.trigger)
        if cause == "breaker_trip" or open_breakers:
            halt = _explain_breaker(reader, halt, standing.open)
    return halt


def _explain_breaker(reader: object, halt: Halt, trips: tuple[BreakerTripped, ...]) -> Halt:
    """Count the rejections of the session that tripped the breaker(s); name what governs them."""
    from dataclasses import replace

    names = tuple(t.breaker for t in trips) or halt.open_breakers
    fields = [BREAKER_FIELDS[n] for n in names if n in BREAKER_FIELDS]
    rejected = [
        r
        for r in reader.route_results()  # type: ignore[attr-defined]
        if r.action == "submit" and r.status == "rejected" and str(r.reason) not in _CONSEQUENCES
    ]
    if not rejected or not {"consecutive_rejects", "order_rate"} & set(names):
        return replace(halt, governed_by=tuple(fields))
    session = rejected[-1].session
    in_session = [r for r in rejected if r.session == session]
    by_reason = Counter(str(r.reason) for r in in_session)
    top_reason, count = by_reason.most_common(1)[0]
    symbols = Counter(str(r.symbol) for r in in_session if str(r.reason) == top_reason)
    shown = ", ".join(f"{s} x {n}" for s, n in symbols.most_common(3))
    decisive = f"session {session}: {top_reason} x {count} ({shown})"
    if len(by_reason) > 1:
        decisive += "; also " + ", ".join(f"{k} x {n}" for k, n in by_reason.most_common()[1:4])
    if top_reason in REASON_FIELDS:
        fields.insert(0, REASON_FIELDS[top_reason])
    again = set(by_reason) <= _STATIC
    return replace(
        halt,
        governed_by=tuple(dict.fromkeys(fields)),
        decisive=decisive,
        trips_again=again,
        details=dict(by_reason),
    )


def halt_refusal(run_dir: Path, command: str) -> Refusal | None:
    """For a command that is not `aurora resume`: exit 3/4 naming the halt and how to lift it, or None."""
    halt = read_halt(run_dir)
    if halt is None:
        return None
    steps = "; then ".join(resume_commands(run_dir, halt.kill_active, halt.open_breakers))
    return Refusal(
        halt.exit_code,
        f"aurora: {command} refused: run {run_dir.name} is halted ({halt.describe()}); it trades nothing until "
        f"an operator lifts the halt: {steps}",
    )
