"""The ledger of one whole real run reconciles, session by session, recomputed independently.

One full default `aurora run` (real bars 2003..2013, ~2,560 sessions, real
fills, a real split of MSFT between an order and its fill, real IBM/MSFT
dividends). Everything below is recomputed here from the raw bars
(``bars.parquet``), the config and the journal's primitive rows -- not read
back from the columns the broker derived (the journal's CHECK constraint on
``equity_snapshots`` only proves the broker added its own numbers):

- every session: cash + Σ position × raw close = equity, to the cent, and
  positions equal the running sum of fills (and splits);
- cash equals the starting cash plus the cash ledger, and the ledger's fills,
  commissions and dividends match the fills and the positions at ex-date;
- fills never exceed the order, never breach the limit, happen at the next
  session's raw open ± slippage exactly, and every unfilled order expired
  because that open was outside its limit;
- ``fill_rate`` in summary.json equals filled / accepted in orders.parquet.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from _runs import cached_run, decision_sessions, query

CENT = Decimal("0.01")
TICK = Decimal("0.0001")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cached_run(tmp_path_factory).run_dir  # the default config, the whole bundled data


@pytest.fixture(scope="module")
def raw_bars(run_dir: Path) -> dict[tuple[str, str], tuple[float, float]]:
    """(ISO session, symbol) -> (raw open, raw close)."""
    table = pq.read_table(run_dir / "bars.parquet", columns=["date", "symbol", "open", "close"])
    rows = zip(*(table.column(c).to_pylist() for c in ("date", "symbol", "open", "close")), strict=True)
    return {(d.isoformat(), s): (o, c) for d, s, o, c in rows}


@pytest.fixture(scope="module")
def config(run_dir: Path) -> dict:
    return json.loads((run_dir / "config.json").read_text())["config"]


def dec(value: float) -> Decimal:
    return Decimal(repr(value))


def test_the_run_is_the_whole_window(run_dir: Path) -> None:
    sessions = decision_sessions(run_dir)
    assert len(sessions) > 2_500
    equity_sessions = [r[0] for r in query(run_dir, "SELECT session FROM equity_snapshots ORDER BY 1")]
    assert equity_sessions == sessions
    assert query(run_dir, "SELECT COUNT(*) FROM fills")[0][0] > 1_000


def test_every_session_cash_plus_positions_at_raw_close_is_equity(run_dir: Path, raw_bars: dict) -> None:
    positions: dict[str, dict[str, int]] = defaultdict(dict)
    for session, symbol, quantity, mark in query(
        run_dir, "SELECT session, symbol, quantity, mark_price FROM position_snapshots"
    ):
        close = raw_bars[(session, symbol)][1]
        assert mark == close, f"{session} {symbol}: marked at {mark}, raw close {close}"
        positions[session][symbol] = quantity
    worst = Decimal(0)
    checked = 0
    for session, cash_cents, market_cents, equity_cents in query(
        run_dir, "SELECT session, cash_cents, market_value_cents, equity_cents FROM equity_snapshots"
    ):
        market = sum(
            (Decimal(q) * dec(raw_bars[(session, s)][1]) for s, q in positions[session].items()), Decimal(0)
        )
        recomputed = Decimal(cash_cents) / 100 + market
        error = abs(recomputed - Decimal(equity_cents) / 100)
        worst = max(worst, error)
        assert error < CENT, (
            f"{session}: cash + positions x close = {recomputed}, equity {equity_cents / 100}"
        )
        assert abs(Decimal(market_cents) / 100 - market) < CENT
        checked += 1
    assert checked > 2_500
    print(f"\nledger: {checked} sessions reconciled, worst difference ${worst}")


def test_equity_artifact_matches_the_journal(run_dir: Path) -> None:
    table = pq.read_table(run_dir / "equity.parquet", columns=["date", "cash_usd", "equity"])
    artifact = {
        d.isoformat(): (c, e)
        for d, c, e in zip(
            *(table.column(n).to_pylist() for n in ("date", "cash_usd", "equity")), strict=True
        )
    }
    journal = {
        s: (c / 100.0, e / 100.0)
        for s, c, e in query(run_dir, "SELECT session, cash_cents, equity_cents FROM equity_snapshots")
    }
    assert artifact == journal


def test_positions_are_the_running_sum_of_fills_and_splits(run_dir: Path) -> None:
    fills: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for session, symbol, side, quantity in query(
        run_dir, "SELECT session, symbol, side, quantity FROM fills ORDER BY seq"
    ):
        fills[session].append((symbol, side, quantity))
    splits: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for session, symbol, data in query(
        run_dir, "SELECT session, symbol, data_json FROM corporate_action_events ORDER BY seq"
    ):
        event = json.loads(data)
        if event["event"] == "SplitApplied":
            splits[session].append((symbol, event["ratio"]))
    snapshots: dict[str, dict[str, int]] = defaultdict(dict)
    for session, symbol, quantity in query(
        run_dir, "SELECT session, symbol, quantity FROM position_snapshots"
    ):
        snapshots[session][symbol] = quantity
    held: dict[str, int] = defaultdict(int)
    for session in decision_sessions(run_dir):
        for symbol, ratio in splits[session]:  # actions apply before the open's fills
            held[symbol] = int(Decimal(held[symbol]) * dec(ratio))  # fraction is paid as cash
        for symbol, side, quantity in fills[session]:
            held[symbol] += quantity if side == "BUY" else -quantity
        expected = {s: q for s, q in held.items() if q != 0}
        assert snapshots[session] == expected, (
            f"{session}: positions {snapshots[session]} != fills {expected}"
        )
    assert splits, "the full window contains the 2003 MSFT split"


def test_cash_is_starting_cash_plus_a_ledger_that_matches_fills_and_dividends(run_dir: Path) -> None:
    starting = query(run_dir, "SELECT starting_cash_cents FROM account")[0][0]
    by_session: dict[str, int] = defaultdict(int)
    by_ref: dict[tuple[str, str], int] = {}
    for session, kind, ref, amount in query(
        run_dir, "SELECT session, kind, ref, amount_cents FROM cash_ledger ORDER BY seq"
    ):
        by_session[session] += amount
        by_ref[(kind, ref)] = by_ref.get((kind, ref), 0) + amount
    cash = starting
    for session, cash_cents in query(
        run_dir, "SELECT session, cash_cents FROM equity_snapshots ORDER BY session"
    ):
        cash += by_session.get(session, 0)
        assert cash == cash_cents, f"{session}: starting cash + ledger = {cash}, journal cash {cash_cents}"
    for fill_id, side, quantity, price, gross, commission in query(
        run_dir, "SELECT fill_id, side, quantity, price, gross_cents, commission_cents FROM fills"
    ):
        assert abs(Decimal(quantity) * dec(price) * 100 - gross) <= Decimal("0.5")
        assert by_ref[("FILL", fill_id)] == (-gross if side == "BUY" else gross)
        assert by_ref[("COMMISSION", fill_id)] == -commission
    dividends = 0
    for (data,) in query(run_dir, "SELECT data_json FROM corporate_action_events"):
        event = json.loads(data)
        if event["event"] == "DividendCredited":
            expected = Decimal(event["position"]) * dec(event["amount_per_share_usd"]) * 100
            assert abs(expected - event["cash_cents"]) <= Decimal("0.5")
            dividends += event["cash_cents"]
    assert dividends == sum(v for (kind, _), v in by_ref.items() if kind == "DIVIDEND") > 0


def test_fills_respect_quantity_limit_and_next_open_plus_slippage(
    run_dir: Path, raw_bars: dict, config: dict
) -> None:
    sessions = decision_sessions(run_dir)
    following = dict(itertools.pairwise(sessions))
    slip = dec(config["execution"]["slippage_bps"]) / 10_000
    per_share = dec(config["execution"]["commission_per_share_usd"])
    minimum = dec(config["execution"]["min_commission_usd"])
    orders = {
        coid: (session, symbol, side, quantity, limit, status)
        for coid, session, symbol, side, quantity, limit, status in query(
            run_dir,
            "SELECT client_order_id, session, symbol, side, quantity, limit_price, status FROM orders",
        )
    }
    filled: dict[str, int] = defaultdict(int)
    for coid, session, symbol, side, quantity, price, commission in query(
        run_dir, "SELECT client_order_id, session, symbol, side, quantity, price, commission_cents FROM fills"
    ):
        placed, o_symbol, o_side, o_quantity, limit, _ = orders[coid]
        assert (symbol, side) == (o_symbol, o_side)
        assert session == following[placed], f"{coid}: placed {placed}, filled {session}"
        filled[coid] += quantity
        assert filled[coid] <= o_quantity, f"{coid}: filled {filled[coid]} of {o_quantity}"
        open_ = dec(raw_bars[(session, symbol)][0])
        if side == "BUY":
            assert price <= limit
            expected = min((open_ * (1 + slip)).quantize(TICK, rounding=ROUND_CEILING), dec(limit))
        else:
            assert price >= limit
            expected = max((open_ * (1 - slip)).quantize(TICK, rounding=ROUND_FLOOR), dec(limit))
        assert dec(price) == expected, f"{coid}: price {price}, open {open_}, limit {limit}"
        fee = max((Decimal(quantity) * per_share * 100), minimum * 100)
        assert abs(fee - commission) <= Decimal("0.5")
    for coid, (placed, symbol, side, _quantity, limit, status) in orders.items():
        if coid in filled:
            assert status in ("FILLED", "PARTIALLY_FILLED")
            continue
        if status == "ACCEPTED":  # placed at the last session: its open comes with the next data
            assert placed not in following, f"{coid}: still open although {placed} has a next session"
            continue
        assert status == "EXPIRED", f"{coid}: {status} without a fill"
        open_ = raw_bars[(following[placed], symbol)][0]
        assert open_ > limit if side == "BUY" else open_ < limit, f"{coid}: expired though the open crossed"


def test_fill_rate_is_filled_over_accepted_orders_that_met_an_open(run_dir: Path) -> None:
    table = pq.read_table(run_dir / "orders.parquet", columns=["route_status", "status", "filled_quantity"])
    rows = table.to_pylist()
    met_open = [r for r in rows if r["route_status"] == "accepted" and r["status"] != "ACCEPTED"]
    still_open = [r for r in rows if r["route_status"] == "accepted" and r["status"] == "ACCEPTED"]
    filled = sum(r["filled_quantity"] > 0 for r in met_open)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert met_open
    assert still_open
    assert 0 < filled < len(met_open)
    assert summary["metrics"]["fill_rate"] == filled / len(met_open)
    journal_filled = query(run_dir, "SELECT COUNT(DISTINCT client_order_id) FROM fills")[0][0]
    journal_accepted = query(
        run_dir, "SELECT COUNT(*) FROM route_results WHERE action = 'submit' AND status = 'accepted'"
    )[0][0]
    assert (journal_filled, journal_accepted) == (filled, len(met_open) + len(still_open))
