"""ExecutionLoop and the trading stack against a real journal, in-process (no subprocess).

Sessions are built by hand: two symbols, a few days of bars and target
weights, so each test can say exactly what should fill, halt or resume.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from aurora_broker import Bar, Delisting, JournalReader, OrderStatus
from aurora_e2d.core.signals import StopSignals
from aurora_e2d.core.trace import Trace
from aurora_e2d.engine.alerts import AlertSink, ObservingSink
from aurora_e2d.engine.loop import ExecutionLoop, LoopStatus, ReplayClock
from aurora_e2d.engine.orderplan import Target
from aurora_e2d.engine.sessions import Session
from aurora_e2d.engine.stack import open_stack
from aurora_e2d.rundir.config import RunConfig, validate_config
from aurora_safety import TradingState, TransitionCause

DAYS = [dt.date(2013, 1, d) for d in (2, 3, 4, 7, 8, 9, 10)]
CLOSE_UTC_NS = 21 * 3600 * 1_000_000_000


def _ts(day: dt.date) -> int:
    return (
        int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()) * 1_000_000_000
        + CLOSE_UTC_NS
    )


def _sessions(prices: dict[str, list[float]], weights: dict[str, float]) -> list[Session]:
    out = []
    for i, day in enumerate(DAYS):
        bars = {
            s: Bar(open=p[i], high=p[i] * 1.01, low=p[i] * 0.99, close=p[i], volume=1_000_000)
            for s, p in prices.items()
        }
        decisions = tuple(
            {
                "symbol": s,
                "rank": rank,
                "prediction": 0.01 / rank,
                "target_weight": weights.get(s, 0.0),
                "vetoed": False,
                "veto_reason": None,
            }
            for rank, s in enumerate(sorted(prices), start=1)
        )
        targets = tuple(Target(s, weights.get(s, 0.0)) for s in sorted(prices))
        out.append(Session(day, _ts(day), bars, (), targets, decisions))
    return out


FLAT = {"AAA": [100.0] * len(DAYS), "BBB": [50.0] * len(DAYS)}


class Rig:
    def __init__(self, run_dir: Path, config: RunConfig, stop: StopSignals | None = None) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir = run_dir
        self.trace = Trace(run_dir / "trace.jsonl", "t")
        self.alerts = AlertSink(run_dir, "t")
        self.clock = ReplayClock()
        stack = open_stack(
            run_dir,
            config,
            self.clock,
            symbols=["AAA", "BBB"],
            kill_run_dir=run_dir,
            observe=lambda sink: ObservingSink(sink, self.trace, self.alerts),
        )
        self.loop = ExecutionLoop(stack, self.clock, self.trace, self.alerts, stop)

    def run(self, sessions: list[Session]):
        try:
            return self.loop.run(sessions)
        finally:
            self.loop.close()
            self.trace.close()


def _config(**limits: object) -> RunConfig:
    return validate_config({"limits": dict(limits)}, "test")


def _content(run_dir: Path) -> dict[str, object]:
    with JournalReader.open(run_dir) as reader:
        return {
            "orders": reader.orders(),
            "fills": reader.fills(),
            "positions": reader.position_snapshots(),
            "equity": reader.equity_snapshots(),
            "decisions": reader.decisions(),
            "checkpoints": [c.session for c in reader.checkpoints()],
        }


def test_targets_become_fills_at_the_next_open(tmp_path: Path) -> None:
    outcome = Rig(tmp_path, _config()).run(_sessions(FLAT, {"AAA": 0.3, "BBB": 0.2}))
    assert outcome.status is LoopStatus.COMPLETED
    assert (outcome.sessions_done, outcome.sessions_total) == (len(DAYS), len(DAYS))
    with JournalReader.open(tmp_path) as reader:
        fills = reader.fills()
        assert {f.symbol for f in fills} == {"AAA", "BBB"}
        assert min(f.session for f in fills) == DAYS[1]  # decided at the first close, filled at the next open
        held = {p.symbol: p.quantity for p in reader.positions() if p.quantity}
        # 30 % and 20 % of about $1M (less commission and slippage) at $100 and $50
        assert set(held) == {"AAA", "BBB"}
        assert 2990 <= held["AAA"] <= 3000
        assert 3990 <= held["BBB"] <= 4000
        assert [c.session for c in reader.checkpoints()] == DAYS
        # nothing is left open: flat prices and fixed weights ask for no trade at the last session


def test_the_last_session_places_its_orders_and_they_stay_open(tmp_path: Path) -> None:
    prices = {"AAA": [100.0] * (len(DAYS) - 1) + [80.0], "BBB": [50.0] * len(DAYS)}
    Rig(tmp_path, _config()).run(_sessions(prices, {"AAA": 0.3}))  # AAA drops: top up at the last close
    with JournalReader.open(tmp_path) as reader:
        last = [o for o in reader.orders() if o.session == DAYS[-1]]
        assert [(o.symbol, o.side.value, o.status) for o in last] == [("AAA", "BUY", OrderStatus.ACCEPTED)]


def test_a_kill_file_halts_cancels_and_journals_the_cause(tmp_path: Path) -> None:
    (tmp_path / "kill.flag").write_text("operator\n")
    outcome = Rig(tmp_path, _config()).run(_sessions(FLAT, {"AAA": 0.3}))
    assert outcome.status is LoopStatus.KILLED
    assert f"file:{tmp_path / 'kill.flag'}" in outcome.message
    with JournalReader.open(tmp_path) as reader:
        events = [r.event for r in reader.state_events()]
        assert [(e.to_state, e.cause) for e in events] == [(TradingState.HALTED, TransitionCause.KILL_SWITCH)]
        assert reader.checkpoints() == []  # halted before the first session committed
        assert reader.orders() == []
    assert '"kind": "kill"' in (tmp_path / "alerts.jsonl").read_text()


def test_a_drawdown_trip_halts_and_stays_halted_across_a_restart(tmp_path: Path) -> None:
    falling = {"AAA": [100.0, 100.0, 100.0, 60.0, 55.0, 50.0, 45.0], "BBB": [50.0] * len(DAYS)}
    config = _config(max_drawdown_pct=5.0, max_daily_loss_pct=90.0)
    outcome = Rig(tmp_path, config).run(_sessions(falling, {"AAA": 0.4}))
    assert outcome.status is LoopStatus.HALTED
    assert "drawdown" in outcome.message
    with JournalReader.open(tmp_path) as reader:
        last = reader.last_checkpoint()
        assert last is not None
        assert last.session == DAYS[3]
        causes = [r.event.cause for r in reader.state_events()]
        assert causes == [TransitionCause.BREAKER_TRIP]
        assert not any(o.status.is_open for o in reader.orders())  # cancelled on the halt
    again = Rig(tmp_path, config).run(_sessions(falling, {"AAA": 0.4}))
    assert again.status is LoopStatus.HALTED
    assert "reset with `aurora breaker reset" in again.message
    with JournalReader.open(tmp_path) as reader:
        assert reader.last_checkpoint().session == DAYS[3]  # type: ignore[union-attr]


def test_a_stop_request_ends_at_a_session_boundary_and_resume_gives_the_same_journal(tmp_path: Path) -> None:
    sessions = _sessions(
        {"AAA": [100, 101, 99, 102, 103, 101, 104], "BBB": [50, 49, 51, 52, 50, 51, 53]},
        {"AAA": 0.3, "BBB": 0.3},
    )
    baseline = tmp_path / "baseline"
    Rig(baseline, _config()).run(sessions)

    interrupted = tmp_path / "interrupted"
    stop = StopSignals()
    stop.requested = 15  # as the SIGTERM handler records it
    first = Rig(interrupted, _config(), stop).run(sessions)
    assert first.status is LoopStatus.INTERRUPTED
    assert (first.message, first.sessions_done) == ("no session committed yet", 0)

    stop = StopSignals()
    rig = Rig(interrupted, _config(), stop)

    def signal_after_four(done: int, total: int) -> None:
        if done == 4:
            stop.requested = 2  # SIGINT arrives while session 4 commits

    try:
        second = rig.loop.run(sessions, signal_after_four)
    finally:
        rig.loop.close()
        rig.trace.close()
    assert second.status is LoopStatus.INTERRUPTED
    assert (second.message, second.sessions_done) == (f"last committed session {DAYS[3]}", 4)
    resumed = Rig(interrupted, _config()).run(sessions)
    assert resumed.status is LoopStatus.COMPLETED
    assert resumed.sessions_done == len(DAYS)
    assert _content(interrupted) == _content(baseline)


def test_a_resume_after_a_kill_is_an_operator_resume(tmp_path: Path) -> None:
    flag = tmp_path / "kill.flag"
    flag.write_text("x")
    sessions = _sessions(FLAT, {"AAA": 0.3})
    assert Rig(tmp_path, _config()).run(sessions).status is LoopStatus.KILLED
    flag.unlink()
    # Without an explicit resume (advance, a re-run), the halt stays: nothing trades, nothing journaled.
    refused = Rig(tmp_path, _config()).run(sessions)
    assert refused.status is LoopStatus.KILLED
    assert "only `aurora resume` lifts a halt" in refused.message
    resumed = Rig(tmp_path, _config())
    resumed.loop.operator_resume = True  # what `aurora resume` passes
    assert resumed.run(sessions).status is LoopStatus.COMPLETED
    with JournalReader.open(tmp_path) as reader:
        events = [r.event for r in reader.state_events()]
        assert [(e.to_state, e.cause, e.reason) for e in events] == [
            (TradingState.HALTED, TransitionCause.KILL_SWITCH, f"kill switch: file:{flag}"),
            (TradingState.ACTIVE, TransitionCause.OPERATOR_RESUME, "operator resume"),
        ]
        assert any(o.status is OrderStatus.FILLED for o in reader.orders())


@pytest.mark.parametrize("weight", [0.0, 0.05, 0.5])
def test_each_order_of_a_healthy_run_is_accepted(tmp_path: Path, weight: float) -> None:
    Rig(tmp_path, _config()).run(_sessions(FLAT, {"AAA": weight, "BBB": weight}))
    with JournalReader.open(tmp_path) as reader:
        assert [r.reason for r in reader.route_results() if r.status == "rejected"] == []


def test_a_symbol_that_stops_trading_is_settled_at_its_last_close(tmp_path: Path) -> None:
    sessions = _sessions(
        {"AAA": [100.0, 100.1, 100.2, 100.3, 100.4, 100.5, 100.6], "BBB": [50.0] * len(DAYS)}, {"AAA": 0.3}
    )
    stop = 4  # AAA's last bar is DAYS[3]; from DAYS[4] on it has none and is delisted there
    for i in range(stop, len(sessions)):
        s = sessions[i]
        bars = {k: v for k, v in s.bars.items() if k != "AAA"}
        actions = (Delisting(symbol="AAA", ex_date=s.day),) if i == stop else ()
        targets = tuple(t for t in s.targets if t.symbol != "AAA")
        sessions[i] = Session(s.day, s.ts_ns, bars, actions, targets, s.decisions)
    outcome = Rig(tmp_path, _config()).run(sessions)
    assert outcome.status is LoopStatus.COMPLETED  # a dead symbol never traps the run
    with JournalReader.open(tmp_path) as reader:
        held = {p.session: p.quantity for p in reader.position_snapshots() if p.symbol == "AAA"}
        before = held[DAYS[stop - 1]]
        assert before > 0
        assert DAYS[stop] not in held
        settled = [e for e in reader.cash_ledger(("DELISTING",))]
        assert [(e.session, e.ref) for e in settled] == [(DAYS[stop], f"AAA:{DAYS[stop]}")]
        assert settled[0].amount_cents == round(before * 100.3 * 100)  # at the last close
        assert not any(o.status.is_open for o in reader.orders() if o.symbol == "AAA")


def test_build_sessions_delists_on_the_first_session_without_a_bar() -> None:
    import polars as pl
    import pyarrow as pa

    from aurora_e2d.data import ACTIONS_SCHEMA
    from aurora_e2d.engine.sessions import build_sessions

    rows = [
        {"date": d, "ts": dt.datetime(d.year, d.month, d.day, 21, tzinfo=dt.UTC), "symbol": s,
         "open": 10.0, "high": 10.0, "low": 10.0, "close": 10.0, "volume": 100}
        for d in DAYS for s in ("AAA", "BBB") if not (s == "AAA" and d > DAYS[2])
    ]  # fmt: skip
    bars = pl.DataFrame(rows)
    decisions = pl.DataFrame(
        {"date": DAYS, "symbol": ["BBB"] * len(DAYS), "target_weight": [0.1] * len(DAYS),
         "rank": [1] * len(DAYS), "prediction": [0.0] * len(DAYS), "vetoed": [False] * len(DAYS),
         "veto_reason": [None] * len(DAYS)}
    )  # fmt: skip
    sessions = build_sessions(bars, decisions, ACTIONS_SCHEMA.empty_table())
    actions = {s.day: s.actions for s in sessions if s.actions}
    assert actions == {DAYS[3]: (Delisting(symbol="AAA", ex_date=DAYS[3]),)}
    assert isinstance(pa.table({"x": [1]}), pa.Table)
    # What an evening builds (the sessions after the last committed one) is the tail of the whole
    # window's, the delisting placed by the whole window's days included.
    for after in DAYS:
        tail = build_sessions(bars, decisions, ACTIONS_SCHEMA.empty_table(), after=after)
        assert [_as_tuple(s) for s in tail] == [_as_tuple(s) for s in sessions if s.day > after]


def _as_tuple(session):
    return (
        session.day, session.ts_ns, session.actions, session.targets, session.decisions_digest(),
        sorted((symbol, bar.close, bar.volume) for symbol, bar in session.bars.items()),
    )  # fmt: skip


def test_a_trade_beyond_the_order_limit_is_one_clipped_order_a_session_journaled_with_its_decision(
    tmp_path: Path,
) -> None:
    """$300k of AAA with max_order_qty_shares = 1,000: one order of at most 1,000 shares a session;
    the clip (field, shares wanted and ordered) sits in the journaled decision, and nothing is rejected."""
    outcome = Rig(tmp_path, _config(max_order_qty_shares=1_000)).run(_sessions(FLAT, {"AAA": 0.3}))
    assert outcome.status is LoopStatus.COMPLETED
    with JournalReader.open(tmp_path) as reader:
        orders = reader.orders()
        per_session = [(o.session, o.symbol) for o in orders]
        assert len(per_session) == len(set(per_session)) == 3  # the position is built over three sessions
        assert [o.quantity for o in orders][:2] == [1_000, 1_000]
        assert 990 <= orders[2].quantity <= 1_000
        assert all(r.status == "accepted" for r in reader.route_results())
        held = {p.symbol: p.quantity for p in reader.positions() if p.quantity}
        assert 2_990 <= held["AAA"] <= 3_000
        first = {symbol: payload for _, day, symbol, payload in reader.decisions() if day == DAYS[0]}
    assert first["AAA"]["sizing"] == {
        "reason": "max_order_qty_shares",
        "side": "BUY",
        "wanted_qty": 3_000,
        "ordered_qty": 1_000,
        "limit": 1_000,
    }
    assert "sizing" not in first["BBB"]
