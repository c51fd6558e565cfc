"""metrics.py against empyrical-reloaded and against hand-computed boundary values.

No polars here: this module is the mutation-testing target's test and runs under fork.
"""

from __future__ import annotations

import math

import empyrical
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

from aurora_e2d.report import metrics as m

RTOL = 1e-9
SQRT252 = math.sqrt(252)
REAL_LOOKING = np.random.default_rng(2013).standard_t(4, size=2520) * 0.012 + 0.0004

PAIRS = [
    (m.annual_return, empyrical.annual_return),
    (m.annual_volatility, empyrical.annual_volatility),
    (m.sharpe_ratio, empyrical.sharpe_ratio),
    (m.sortino_ratio, empyrical.sortino_ratio),
    (m.downside_risk, empyrical.downside_risk),
    (m.max_drawdown, empyrical.max_drawdown),
    (m.calmar_ratio, empyrical.calmar_ratio),
]


def same(ours: float, theirs: float) -> bool:
    theirs = float(theirs)
    if math.isnan(theirs) or math.isinf(theirs):
        return ours == theirs or (math.isnan(ours) and math.isnan(theirs))
    return math.isclose(ours, theirs, rel_tol=RTOL, abs_tol=1e-15)


def assert_matches_empyrical(returns: np.ndarray) -> None:
    for ours, theirs in PAIRS:
        with np.errstate(all="ignore"):
            expected = theirs(returns.copy())
        got = ours(returns)
        assert isinstance(got, float)
        assert same(got, expected), (
            f"{ours.__name__}: ours {got!r}, empyrical {expected!r}, returns {returns!r}"
        )


class TestAgainstEmpyrical:
    def test_real_looking_returns(self):
        assert_matches_empyrical(REAL_LOOKING)

    @pytest.mark.parametrize(
        "returns",
        [
            [],
            [0.01],
            [-0.02],
            [0.0, 0.0, 0.0],
            [0.01, 0.01, 0.01],
            [-0.01, -0.01],
            [0.01, np.nan, -0.02, 0.03],
            [np.nan, np.nan],
            [np.nan],
            [0.05, -0.5, 0.2, np.nan, -0.1],
            [-1.0, 0.5],
            [0.2, 0.3],
        ],
        ids=repr,
    )
    def test_edge_series(self, returns):
        assert_matches_empyrical(np.array(returns, dtype=np.float64))

    @settings(max_examples=300, deadline=None)
    @given(
        st.lists(
            st.one_of(
                # |r| >= 1e-9: with returns of ~1e-14 both libraries divide float noise by float
                # noise (a Calmar of two 1e-12 quantities), so agreement is not defined there.
                st.floats(-0.3, 0.3, allow_nan=False, allow_subnormal=False).filter(lambda r: abs(r) >= 1e-9),
                st.just(float("nan")),
                st.just(0.0),
            ),
            max_size=80,
        )
    )
    def test_hypothesis_series(self, returns):
        assert_matches_empyrical(np.array(returns, dtype=np.float64))


class TestBoundaryValues:
    def test_annual_return_is_cagr_over_252_periods(self):
        assert m.annual_return([0.01] * 252) == pytest.approx(1.01**252 - 1, rel=1e-12)
        assert m.annual_return([0.01] * 126) == pytest.approx(1.01**252 - 1, rel=1e-12)
        assert m.annual_return([0.5]) == pytest.approx(1.5**252 - 1, rel=1e-12)

    def test_nan_counts_as_zero_in_compounding_but_in_the_length(self):
        assert m.annual_return([0.1, np.nan]) == pytest.approx(1.1**126 - 1, rel=1e-12)

    def test_total_loss_beyond_100_percent_is_nan(self):
        assert math.isnan(m.annual_return([-1.5, 0.1, 0.0, 0.0, 0.0]))  # 252/5 is not an integer power
        assert m.annual_return([-1.0, 0.1]) == -1.0

    def test_volatility_uses_ddof_1_and_sqrt_252(self):
        assert m.annual_volatility([0.01, -0.01]) == pytest.approx(math.sqrt(2e-4) * SQRT252, rel=1e-12)
        assert m.annual_volatility([0.01, np.nan, -0.01]) == pytest.approx(
            math.sqrt(2e-4) * SQRT252, rel=1e-12
        )

    def test_volatility_needs_two_values(self):
        assert math.isnan(m.annual_volatility([0.01]))
        assert math.isnan(m.annual_volatility([0.01, np.nan]))
        assert m.annual_volatility([0.01, 0.01]) == 0.0

    def test_sharpe_value(self):
        r = [0.01, 0.03]
        assert m.sharpe_ratio(r) == pytest.approx(0.02 / math.sqrt(2e-4) * SQRT252, rel=1e-12)
        assert m.sharpe_ratio([-0.01, -0.03]) == pytest.approx(-0.02 / math.sqrt(2e-4) * SQRT252, rel=1e-12)

    def test_sharpe_of_constant_series(self):
        assert m.sharpe_ratio([0.01, 0.01, 0.01]) == math.inf
        assert m.sharpe_ratio([-0.01, -0.01]) == -math.inf
        assert math.isnan(m.sharpe_ratio([0.0, 0.0]))
        assert math.isnan(m.sharpe_ratio([0.01]))
        assert math.isnan(m.sharpe_ratio([np.nan, np.nan, 0.01]))

    def test_sortino_and_downside_risk_values(self):
        r = [0.02, -0.01, 0.0, -0.03]
        downside = math.sqrt((0.0001 + 0.0009) / 4) * SQRT252
        assert m.downside_risk(r) == pytest.approx(downside, rel=1e-12)
        assert m.sortino_ratio(r) == pytest.approx(-0.005 * 252 / downside, rel=1e-12)
        assert m.sortino_ratio([0.01, 0.02]) == math.inf
        assert math.isnan(m.sortino_ratio([0.0, 0.0]))
        assert math.isnan(m.sortino_ratio([-0.01]))
        assert math.isnan(m.downside_risk([]))
        assert m.downside_risk([0.01]) == 0.0

    def test_max_drawdown_is_negative_peak_to_trough(self):
        assert m.max_drawdown([0.1, -0.5, 0.2]) == pytest.approx(-0.5, rel=1e-12)
        assert m.max_drawdown([0.1, -0.1, -0.1, 0.5, -0.1]) == pytest.approx(0.81 - 1, rel=1e-12)
        assert m.max_drawdown([0.1, -0.1, -0.1, 0.5, -0.2]) == pytest.approx(
            -0.2, rel=1e-12
        )  # a later, deeper fall from a new peak
        assert m.max_drawdown([-0.2]) == pytest.approx(-0.2, rel=1e-12)  # the start is a peak
        assert m.max_drawdown([0.1, 0.2]) == 0.0
        assert m.max_drawdown([0.1, np.nan, -0.1]) == pytest.approx(-0.1, rel=1e-12)
        assert m.max_drawdown([np.nan]) == 0.0
        assert math.isnan(m.max_drawdown([]))

    def test_calmar(self):
        r = [0.1, -0.5, 0.2]
        assert m.calmar_ratio(r) == pytest.approx(m.annual_return(r) / 0.5, rel=1e-12)
        assert math.isnan(m.calmar_ratio([0.1, 0.2]))  # no drawdown
        assert math.isnan(m.calmar_ratio([]))

    def test_empty_is_nan_everywhere(self):
        for fn in (
            m.annual_return,
            m.annual_volatility,
            m.sharpe_ratio,
            m.sortino_ratio,
            m.max_drawdown,
            m.calmar_ratio,
        ):
            assert math.isnan(fn([])), fn.__name__

    def test_rejects_2d(self):
        with pytest.raises(ValueError, match=r"one-dimensional series, got shape \(1, 2\)"):
            m.annual_return([[0.1, 0.2]])


class TestHitRateTurnoverPercentile:
    def test_hit_rate_counts_strictly_positive_sessions(self):
        assert m.hit_rate([0.1, 0.0, -0.1, np.nan]) == pytest.approx(1 / 3)
        assert m.hit_rate([1e-12]) == 1.0
        assert m.hit_rate([0.0]) == 0.0
        assert math.isnan(m.hit_rate([]))
        assert math.isnan(m.hit_rate([np.nan]))

    def test_turnover_is_the_mean(self):
        assert m.turnover([0.5, 0.0, 0.25, np.nan]) == 0.25
        assert math.isnan(m.turnover([]))

    def test_percentile(self):
        values = np.arange(1.0, 101.0)
        assert m.percentile(values, 50) == 50.5
        assert m.percentile(values, 99) == pytest.approx(99.01)
        assert m.percentile(values, 0) == 1.0
        assert m.percentile(values, 100) == 100.0
        assert m.percentile([7.0], 99) == 7.0
        assert math.isnan(m.percentile([], 50))
        assert math.isnan(m.percentile([1.0, np.nan], 50))

    @pytest.mark.parametrize("q", [-0.1, 100.1])
    def test_percentile_rejects_q(self, q):
        with pytest.raises(ValueError, match=r"'q' must be in \[0, 100\]"):
            m.percentile([1.0], q)


class TestIc:
    def test_perfect_and_inverse(self):
        s = [1, 1, 1, 2, 2, 2]
        assert m.ic(s, [1, 2, 3, 1, 2, 3], [0.1, 0.2, 0.3, 0.3, 0.2, 0.1]) == 0.0
        assert m.ic(s, [1, 2, 3, 1, 2, 3], [0.1, 0.2, 0.3, 0.1, 0.2, 0.3]) == 1.0
        assert m.ic(s, [1, 2, 3, 1, 2, 3], [0.3, 0.2, 0.1, 0.3, 0.2, 0.1]) == -1.0

    def test_sessions_below_three_symbols_are_skipped(self):
        s = [1, 1, 1, 2, 2]
        assert m.ic(s, [1, 2, 3, 1, 2], [1, 2, 3, 2, 1]) == 1.0
        assert math.isnan(m.ic([1, 1], [1, 2], [1, 2]))

    def test_non_finite_rows_are_dropped_before_counting(self):
        assert math.isnan(m.ic([1, 1, 1], [1, 2, np.nan], [1, 2, 3]))
        assert m.ic([1, 1, 1, 1], [1, 2, 3, np.inf], [1, 2, 3, 4]) == 1.0

    def test_constant_side_is_undefined_not_zero(self):
        assert math.isnan(m.ic([1, 1, 1], [5, 5, 5], [1, 2, 3]))
        assert m.ic([1, 1, 1, 2, 2, 2], [5, 5, 5, 1, 2, 3], [1, 2, 3, 1, 2, 3]) == 1.0

    def test_ties_get_average_ranks_like_scipy(self):
        p, y = [1.0, 1.0, 2.0, 3.0, 3.0, 3.0], [0.5, 0.1, 0.4, 0.3, 0.9, 0.2]
        assert m.ic([0] * 6, p, y) == pytest.approx(spearmanr(p, y).statistic, rel=1e-12)

    def test_shape_mismatch(self):
        with pytest.raises(ValueError, match="differ in shape"):
            m.ic([1, 1, 1], [1, 2, 3], [1, 2])

    @settings(max_examples=100, deadline=None)
    @given(
        st.lists(
            st.tuples(st.integers(0, 3), st.integers(-3, 3), st.floats(-1, 1, allow_nan=False)),
            min_size=0,
            max_size=40,
        )
    )
    def test_matches_scipy_per_session_mean(self, rows):
        sessions = np.array([r[0] for r in rows])
        p = np.array([float(r[1]) for r in rows])
        y = np.array([r[2] for r in rows])
        expected = []
        for key in np.unique(sessions):
            sel = sessions == key
            if sel.sum() >= 3 and np.ptp(p[sel]) > 0 and np.ptp(y[sel]) > 0:
                expected.append(spearmanr(p[sel], y[sel]).statistic)
        got = m.ic(sessions, p, y)
        if expected:
            assert got == pytest.approx(float(np.mean(expected)), rel=1e-9, abs=1e-12)
        else:
            assert math.isnan(got)


class TestSummarise:
    def test_keys_values_and_none_for_undefined(self):
        out = m.summarise(
            [0.01, 0.01],
            [0.5, 0.0],
            ic_sessions=[1, 1, 1],
            ic_predictions=[1, 2, 3],
            ic_realised=[1, 2, 3],
        )
        assert tuple(out) == m.SUMMARY_KEYS
        assert out["sharpe_ratio"] is None  # +inf for a constant series
        assert out["sortino_ratio"] is None
        assert out["calmar_ratio"] is None
        assert out["max_drawdown"] == 0.0
        assert out["annual_return"] == pytest.approx(1.01**252 - 1)
        assert out["annual_volatility"] == 0.0
        assert out["turnover"] == 0.25
        assert out["hit_rate"] == 1.0
        assert out["ic"] == 1.0
        assert all(v is None or type(v) is float for v in out.values())

    def test_real_looking(self):
        out = m.summarise(REAL_LOOKING, [0.1], ic_sessions=[], ic_predictions=[], ic_realised=[])
        assert out["sharpe_ratio"] == pytest.approx(float(empyrical.sharpe_ratio(REAL_LOOKING)), rel=RTOL)
        assert out["max_drawdown"] < 0
        assert out["ic"] is None


# Added for mutation testing (aurora_gates.mutation): each test pins a contract a surviving mutant broke.
EDGE_SERIES = [
    [],
    [0.01],
    [0.0, 0.0],
    [0.01, 0.01, 0.01],
    [-0.01, -0.01],
    [np.nan],
    [np.nan, np.nan],
    [-1.5, 0.1, 0.0, 0.0, 0.0],
    [np.inf],
    [-1.0, 0.5],
    [0.01, np.nan, -0.02],
]
SERIES_FUNCTIONS = (
    m.annual_return,
    m.annual_volatility,
    m.sharpe_ratio,
    m.sortino_ratio,
    m.downside_risk,
    m.max_drawdown,
    m.calmar_ratio,
    m.hit_rate,
    m.turnover,
)


class TestNumericContracts:
    @pytest.mark.parametrize("returns", EDGE_SERIES, ids=repr)
    def test_edge_data_never_warns(self, returns):
        """Nothing raises on data, not even under -W error: empty, NaN, 0/0 and x/0 are handled, not warned."""
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for fn in SERIES_FUNCTIONS:
                fn(returns)
            assert math.isnan(m.ic([1, 1, 1], [5, 5, 5], [1, 2, 3]))  # constant side: 0/0 never computed
            assert math.isnan(m.ic([], [], []))

    def test_float32_input_is_computed_in_float64(self):
        r32 = REAL_LOOKING.astype(np.float32)
        for fn in SERIES_FUNCTIONS:
            assert fn(r32) == fn(r32.astype(np.float64)), fn.__name__

    def test_infinite_return_gives_nan_drawdown(self):
        assert math.isnan(m.max_drawdown([np.inf]))  # inf/inf peak: no drawdown defined, and no error
        assert math.isnan(m.calmar_ratio([np.inf]))

    def test_calmar_is_nan_when_infinite(self):
        with np.errstate(over="ignore"):
            assert m.annual_return([1000.0, -0.1]) == math.inf
            assert math.isnan(m.calmar_ratio([1000.0, -0.1]))

    def test_average_ranks_are_one_based_and_ties_share_the_mean(self):
        assert m._average_ranks(np.array([3.0, 1.0, 1.0, 2.0])).tolist() == [4.0, 1.5, 1.5, 3.0]
        assert m._average_ranks(np.array([2.0, 2.0, 2.0])).tolist() == [2.0, 2.0, 2.0]

    def test_pearson_of_small_spreads(self):
        a, b = np.array([0.0, 0.1, 0.2]), np.array([0.0, 0.1, 0.3])  # sqrt(sum da² · sum db²) < 1
        assert m._pearson(a, b) == pytest.approx(np.corrcoef(a, b)[0, 1], rel=1e-12)
        assert math.isnan(m._pearson(np.ones(3), a))
