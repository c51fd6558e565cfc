"""Stage 8, the execution loop: decisions -> orders -> router -> paper broker, one
journal transaction per session.

For each session t (in order, after the last committed checkpoint):
  1. the kill switch is checked (and again by the router before every order);
  2. the broker meets t's open with the orders of t-1 (fill or expire),
     applies t's corporate actions and marks to t's raw close;
  3. the breakers see the new equity; a trip moves the trading state;
  4. t's decisions are journaled and turned into orders through the router;
  5. breaker state and the checkpoint for t are written -- all of 2-5 in ONE
     transaction, so a crash leaves the journal at the end of t-1 or of t.

Event time drives everything that decides (the router's throttle and clocks
run on the session close), so a replay is deterministic however fast the
machine is; wall time appears only in the journal's commit timestamps.
"""

from __future__ import annotations

import bisect
import resource
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import polars as pl
import pyarrow as pa

from aurora_broker import Bar, CashDividend, CorporateAction, Delisting, Split
from aurora_e2d.faults import fault_point
from aurora_e2d.research.decisions import STRATEGY
from aurora_e2d.runtime.alerts import AlertSink
from aurora_e2d.runtime.orderplan import Target, plan_orders
from aurora_e2d.runtime.reconcile import reconcile
from aurora_e2d.runtime.signals import StopSignals
from aurora_e2d.runtime.stack import TradingStack
from aurora_e2d.trace import Trace
from aurora_safety import BreakerBoard, TradingState, TransitionCause


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


@dataclass(frozen=True)
class Session:
    day: date
    ts_ns: int  # session close, UTC
    bars: Mapping[str, Bar]
    actions: tuple[CorporateAction, ...]
    targets: tuple[Target, ...]
    decisions: tuple[dict, ...] = field(default=())


def build_sessions(bars: pl.DataFrame, decisions: pl.DataFrame, actions: pa.Table) -> list[Session]:
    """The trading window's sessions (the decision dates) with their bars, actions and targets."""
    days = decisions["date"].unique().sort().to_list()
    if not days:
        return []
    window = bars.filter(pl.col("date").is_between(days[0], days[-1]))
    bars_by_day: dict[date, dict[str, Bar]] = {}
    ts_by_day: dict[date, int] = {}
    for row in window.select("date", "ts", "symbol", "open", "high", "low", "close", "volume").iter_rows():
        day, ts, symbol, o, h, lo, c, v = row
        bars_by_day.setdefault(day, {})[symbol] = Bar(open=o, high=h, low=lo, close=c, volume=v)
        ts_by_day[day] = int(ts.timestamp()) * 1_000_000_000
    actions_by_day: dict[date, list[CorporateAction]] = {}
    for row in actions.to_pylist():
        if row["kind"] == "split":
            action: CorporateAction = Split(
                symbol=row["symbol"], ex_date=row["ex_date"], ratio=row["split_ratio"]
            )
        else:
            action = CashDividend(
                symbol=row["symbol"], ex_date=row["ex_date"], amount_per_share_usd=row["dividend_usd"]
            )
        actions_by_day.setdefault(row["ex_date"], []).append(action)
    # A symbol whose bars stop before the window's end is delisted on its first session without one.
    last_bar = dict(bars.group_by("symbol").agg(pl.col("date").max()).iter_rows())
    for symbol, final in sorted(last_bar.items()):
        first_without = bisect.bisect_right(days, final)
        if first_without < len(days):
            day = days[first_without]
            actions_by_day.setdefault(day, []).append(Delisting(symbol=symbol, ex_date=day))
    rows_by_day: dict[date, list[dict]] = {}
    for row in decisions.sort("date", "symbol").iter_rows(named=True):
        rows_by_day.setdefault(row["date"], []).append(row)
    sessions = []
    for day in days:
        rows = rows_by_day.get(day, [])
        sessions.append(
            Session(
                day=day,
                ts_ns=ts_by_day[day],
                bars=bars_by_day.get(day, {}),
                actions=tuple(
                    a
                    for a in actions_by_day.get(day, [])
                    if a.symbol in bars_by_day.get(day, {}) or isinstance(a, Delisting)
                ),
                targets=tuple(Target(r["symbol"], float(r["target_weight"])) for r in rows),
                decisions=tuple(rows),
            )
        )
    return sessions


class ExecutionLoop:
    """Drives one ``TradingStack`` through the sessions; every state change goes through its governor."""

    def __init__(
        self,
        stack: TradingStack,
        clock: ReplayClock,
        trace: Trace,
        alerts: AlertSink,
        stop: StopSignals | None = None,
    ) -> None:
        self.stack = stack
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
    def _alert_kill(self, trigger: str) -> None:
        self.alerts.alert("kill", f"kill switch active ({trigger})", trigger=trigger)
        self.trace.event("kill", trigger=trigger)

    def _halt_for_kill(self, trigger: str, ts_ns: int) -> None:
        """Cancel what is open and record the halt, in one transaction (cancels always pass)."""
        self._alert_kill(trigger)
        with self.journal.session_transaction():
            self.router.cancel_all()
            self.governor.halt_for_kill(trigger, ts_ns)

    def last_session(self) -> date | None:
        checkpoint = self.journal.read.last_checkpoint()
        return None if checkpoint is None else checkpoint.session

    # ---------------------------------------------------------------- the loop
    def run(self, sessions: list[Session], progress: Callable[[int, int], None] | None = None) -> LoopOutcome:
        """Process every session after the last committed one, stopping at a boundary on a signal.

        Every session places its orders, the last one too: they fill at the next session's
        open when that session arrives (`aurora advance`), so a run advanced day by day and
        one batch run over the same data commit the same orders.
        """
        done_through = self.last_session()
        pending = [s for s in sessions if done_through is None or s.day > done_through]
        total, done = len(sessions), len(sessions) - len(pending)
        latencies: list[float] = []
        if pending:
            self.clock.set(pending[0].ts_ns)
        mismatch = self._reconcile(pending[0].ts_ns if pending else 0)
        if mismatch is not None:
            return LoopOutcome(LoopStatus.HALTED, mismatch, done, total)
        resumed = self._resume_state(pending[0].ts_ns if pending else 0)
        if resumed is not None:
            return LoopOutcome(LoopStatus.HALTED, resumed, done, total)
        for index, session in enumerate(pending):
            if self.stop is not None and self.stop.stop_requested:
                return self._interrupted(done, total, latencies)
            self.clock.set(session.ts_ns)
            kill = self.router.kill_status()
            if kill.active:
                self._halt_for_kill(str(kill.trigger), session.ts_ns)
                return LoopOutcome(
                    LoopStatus.KILLED, f"kill switch active ({kill.trigger})", done, total, tuple(latencies)
                )
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

    def _resume_state(self, ts_ns: int) -> str | None:
        """Before trading again: a tripped HALTED breaker stays halted until an operator resets it."""
        required = self.governor.board.state_required()
        if required is TradingState.HALTED:
            names = ", ".join(t.breaker for t in self.governor.board.tripped())
            return f"circuit breaker open ({names}); reset with `aurora breaker reset NAME --reason TEXT`"
        if self.governor.state is not required and not self.router.kill_status().active:
            with self.journal.session_transaction():
                self.governor.operator_resume(ts_ns)
        return None

    def _run_session(self, session: Session) -> tuple[tuple[LoopStatus, str] | None, float]:
        halt: tuple[LoopStatus, str] | None = None
        started = time.perf_counter()
        governor = self.governor
        with self.journal.session_transaction():
            report = self.broker.process_session(session.day, session.bars, session.actions)
            fault_point("after_fills")
            self.book.update_many({s: b.close for s, b in session.bars.items()}, session.ts_ns)
            governor.on_equity(report.account.equity_cents / 100.0, session.day, session.ts_ns)
            for row in session.decisions:
                self.journal.record_decision(STRATEGY, session.day, row["symbol"], _decision_payload(row))
            fault_point("after_decisions")
            if governor.effective_state() is not TradingState.HALTED:
                orders = plan_orders(
                    strategy=STRATEGY,
                    session=session.day,
                    targets=session.targets,
                    closes={s: b.close for s, b in session.bars.items()},
                    positions=self.broker.positions(),
                    equity_usd=report.account.equity_cents / 100.0,
                    limits=self.config.limits,
                    offset_bps=self.config.execution.limit_offset_bps,
                    daily_notional_used_usd=self.router.daily_notional_usd(session.day),
                )
                for number, order in enumerate(orders):
                    self.router.submit(order, session.ts_ns)
                    if number == 0:
                        fault_point("between_submit_and_fill")
            kill = self.router.kill_status()
            if kill.active:
                self._alert_kill(str(kill.trigger))
                self.router.cancel_all()
                governor.halt_for_kill(str(kill.trigger), session.ts_ns)
                halt = (LoopStatus.KILLED, f"kill switch active ({kill.trigger})")
            elif governor.effective_state() is TradingState.HALTED:
                self.router.cancel_all()
                halt = (LoopStatus.HALTED, f"circuit breaker open ({_trip_reason(governor.board)})")
            self.journal.save_breaker_state(governor.board.to_dict())
            self.journal.write_checkpoint(session.day, {"equity_cents": report.account.equity_cents})
        fault_point("after_commit")
        return halt, (time.perf_counter() - started) * 1000.0


def _trip_reason(board: BreakerBoard) -> str:
    trips = board.tripped()
    return "; ".join(f"{t.breaker}: {t.reason}" for t in trips) if trips else "breaker"


def _decision_payload(row: Mapping) -> dict:
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
    "Session",
    "build_sessions",
    "peak_rss_mb",
]
