"""Stage 7: ranking, tie-break, risk veto and the decisions frame."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aurora_e2d.research.decisions import (
    DECISIONS_SCHEMA,
    GROSS_TOLERANCE,
    PREDICTION_QUANTUM,
    PREDICTIONS_SCHEMA,
    STRATEGY,
    decide,
    quantise,
    target_weights,
)


def weights(preds, symbols=None, sessions=None, **limits):
    symbols = np.array(symbols if symbols is not None else [f"S{i}" for i in range(len(preds))])
    sessions = np.array(sessions if sessions is not None else [0] * len(preds))
    return target_weights(sessions, symbols, np.array(preds, dtype=np.float64), **limits)


def predictions_frame(rows):
    """rows: (symbol, date, prediction)."""
    return pl.DataFrame(
        {
            "symbol": [r[0] for r in rows],
            "date": [r[1] for r in rows],
            "ts": [dt.datetime.combine(r[1], dt.time(21), tzinfo=dt.UTC) for r in rows],
            "fold_year": pl.Series([r[1].year for r in rows], dtype=pl.Int32),
            "model": ["ridge"] * len(rows),
            "prediction": pl.Series([r[2] for r in rows], dtype=pl.Float32),
        },
        schema_overrides={"ts": pl.Datetime("us", "UTC")},
    )


class TestRanking:
    def test_top_two_equal_weight(self):
        rank, w, vetoed, reason = weights([0.01, 0.03, -0.02, 0.02], ["A", "B", "C", "D"])
        assert rank.tolist() == [3, 1, 4, 2]
        assert w.tolist() == [0.0, 0.5, 0.0, 0.5]
        assert not vetoed.any()
        assert reason.tolist() == [None] * 4
        assert rank.dtype == np.int32

    def test_long_only_even_when_all_predictions_negative(self):
        _, w, _, _ = weights([-0.03, -0.01, -0.02], ["A", "B", "C"])
        assert w.tolist() == [0.0, 0.5, 0.5]

    def test_tie_broken_by_symbol_name_ascending(self):
        rank, w, _, _ = weights([0.02, 0.02, 0.02], ["MSFT", "AAPL", "IBM"])
        assert rank.tolist() == [3, 1, 2]
        assert w.tolist() == [0.0, 0.5, 0.5]

    def test_values_within_one_quantum_bucket_tie(self):
        base = 0.0123450
        rank, _, _, _ = weights([base + 0.4e-6, base - 0.4e-6, base], ["C", "B", "A"])
        assert rank.tolist() == [3, 2, 1]  # all quantise to the same integer; names decide

    def test_values_in_different_buckets_rank_by_value(self):
        rank, _, _, _ = weights([0.001 + 2e-6, 0.001], ["B", "A"])
        assert rank.tolist() == [1, 2]

    def test_sessions_are_ranked_independently(self):
        rank, w, _, _ = weights([0.1, 0.2, 0.3, 0.3, 0.2, 0.1], ["A", "B", "C"] * 2, [1, 1, 1, 2, 2, 2])
        assert rank.tolist() == [3, 2, 1, 1, 2, 3]
        assert w.tolist() == [0.0, 0.5, 0.5, 0.5, 0.5, 0.0]

    def test_empty(self):
        rank, w, vetoed, reason = weights([])
        assert rank.size == w.size == vetoed.size == reason.size == 0

    @settings(max_examples=200, deadline=None)
    @given(
        st.lists(st.tuples(st.integers(-20_000, 20_000), st.floats(-0.4, 0.4)), min_size=1, max_size=8),
        st.sampled_from([1e-9, -1e-9]),
    )
    def test_perturbation_of_1e9_never_flips_a_decision(self, rows, eps):
        # Values away from a rounding edge (as float noise of 1e-8 is away from 5e-7): decisions must not move.
        preds = np.array([(k + off) * PREDICTION_QUANTUM for k, off in rows])
        symbols = [f"S{i}" for i in range(len(rows))]
        base = weights(preds, symbols)
        noisy = weights(preds + eps * np.arange(1, len(rows) + 1), symbols)
        assert base[0].tolist() == noisy[0].tolist()
        assert base[1].tolist() == noisy[1].tolist()

    def test_quantise_grid_and_rounding_edge(self):
        assert quantise(np.array([0.0, 1e-6, -1e-6, 0.0123456789])).tolist() == [0, 1, -1, 12346]
        assert quantise(np.array([0.49e-6, 0.51e-6])).tolist() == [0, 1]
        assert quantise(np.array([])).dtype == np.int64

    @pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
    def test_non_finite_prediction_refused(self, bad):
        with pytest.raises(ValueError, match=r"prediction at row 1 must be finite"):
            weights([0.1, bad])

    def test_duplicate_key_refused(self):
        with pytest.raises(ValueError, match=r"duplicate decision key: session 0, symbol 'A'"):
            weights([0.1, 0.2, 0.3], ["A", "B", "A"])  # not adjacent by prediction


class TestRiskVeto:
    def test_single_symbol_is_cut_to_max_weight(self):
        rank, w, vetoed, reason = weights([0.01], ["A"])
        assert (rank.tolist(), w.tolist(), vetoed.tolist(), reason.tolist()) == (
            [1],
            [0.5],
            [True],
            ["max_weight"],
        )

    def test_weight_at_the_limit_is_not_vetoed(self):
        _, w, vetoed, _ = weights([0.1, 0.2], ["A", "B"], max_weight=0.5)
        assert w.tolist() == [0.5, 0.5]
        assert not vetoed.any()

    def test_gross_exposure_scaled_down(self):
        _, w, vetoed, reason = weights([0.1, 0.2, 0.3, 0.0], ["A", "B", "C", "D"], top_k=3, max_gross=0.9)
        assert w.tolist() == pytest.approx([0.3, 0.3, 0.3, 0.0], abs=1e-15)
        assert vetoed.tolist() == [True, True, True, False]
        assert reason.tolist() == ["max_gross", "max_gross", "max_gross", None]

    def test_gross_at_the_limit_with_rounding_is_not_a_breach(self):
        _, w, vetoed, _ = weights(list(range(7)), list("ABCDEFG"), top_k=7, max_weight=1.0, max_gross=1.0)
        assert w.tolist() == [1 / 7] * 7
        assert not vetoed.any()
        _, _, vetoed, _ = weights([0.1, 0.2], ["A", "B"], top_k=2, max_gross=1.0 - 2 * GROSS_TOLERANCE)
        assert vetoed.all()

    def test_both_reasons_recorded_in_order(self):
        _, w, vetoed, reason = weights([0.1], ["A"], top_k=1, max_weight=0.8, max_gross=0.5)
        assert (w.tolist(), vetoed.tolist(), reason.tolist()) == ([0.5], [True], ["max_weight+max_gross"])

    @pytest.mark.parametrize(
        ("limits", "message"),
        [
            ({"top_k": 0}, "'top_k' must be >= 1, was 0"),
            ({"max_weight": 0.0}, r"'max_weight' must be in \(0, 1\], was 0.0"),
            ({"max_weight": 1.5}, r"'max_weight' must be in \(0, 1\], was 1.5"),
            ({"max_gross": 0.0}, r"'max_gross' must be in \(0, 2\], was 0.0"),
            ({"max_gross": float("nan")}, r"'max_gross' must be in \(0, 2\], was nan"),
        ],
    )
    def test_bad_limits_refused(self, limits, message):
        with pytest.raises(ValueError, match=message):
            weights([0.1], ["A"], **limits)

    @settings(max_examples=200, deadline=None)
    @given(
        st.lists(st.tuples(st.integers(0, 3), st.floats(-1, 1)), min_size=1, max_size=30),
        st.integers(1, 4),
        st.floats(0.05, 1.0),
        st.floats(0.05, 2.0),
    )
    def test_invariants(self, rows, top_k, max_weight, max_gross):
        sessions = np.array([s for s, _ in rows])
        symbols = np.array([f"S{i}" for i in range(len(rows))])
        preds = np.array([p for _, p in rows])
        rank, w, vetoed, reason = target_weights(
            sessions, symbols, preds, top_k=top_k, max_weight=max_weight, max_gross=max_gross
        )
        assert (w >= 0).all()
        assert (w <= max_weight + 1e-15).all()
        for key in np.unique(sessions):
            sel = sessions == key
            assert sorted(rank[sel].tolist()) == list(range(1, sel.sum() + 1))
            assert w[sel].sum() <= max_gross + GROSS_TOLERANCE + 1e-12
            assert (w[sel] > 0).sum() == min(top_k, sel.sum())
            held_ranks = rank[sel][w[sel] > 0]
            assert held_ranks.max() == min(top_k, sel.sum())
        assert ((reason != None) == vetoed).all()  # noqa: E711 (object array comparison)


class TestDecide:
    D1, D2 = dt.date(2010, 1, 4), dt.date(2010, 1, 5)

    def rows(self):
        return [
            ("MSFT", self.D1, 0.01),
            ("AAPL", self.D1, 0.03),
            ("IBM", self.D1, -0.01),
            ("AAPL", self.D2, -0.02),
            ("IBM", self.D2, 0.0),
            ("MSFT", self.D2, 0.02),
        ]

    def test_one_row_per_decision_key_including_zero_weights(self):
        out = decide(predictions_frame(self.rows()))
        assert out.columns == DECISIONS_SCHEMA.names
        assert out.select("strategy", "date", "symbol").rows() == [
            (STRATEGY, self.D1, "AAPL"),
            (STRATEGY, self.D1, "IBM"),
            (STRATEGY, self.D1, "MSFT"),
            (STRATEGY, self.D2, "AAPL"),
            (STRATEGY, self.D2, "IBM"),
            (STRATEGY, self.D2, "MSFT"),
        ]
        assert out["target_weight"].to_list() == [0.5, 0.0, 0.5, 0.0, 0.5, 0.5]
        assert out["rank"].to_list() == [1, 3, 2, 3, 2, 1]
        assert out["prediction"].to_list()[0] == float(np.float32(0.03))
        assert out["vetoed"].to_list() == [False] * 6
        assert out["veto_reason"].to_list() == [None] * 6

    def test_matches_the_declared_schema_exactly(self):
        table = decide(predictions_frame(self.rows())).to_arrow()
        assert table.cast(DECISIONS_SCHEMA).schema.equals(DECISIONS_SCHEMA)
        assert [f.type for f in table.schema] == [
            pa.large_string() if t == pa.string() else t for t in DECISIONS_SCHEMA.types
        ]
        assert PREDICTIONS_SCHEMA.field("prediction").type == pa.float32()

    def test_input_order_does_not_matter(self):
        rows = self.rows()
        a = decide(predictions_frame(rows))
        b = decide(predictions_frame(rows[::-1]))
        assert a.equals(b)

    def test_ranks_by_symbol_order_on_ties_and_names_a_repeated_key(self):
        """decide ranks through integer codes of the symbols: ties still go by the names' order
        (which is not the rows' order here), and a repeated key is still named, not numbered."""
        tied = [("ZZ", self.D1, 0.02), ("AB", self.D1, 0.02), ("M", self.D1, 0.02), ("AA", self.D1, 0.02)]
        out = decide(predictions_frame(tied))
        by_symbol = dict(zip(out["symbol"].to_list(), out["rank"].to_list(), strict=True))
        assert by_symbol == {"AA": 1, "AB": 2, "M": 3, "ZZ": 4}
        names = np.array([s for s, _, _ in tied])
        rank = weights([0.02] * 4, list(names))[0]
        assert dict(zip(names.tolist(), rank.tolist(), strict=True)) == by_symbol  # as with names
        with pytest.raises(ValueError, match=rf"duplicate decision key: session {self.D1}, symbol 'M'"):
            decide(predictions_frame([*tied, ("M", self.D1, -0.5)]))

    def test_veto_recorded_in_frame(self):
        out = decide(predictions_frame([("AAPL", self.D1, 0.1)]))
        assert out.row(0, named=True)["veto_reason"] == "max_weight"
        assert out.row(0, named=True)["target_weight"] == 0.5
