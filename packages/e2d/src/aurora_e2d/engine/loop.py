"""Stage 8, the execution loop: decisions -> orders -> router -> broker, one
journal transaction per session.

For each session t (in order, after the last committed checkpoint):
  1. the kill switch is checked (and again by the router before every order);
  2. the broker meets t's open with the orders of t-1 (fill or expire),
     applies t's corporate actions and marks to t's raw close;
  3. the breakers see the new equity; a trip moves the trading state;
  4. t's decisions are journaled and turned into orders through the router;
  5. breaker state and the checkpoint for t are written -- all of 2-5 in ONE
     transaction, so a crash leaves the journal at the end of t-1 or of t.

The broker is reached only through the ``Broker`` interface (the session's
market by ``process_session``, reconciliation by ``mass_status``), so any
registered kind (``[broker] kind``) runs here.

Event time drives everything that decides (the router's throttle and clocks
run on the session close), so a replay is deterministic however fast the
machine is; wall time appears only in the journal's commit timestamps.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from aurora_e2d.core.faults import fault_point
from aurora_e2d.core.signals import StopSignals
from aurora_e2d.core.trace import Trace
from aurora_e2d.engine.alerts import AlertSink
from aurora_e2d.engine.orderplan import plan_session
from aurora_e2d.engine.reconcile import reconcile
from aurora_e2d.engine.sessions import Session
from aurora_e2d.engine.stack import TradingStack
from aurora_e2d.research.decisions import STRATEGY
from aurora_safety import TradingState, TransitionCause, describe_trigger


class LoopStatus(StrEnum):
    COMPLETED = "completed"
    KILLED = "killed"
    HALTED = "halted"
    INTERRUPTED = "interrupted"  # SIGINT/SIGTERM, stopped at a session boundary


@dataclass(frozen=True)
class LoopOutcome:
    status: LoopStatus
    message: str
    sessions_done: int
    sessions_total: int
    latencies_ms: tuple[float, ...] = ()


class ReplayClock:
    """A Clock at the event time of the session being replayed (UTC ns)."""

    def __init__(self) -> None:
        self._now_ns = 0

    def set(self, ts_ns: int) -> None:
        self._now_ns = ts_ns

    def time_ns(self) -> int:
        return self._now_ns

    def monotonic_ns(self) -> int:
        return self._now_ns


class ExecutionLoop:
    """Drives one ``TradingStack`` through the sessions; every state change goes through its governor."""

    def __init__(
        self,
        stack: TradingStack,
        clock: ReplayClock,
        trace: Trace,
        alerts: AlertSink,
        stop: StopSignals | None = None,
        *,
        operator_resume: bool = False,
    ) -> None:
        self.stack = stack
        self.operator_resume = operator_resume  # only `aurora resume` lifts a halt
        self.clock = clock
        self.trace = trace
        self.alerts = alerts
        self.stop = stop
        self.journal = stack.journal
        self.broker = stack.broker
        self.router = stack.router
        self.governor = stack.governor
        self.book = stack.book
        self.config = stack.config

    def close(self) -> None:
        self.stack.close()

    # ------------------------------------------------------------------ helpers
    def _kill(self, trigger: str, ts_ns: int) -> tuple[LoopStatus, str]:
        """Alert and trace the kill, then the router's one kill procedure (cancel what is open, halt).

        The caller holds the journal transaction it belongs to.
        """
        described = describe_trigger(trigger)  # with the operator's --reason
        self.alerts.alert("kill", f"kill switch active ({described})", trigger=trigger)
        self.trace.event("kill", trigger=trigger)
        self.router.enforce_kill(ts_ns)  # cancels and halts (a no-op if an order already met the kill)
        return LoopStatus.KILLED, f"kill switch active ({described})"

    def last_session(self) -> date | None:
        checkpoint = self.journal.read.last_checkpoint()
        return None if checkpoint is None else checkpoint.session

    # ---------------------------------------------------------------- the loop
    def run(
        self,
        sessions: list[Session],
        progress: Callable[[int, int], None] | None = None,
        *,
        total: int | None = None,
    ) -> LoopOutcome:
        """Process every session after the last committed one, stopping at a boundary on a signal.
        ``total``: the window's sessions, when ``sessions`` holds only those after the last
        committed one (``build_sessions(..., after=loop.last_session())``).

        Every session places its orders, the last one too: they fill at the next session's
        open when that session arrives (`aurora advance`), so a run advanced day by day and
        one batch run over the same data commit the same orders.
        """
        done_through = self.last_session()
        pending = [s for s in sessions if done_through is None or s.day > done_through]
        total = len(sessions) if total is None else total
        done = total - len(pending)
        latencies: list[float] = []
        if pending:
            self.clock.set(pending[0].ts_ns)
        mismatch = self._reconcile(pending[0].ts_ns if pending else 0)
        if mismatch is not None:
            return LoopOutcome(LoopStatus.HALTED, mismatch, done, total)
        resumed = self._resume_state(pending[0].ts_ns if pending else 0)
        if resumed is not None:
            return LoopOutcome(resumed[0], resumed[1], done, total)
        for _index, session in enumerate(pending):
            if self.stop is not None and self.stop.stop_requested:
                return self._interrupted(done, total, latencies)
            self.clock.set(session.ts_ns)
            kill = self.router.kill_status()
            if kill.active:
                with self.journal.session_transaction():
                    status, message = self._kill(str(kill.trigger), session.ts_ns)
                return LoopOutcome(status, message, done, total, tuple(latencies))
            with self.trace.span("session", session=session.day) as out:
                outcome, latency = self._run_session(session)
                out.update(state=str(self.governor.state))
            latencies.append(latency)
            done += 1
            if progress is not None:
                progress(done, total)
            if outcome is not None:
                return LoopOutcome(outcome[0], outcome[1], done, total, tuple(latencies))
        if self.stop is not None and self.stop.stop_requested and done < total:
            return self._interrupted(done, total, latencies)
        return LoopOutcome(LoopStatus.COMPLETED, "all sessions committed", done, total, tuple(latencies))

    def _interrupted(self, done: int, total: int, latencies: list[float]) -> LoopOutcome:
        last = self.last_session()
        where = "no session committed yet" if last is None else f"last committed session {last}"
        return LoopOutcome(LoopStatus.INTERRUPTED, where, done, total, tuple(latencies))

    def _reconcile(self, ts_ns: int) -> str | None:
        """The journal against the broker's own view; a mismatch halts before any order (reconcile.py)."""
        found = reconcile(self.journal.read, self.broker)
        self.trace.event("reconciliation", mismatches=[m.describe() for m in found])
        if not found:
            return None
        reason = "reconciliation mismatch: " + "; ".join(m.describe() for m in found[:5])
        if len(found) > 5:
            reason += f"; and {len(found) - 5} more"
        self.alerts.alert("reconciliation", reason, mismatches=[m.describe() for m in found])
        with self.journal.session_transaction():
            self.governor.halt(TransitionCause.RECONCILIATION, reason, ts_ns)
        return reason

    def _resume_state(self, ts_ns: int) -> tuple[LoopStatus, str] | None:
        """Before trading again: a halt stays until an operator resumes (`aurora resume`), and a
        tripped HALTED breaker until it is also reset. Nothing else lowers the trading state."""
        standing = self.governor.standing()
        required = standing.required
        if required is TradingState.HALTED:
            names = ", ".join(standing.open_names)
            return (
                LoopStatus.HALTED,
                f"circuit breaker open ({names}); reset with `aurora breaker reset NAME --reason TEXT`",
            )
        if self.governor.state is required or self.router.kill_status().active:
            return None  # an active kill halts at the first session (the kill procedure)
        if not self.operator_resume:
            if self.governor.state is not TradingState.HALTED:
                return None  # REDUCING stays REDUCING until an operator resumes
            events = self.journal.read.state_events()
            last = events[-1].event if events else None
            killed = last is not None and last.cause is TransitionCause.KILL_SWITCH
            reason = "halted" if last is None else last.reason
            return (
                LoopStatus.KILLED if killed else LoopStatus.HALTED,
                f"halted ({reason}); only `aurora resume` lifts a halt",
            )
        with self.journal.session_transaction():
            self.governor.operator_resume(ts_ns)
        return None

    def _run_session(self, session: Session) -> tuple[tuple[LoopStatus, str] | None, float]:
        halt: tuple[LoopStatus, str] | None = None
        started = time.perf_counter()
        governor = self.governor
        with self.journal.session_transaction():
            held = dict(self.broker.positions())
            report = self.broker.process_session(session.day, session.bars, session.actions)
            fault_point("after_fills")
            closes = session.closes()
            self.book.update_many(closes, session.ts_ns)
            governor.on_equity(report.account.equity_cents / 100.0, session.day, session.ts_ns)
            plan = None
            if governor.effective_state() is not TradingState.HALTED:
                plan = plan_session(
                    strategy=STRATEGY,
                    session=session.day,
                    targets=session.targets,
                    closes=closes,
                    positions=self.broker.positions(),
                    equity_usd=report.account.equity_cents / 100.0,
                    limits=self.config.limits,
                    offset_bps=self.config.execution.limit_offset_bps,
                    daily_notional_used_usd=self.router.daily_notional_usd(session.day),
                    session_orders_used=self.router.session_orders(session.day),
                )
            clips = {} if plan is None else plan.clips_by_symbol()
            # The actionable decisions (targets and what is or was held) are journaled row by row,
            # each with the clip its order took (see orderplan); the whole set, weight-0 rows
            # included, by its digest in the checkpoint.
            actionable = {t.symbol for t in session.targets} | set(held) | set(self.broker.positions())
            for row in session.decision_rows(actionable):
                payload = _decision_payload(row)
                clip = clips.get(row["symbol"])
                if clip is not None:
                    payload["sizing"] = clip.as_payload()
                self.journal.record_decision(STRATEGY, session.day, row["symbol"], payload)
            fault_point("after_decisions")
            for number, order in enumerate(() if plan is None else plan.orders):
                self.router.submit(order, session.ts_ns)
                if number == 0:
                    fault_point("between_submit_and_fill")
            kill = self.router.kill_status()
            if kill.active:
                halt = self._kill(str(kill.trigger), session.ts_ns)
            elif governor.effective_state() is TradingState.HALTED:
                self.router.cancel_all()
                halt = (
                    LoopStatus.HALTED,
                    f"circuit breaker open ({governor.standing().reason() or 'breaker'})",
                )
            governor.save_board(self.journal)
            checkpoint: dict[str, object] = {"equity_cents": report.account.equity_cents}
            digest = session.decisions_digest()
            if digest is not None:
                checkpoint["decisions_sha256"] = digest
            self.journal.write_checkpoint(session.day, checkpoint)
            fault_point("journal_commit", self.journal.path)
        fault_point("after_commit")
        return halt, (time.perf_counter() - started) * 1000.0


def _decision_payload(row: Mapping) -> dict[str, object]:
    return {
        "rank": int(row["rank"]),
        "prediction": float(row["prediction"]),
        "target_weight": float(row["target_weight"]),
        "vetoed": bool(row["vetoed"]),
        "veto_reason": row["veto_reason"],
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


__all__ = [
    "ExecutionLoop",
    "LoopOutcome",
    "LoopStatus",
    "ReplayClock",
    "peak_rss_mb",
]
