"""The report as a tear sheet, on real runs: benchmarks, monthly returns, drawdowns, trades, costs,
the binding limit, the before-costs reference over the run's own sessions and caps, and a
60-symbol universe that stays readable (top contributors, no collapsed layout).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import empyrical
import numpy as np
import pandas as pd
import polars as pl
import pytest

from _runs import DRAWDOWN_TOML, SHORT_WINDOW, aurora_here, cached_run, copy_run
from _svg import overflowing
from aurora_e2d.report import _data as data
from aurora_e2d.report import benchmarks, metrics, tearsheet
from aurora_e2d.report._numbers import numbers
from aurora_e2d.report.exposure import binding_limits
from aurora_e2d.report.page import write_report
from aurora_e2d.report.portfolio import PositionCaps, simulate
from aurora_e2d.report.summary import frictionless_returns, idealised_metrics
from aurora_e2d.report.trades import costs_by_year, round_trips
from aurora_e2d.rundir.config import validate_config
from aurora_e2d.rundir.layout import BINDING_MEMO_FILE
from aurora_e2d.rundir.readers import load_run_config


def run(root: Path, name: str, *args: str, expect: int = 0) -> Path:
    run_dir = root / name
    done = aurora_here("run", "--run-dir", run_dir, *args)
    assert done.returncode == expect, done.stderr[-3000:]
    return run_dir


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the test run's shared short-window run (tests here write its report)."""
    return copy_run(
        cached_run(tmp_path_factory, *SHORT_WINDOW).run_dir, tmp_path_factory.mktemp("tear") / "short"
    )


@pytest.fixture(scope="module")
def halted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shared = cached_run(tmp_path_factory, *SHORT_WINDOW, config_toml=DRAWDOWN_TOML, expect=4)
    return copy_run(shared.run_dir, tmp_path_factory.mktemp("tear-halted") / "halted")


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SYNTHETIC 60-symbol universe held long enough to trade dozens of symbols."""
    root = tmp_path_factory.mktemp("tear-wide")
    done = aurora_here(
        "data", "synthetic", "--symbols", "60", "--years", "4", "--seed", "7", "--out", root / "syn"
    )
    assert done.returncode == 0, done.stderr
    (root / "loose.toml").write_text("[limits]\nmax_drawdown_pct = 90.0\nmax_daily_loss_pct = 50.0\n")
    return run(root, "wide", "--snapshot", str(root / "syn"), "--config", str(root / "loose.toml"))


def series_of(run_dir: Path) -> data.Series:
    s = data.series(run_dir)
    assert s is not None
    return s


class TestBenchmarks:
    def test_alpha_and_beta_are_empyricals(self, short: Path) -> None:
        s = series_of(short)
        base = benchmarks.baselines(pl.read_parquet(short / "bars.parquet"), s.dates)
        alpha, beta = empyrical.alpha_beta(pd.Series(s.returns), pd.Series(base.equal_weight))
        assert benchmarks.alpha(s.returns, base.equal_weight) == pytest.approx(alpha, rel=1e-10)
        assert benchmarks.beta(s.returns, base.equal_weight) == pytest.approx(beta, rel=1e-10)

    def test_equal_weight_and_buy_and_hold_by_hand(self, short: Path) -> None:
        bars = pl.read_parquet(short / "bars.parquet")
        s = series_of(short)
        base = benchmarks.baselines(bars, s.dates)
        close = bars.pivot(on="symbol", index="date", values="close_tr").sort("date")
        close = close.filter(pl.col("date").is_in(s.dates))
        names = [c for c in close.columns if c != "date"]
        matrix = close.select(names).to_numpy()
        moves = matrix[1:] / matrix[:-1] - 1.0
        np.testing.assert_allclose(base.equal_weight, np.nanmean(moves, axis=1), rtol=1e-12)
        held = [n for n in names if np.isfinite(matrix[0, names.index(n)])]
        assert base.held == tuple(sorted(held)) == ("AAPL", "FB", "GOOG", "IBM", "MSFT")
        value = (matrix / matrix[0]).mean(axis=1)
        np.testing.assert_allclose(base.buy_and_hold, value[1:] / value[:-1] - 1.0, rtol=1e-12)

    def test_the_table_in_the_report(self, short: Path) -> None:
        html = write_report(short).read_text()
        summary = json.loads((short / "summary.json").read_text())["metrics"]
        assert f'<span data-bench="strategy">{summary["sharpe_ratio"]:.2f}</span>' in html
        for name in ("idealised close-to-close", "equal-weight", "buy-and-hold"):
            assert f'data-bench="{name}"' in html
        assert (
            "equal dollars at the first session in the 5 symbols trading then (AAPL, FB, GOOG, IBM, MSFT)"
            in html
        )


class TestTearSheetNumbers:
    def test_monthly_returns_compound_to_the_equity_change(self, short: Path) -> None:
        s = series_of(short)
        table = tearsheet.monthly_returns(s.dates[1:], s.returns)
        assert table.years == [2012, 2013]
        total = np.prod([1.0 + v for v in table.by_year.values()]) - 1.0
        assert total == pytest.approx(s.equity[-1] / s.equity[0] - 1.0, rel=1e-12)
        assert table.by_month[2012][:5] == [None] * 5  # the run starts in June

    def test_the_deepest_drawdown_period_is_the_max_drawdown(self, short: Path) -> None:
        s = series_of(short)
        periods = tearsheet.drawdown_periods(s.dates, s.equity)
        assert periods[0].depth == pytest.approx(metrics.max_drawdown(s.returns), rel=1e-12)
        assert [p.depth for p in periods] == sorted(p.depth for p in periods)
        assert all(p.peak < p.trough for p in periods)

    def test_drawdown_periods_by_hand(self) -> None:
        from datetime import date, timedelta

        days = [date(2020, 1, 1) + timedelta(days=i) for i in range(8)]
        equity = np.array([100, 110, 99, 105, 111, 100, 90, 95.0])
        first, second = tearsheet.drawdown_periods(days, equity)
        assert (first.peak, first.trough, first.recovery, first.sessions) == (days[4], days[6], None, 3)
        assert first.depth == pytest.approx(90 / 111 - 1)
        assert (second.peak, second.trough, second.recovery, second.sessions) == (
            days[1],
            days[2],
            days[4],
            3,
        )

    def test_rolling_sharpe_is_the_sharpe_of_each_window(self, short: Path) -> None:
        r = series_of(short).returns
        rolled = tearsheet.rolling_sharpe(r, 126)
        assert np.isnan(rolled[:125]).all()
        assert rolled[-1] == metrics.sharpe_ratio(r[-126:])

    def test_trades_add_up_to_each_symbols_pnl(self, short: Path) -> None:
        s = series_of(short)
        trades = round_trips(s.dates, s.quantities, s.values, s.pnl)
        assert len(trades) > 10
        for symbol in s.symbols:
            total = sum(t.pnl_usd for t in trades if t.symbol == symbol)
            assert total == pytest.approx(s.pnl_parts[symbol]["total"], abs=0.01), symbol

    def test_costs_are_the_booked_commissions_and_the_slippage_from_the_open(self, short: Path) -> None:
        fills, bars = pl.read_parquet(short / "fills.parquet"), pl.read_parquet(short / "bars.parquet")
        years = costs_by_year(fills, bars)
        whole = years[-1]
        assert [y.year for y in years] == [2012, 2013, 0]
        assert whole.fills == fills.height
        assert whole.commission_usd == pytest.approx(fills["commission_cents"].sum() / 100.0)
        config = validate_config(json.loads((short / "config.json").read_text())["config"], "config.json")
        assert whole.slippage_usd == pytest.approx(
            config.execution.slippage_bps / 1e4 * whole.traded_usd, rel=0.01
        )

    def test_the_position_limit_caps_the_book(self, short: Path) -> None:
        s = series_of(short)
        found = numbers(short, s, load_run_config(short)).binding
        assert found is not None
        counts = found.counts()
        assert counts["position notional"] > 0.9 * len(found.dates)
        assert counts["daily notional"] == 0
        html = write_report(short).read_text()
        assert f'<span data-binding="position notional">{counts["position notional"]:,}</span>' in html


class TestBindingMemo:
    """The report remembers each session's binding limits with a digest of what its plans read."""

    def _inputs(self, run_dir: Path) -> dict:
        config = load_run_config(run_dir)
        equity = data.read_artifact(run_dir, "equity")
        return {
            "decisions": data.read_artifact(run_dir, "decisions"),
            "equity": equity,
            "positions": data.read_artifact(run_dir, "positions"),
            "bars": data.read_artifact(run_dir, "bars"),
            "limits": config.limits,
            "offset_bps": config.execution.limit_offset_bps,
            "last_session": equity["date"].max(),
        }

    def test_a_remembered_answer_is_the_recomputed_one_and_only_its_own_inputs_reuse_it(
        self, short: Path
    ) -> None:
        inputs = self._inputs(short)
        fresh = binding_limits(**inputs)
        assert len(fresh.memo) == len(fresh.dates)
        # Poisoned answers under the right digests are used (that is what a memo is) ...
        poisoned = {day: [digest, ["gross exposure"]] for day, (digest, _) in fresh.memo.items()}
        assert set(binding_limits(**inputs, known=poisoned).binding) == {("gross exposure",)}
        # ... and under any other limits, offset or code version, none is: every session is planned.
        tighter = inputs["limits"].model_copy(update={"max_gross_exposure_usd": 60_000.0})
        for changed in ({"limits": tighter}, {"offset_bps": inputs["offset_bps"] + 1}):
            again = binding_limits(**{**inputs, **changed}, known=poisoned)
            assert again.binding == binding_limits(**{**inputs, **changed}).binding
        assert binding_limits(**inputs, known=poisoned, code_version="next").binding == fresh.binding
        # One session's equity changed: that session alone is planned again.
        day = fresh.dates[len(fresh.dates) // 2]
        equity = inputs["equity"].with_columns(
            pl.when(pl.col("date") == day).then(pl.col("equity") * 1.5).otherwise(pl.col("equity"))
        )
        moved = binding_limits(**{**inputs, "equity": equity}, known=poisoned)
        redone = [
            d for d, names in zip(moved.dates, moved.binding, strict=True) if names != ("gross exposure",)
        ]
        assert redone == [day]

    def test_the_report_writes_the_memo_and_the_next_report_uses_it_unchanged(self, short: Path) -> None:
        memo = short / BINDING_MEMO_FILE
        memo.unlink(missing_ok=True)
        first = write_report(short).read_bytes()
        remembered = json.loads(memo.read_text())
        assert len(remembered) == len(numbers(short, series_of(short), load_run_config(short)).binding.dates)
        assert write_report(short).read_bytes() == first
        memo.write_text("{not json")  # a damaged memo only costs the planning
        assert write_report(short).read_bytes() == first
        assert json.loads(memo.read_text()) == remembered


@pytest.mark.l1
class TestBeforeCosts:
    def test_a_halted_run_is_compared_over_its_own_sessions_and_caps(self, halted: Path) -> None:
        decisions = pl.read_parquet(halted / "decisions.parquet")
        bars = pl.read_parquet(halted / "bars.parquet")
        equity = pl.read_parquet(halted / "equity.parquet").sort("date")
        config = validate_config(json.loads((halted / "config.json").read_text())["config"], "config.json")
        found = idealised_metrics(frictionless_returns(decisions, bars, equity=equity, limits=config.limits))
        book = simulate(
            decisions,
            bars,
            starting_equity_usd=float(equity["equity"][0]),
            sessions=equity["date"].to_list(),
            caps=PositionCaps.of(config.limits),
        )
        assert book.height == equity.height < decisions["date"].n_unique()
        returns = book["daily_return"].drop_nulls().to_numpy()
        assert found["sharpe_ratio"] == metrics.sharpe_ratio(returns)
        assert found != idealised_metrics(frictionless_returns(decisions, bars))  # the whole window, uncapped

    def test_caps_hold_the_reference_to_the_runs_position_limits(self, short: Path) -> None:
        decisions, bars = (
            pl.read_parquet(short / "decisions.parquet"),
            pl.read_parquet(short / "bars.parquet"),
        )
        config = validate_config(json.loads((short / "config.json").read_text())["config"], "config.json")
        caps = PositionCaps.of(config.limits)
        capped = simulate(decisions, bars, caps=caps)
        assert (capped["gross_exposure"] * capped["equity"]).max() <= caps.gross_usd * (1 + 1e-12)
        uncapped = simulate(decisions, bars)
        assert metrics.max_drawdown(capped["daily_return"].drop_nulls().to_numpy()) > metrics.max_drawdown(
            uncapped["daily_return"].drop_nulls().to_numpy()
        )


@pytest.mark.l1
class TestManySymbols:
    def test_readable_with_top_contributors_and_no_collapsed_layout(self, wide: Path) -> None:
        s = series_of(wide)
        assert len(s.symbols) > 30
        html = write_report(wide).read_text()
        for svg in re.findall(r"<svg\b.*?</svg>", html, re.S):
            assert overflowing(svg) == []  # fixed margins: every legend entry still inside its figure
        pnl_svg = next(
            svg for svg in re.findall(r"<svg\b.*?</svg>", html, re.S) if "Cumulative P&amp;L" in svg
        )
        labels = re.findall(r">(SYN\d{4}|others) [+-][\d,]+<", pnl_svg)
        assert labels[-1] == "others"
        assert len(labels) == 11
        assert f"others ({len(s.symbols) - 10} symbols)" in html
        pnl = html[html.index("id='pnl'") : html.index("id='trades'")]
        assert pnl.count("<tr>") == 1 + 11  # header, ten symbols, others
