import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aurora_e2d.core.errors import InputError
from aurora_e2d.data.corpactions import BARS_SCHEMA, Mode, normalise
from aurora_e2d.data.sessions import attach_session_close

D = dt.date
RAW = ["symbol", "date", "ts", "open", "high", "low", "close", "volume"]


@pytest.fixture(scope="module")
def session_bars(snapshot, xnys):
    return pl.from_arrow(attach_session_close(snapshot.prices, xnys))


@pytest.fixture(scope="module")
def actions(snapshot):
    return pl.from_arrow(snapshot.actions)


@pytest.fixture(scope="module")
def bars(session_bars, actions):
    return normalise(session_bars, actions, Mode.TOTAL_RETURN)


def _returns(frame: pl.DataFrame, column: str) -> pl.Series:
    return frame.select((pl.col(column) / pl.col(column).shift(1) - 1.0).over("symbol").alias("r"))["r"]


class TestOracle:
    def test_close_tr_returns_match_source_adj_close(self, bars, session_bars):
        joined = bars.join(session_bars.select("symbol", "date", "adj_close"), on=["symbol", "date"])
        worst = (
            joined.with_columns(ours=_returns(joined, "close_tr"), src=_returns(joined, "adj_close"))
            .group_by("symbol")
            .agg((pl.col("ours") - pl.col("src")).abs().max().alias("diff"))
        )
        assert worst.height == 5
        assert worst["diff"].max() <= 1e-10

    def test_anchored_at_last_raw_close(self, bars):
        last = bars.group_by("symbol").agg(pl.all().last())
        assert (last["close_tr"] == last["close"]).all()

    def test_split_day_total_return_is_continuous(self, bars):
        aapl = bars.filter(pl.col("symbol") == "AAPL")
        day = aapl.with_row_index().filter(pl.col("date") == D(2000, 6, 21))["index"][0]
        raw_ret = aapl["close"][day] / aapl["close"][day - 1] - 1
        tr_ret = aapl["close_tr"][day] / aapl["close_tr"][day - 1] - 1
        assert raw_ret < -0.45
        assert abs(tr_ret) < 0.1

    def test_schema(self, bars):
        assert bars.to_arrow().schema.remove_metadata().names == BARS_SCHEMA.names
        assert str(bars.schema["ts"]) == "Datetime(time_unit='us', time_zone='UTC')"
        assert bars.height == 12154


class TestModes:
    def test_raw_prices_never_altered(self, session_bars, actions):
        for mode in Mode:
            out = normalise(session_bars, actions, mode)
            assert out.select(RAW).equals(session_bars.select(RAW))

    def test_raw_mode(self, session_bars, actions):
        out = normalise(session_bars, actions, "raw")
        assert out["close_adj"].equals(out["close"], check_names=False)
        assert out["volume_adj"].equals(out["volume"], check_names=False)

    def test_split_adjusted_volume_and_price(self, session_bars, actions):
        out = normalise(session_bars, actions, "split_adjusted").filter(pl.col("symbol") == "AAPL")
        # anchored at the first bar: untouched before both 2:1 splits, x4 / 4 after them
        row = out.filter(pl.col("date") == D(2000, 6, 20)).row(0, named=True)
        assert (row["volume_adj"], row["close_adj"]) == (row["volume"], row["close"])
        after = out.filter(pl.col("date") == D(2005, 2, 28)).row(0, named=True)
        assert after["close_adj"] == after["close"] * 4
        assert after["volume_adj"] == round(after["volume"] / 4)
        ibm = normalise(session_bars, actions, "split_adjusted").filter(pl.col("symbol") == "IBM")
        assert ibm["close_adj"].equals(ibm["close"], check_names=False)  # dividends only: untouched

    def test_unknown_mode(self, session_bars, actions):
        with pytest.raises(
            InputError,
            match=r"^'corporate_actions.mode': must be one of raw, split_adjusted, total_return, was 'adj'$",
        ):
            normalise(session_bars, actions, "adj")

    def test_bad_action_rows(self, session_bars, actions):
        bad = actions.with_columns(
            pl.when(pl.col("kind") == "split").then(-2.0).otherwise(None).alias("split_ratio")
        )
        with pytest.raises(InputError, match=r"'actions AAPL 2000-06-21 split_ratio': must be > 0, was -2.0"):
            normalise(session_bars, bad, "raw")


def _synthetic(closes: list[float], symbol: str = "X") -> pl.DataFrame:
    n = len(closes)
    dates = [D(2020, 1, 1) + dt.timedelta(days=i) for i in range(n)]
    return pl.DataFrame(
        {
            "symbol": [symbol] * n,
            "date": dates,
            "ts": [dt.datetime.combine(d, dt.time(21), tzinfo=dt.UTC) for d in dates],
            "open": closes,
            "high": closes,
            "low": closes,
            "close": closes,
            "volume": [1000] * n,
        }
    )


def _events(rows) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "symbol": pl.String,
            "ex_date": pl.Date,
            "kind": pl.String,
            "split_ratio": pl.Float64,
            "dividend_usd": pl.Float64,
        },
        orient="row",
    )


closes_st = st.lists(st.floats(1.0, 1000.0), min_size=3, max_size=40)
event_st = st.tuples(
    st.integers(0, 45),
    st.sampled_from(["split", "dividend"]),
    st.sampled_from([0.5, 1.5, 2.0, 3.0]),
    st.floats(0.01, 5.0).map(lambda x: round(x, 2)),
)


def _to_events(raw, n):
    return _events(
        [
            (
                "X",
                D(2020, 1, 1) + dt.timedelta(days=i),
                k,
                r if k == "split" else None,
                None if k == "split" else d,
            )
            for i, k, r, d in raw
        ]
    )


class TestProperties:
    @settings(max_examples=60, deadline=None)
    @given(closes_st, st.integers(1, 100), st.sampled_from([2.0, 3.0, 0.5]))
    def test_synthetic_split_leaves_total_return_returns_unchanged(self, closes, at, ratio):
        at = 1 + at % (len(closes) - 1)
        base = normalise(_synthetic(closes), _events([]), "total_return")
        split_closes = [c / ratio if i >= at else c for i, c in enumerate(closes)]
        split = normalise(
            _synthetic(split_closes),
            _events([("X", D(2020, 1, 1) + dt.timedelta(days=at), "split", ratio, None)]),
            "total_return",
        )
        np.testing.assert_allclose(
            _returns(split, "close_tr").to_numpy()[1:],
            _returns(base, "close_tr").to_numpy()[1:],
            rtol=0,
            atol=1e-12,
        )

    @settings(max_examples=60, deadline=None)
    @given(
        closes_st,
        st.lists(event_st, max_size=6),
        st.sampled_from(list(Mode)),
        st.randoms(use_true_random=False),
    )
    def test_idempotent_and_event_order_free(self, closes, raw_events, mode, rnd):
        bars = _synthetic(closes)
        events = _to_events(raw_events, len(closes))
        once = normalise(bars, events, mode)
        assert normalise(once, events, mode).equals(once)
        shuffled = (
            events.sample(fraction=1.0, shuffle=True, seed=rnd.randint(0, 2**31)) if events.height else events
        )
        assert normalise(bars, shuffled, mode).equals(once)
        assert once.select(RAW).equals(bars.select(RAW))

    @settings(max_examples=60, deadline=None)
    @given(closes_st, st.lists(event_st, max_size=6), st.integers(1, 39), st.sampled_from(list(Mode)))
    def test_appending_sessions_never_changes_an_earlier_adjusted_row(self, closes, raw_events, cut, mode):
        """The series features and labels read stand under appends, ex-dates included: an evening
        must not rewrite history (ADR 0016). ``close_tr`` (back-adjusted) may; it is not read there."""
        bars, events = _synthetic(closes), _to_events(raw_events, len(closes))
        cut = 1 + cut % len(closes)
        early = normalise(bars.head(cut), events, mode)
        later = normalise(bars, events, mode).head(cut)
        assert early.select(*RAW, "close_adj", "volume_adj").equals(
            later.select(*RAW, "close_adj", "volume_adj")
        )

    @settings(max_examples=60, deadline=None)
    @given(closes_st, st.lists(event_st, max_size=6))
    def test_total_return_close_adj_has_the_returns_of_close_tr(self, closes, raw_events):
        out = normalise(_synthetic(closes), _to_events(raw_events, len(closes)), "total_return")
        np.testing.assert_allclose(
            _returns(out, "close_adj").to_numpy()[1:], _returns(out, "close_tr").to_numpy()[1:], rtol=1e-12
        )
        assert out["close_adj"][0] == out["close"][0]  # anchored at the first bar

    def test_symbols_are_independent(self, session_bars, actions, bars):
        msft = normalise(session_bars.filter(pl.col("symbol") == "MSFT"), actions, "total_return")
        assert msft.equals(bars.filter(pl.col("symbol") == "MSFT"))

    def test_dividend_uses_ex_date_close(self):
        out = normalise(
            _synthetic([100.0, 99.0, 99.0]),
            _events([("X", D(2020, 1, 2), "dividend", None, 1.0)]),
            "total_return",
        )
        assert out["close_tr"].to_list() == [100.0 * 99.0 / 100.0, 99.0, 99.0]

    def test_event_on_non_bar_date_applies_to_next_bar_and_after_last_is_ignored(self):
        bars = _synthetic([10.0, 10.0, 5.0]).filter(pl.col("date") != D(2020, 1, 2))
        out = normalise(
            bars,
            _events([("X", D(2020, 1, 2), "split", 2.0, None), ("X", D(2021, 1, 1), "split", 2.0, None)]),
            "total_return",
        )
        assert out["close_tr"].to_list() == [5.0, 5.0]
