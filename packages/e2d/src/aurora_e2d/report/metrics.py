"""Performance metrics with empyrical's definitions, in pure numpy.

Small and pure on purpose: it is a mutation-testing target run under fork, so
it imports numpy only (no polars), and the tests compare it with
empyrical-reloaded. Conventions (DESIGN.md §5): 252 periods a year, risk-free
rate 0, simple (not log) returns.

Edge cases follow empyrical wherever it defines them, and nothing raises on
data: an empty series gives NaN everywhere; a single return gives a CAGR and a
drawdown but NaN volatility, Sharpe and Sortino (they need two); NaN returns
are skipped in means and count as 0 when compounding, exactly as empyrical
does; a constant series has zero volatility, so Sharpe and Sortino are +inf,
-inf or NaN (all zero). ``summarise`` maps every non-finite value to None,
which the summary writer stores as JSON null.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "MIN_IC_SYMBOLS",
    "PERIODS_PER_YEAR",
    "SUMMARY_KEYS",
    "annual_return",
    "annual_volatility",
    "calmar_ratio",
    "downside_risk",
    "hit_rate",
    "ic",
    "max_drawdown",
    "percentile",
    "sharpe_ratio",
    "sortino_ratio",
    "summarise",
    "turnover",
]

PERIODS_PER_YEAR = 252  # trading sessions per year (empyrical's DAILY)
MIN_IC_SYMBOLS = 3  # a session's rank correlation needs at least this many symbols
SUMMARY_KEYS = (
    "annual_return",
    "annual_volatility",
    "sharpe_ratio",
    "sortino_ratio",
    "max_drawdown",
    "calmar_ratio",
    "turnover",
    "hit_rate",
    "ic",
)
_NAN = float("nan")


def _series(values: ArrayLike) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"expected a one-dimensional series, got shape {array.shape}")
    return array


def _present(r: np.ndarray) -> np.ndarray:
    return r[~np.isnan(r)]


def _mean(r: np.ndarray) -> float:
    x = _present(r)
    return float(np.mean(x)) if x.size else _NAN


def _std(r: np.ndarray) -> float:
    """Sample standard deviation (ddof=1) of the present values; NaN below two."""
    x = _present(r)
    if x.size < 2:
        return _NAN
    return float(np.sqrt(np.sum((x - np.mean(x)) ** 2) / (x.size - 1)))


def _divide(a: float, b: float) -> float:
    """IEEE division: x/0 is ±inf and 0/0 NaN, as empyrical's numpy arithmetic gives."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.divide(np.float64(a), np.float64(b)))


def annual_return(returns: ArrayLike) -> float:
    """CAGR: the compounded total return over len(returns)/252 years (NaN counts as 0)."""
    r = _series(returns)
    if r.size < 1:
        return _NAN
    ending_value = np.prod(1.0 + _present(r))
    with np.errstate(invalid="ignore"):  # a total loss beyond -100% has no real root
        return float(np.power(ending_value, 1.0 / (r.size / PERIODS_PER_YEAR)) - 1.0)


def annual_volatility(returns: ArrayLike) -> float:
    """Sample standard deviation scaled by sqrt(252)."""
    r = _series(returns)
    if r.size < 2:
        return _NAN
    return _std(r) * np.sqrt(PERIODS_PER_YEAR)


def sharpe_ratio(returns: ArrayLike) -> float:
    """Mean over sample standard deviation, times sqrt(252).

    Like empyrical, the deviation of identical values is taken as exactly 0,
    so a constant series gives ±inf (or NaN when all zero), not a rounding
    artefact near 1e15.
    """
    r = _series(returns)
    if r.size < 2:
        return _NAN
    std = _std(r)
    x = _present(r)
    if np.isfinite(std) and x.max() == x.min():
        std = 0.0
    return _divide(_mean(r), std) * np.sqrt(PERIODS_PER_YEAR)


def downside_risk(returns: ArrayLike) -> float:
    """Root mean square of the returns below 0 (others count as 0), times sqrt(252)."""
    r = _series(returns)
    if r.size < 1:
        return _NAN
    below = np.minimum(r, 0.0)
    return float(np.sqrt(_mean(below * below)) * np.sqrt(PERIODS_PER_YEAR))


def sortino_ratio(returns: ArrayLike) -> float:
    """Annualised mean return over annualised downside risk (required return 0)."""
    r = _series(returns)
    if r.size < 2:
        return _NAN
    return _divide(_mean(r) * PERIODS_PER_YEAR, downside_risk(r))


def max_drawdown(returns: ArrayLike) -> float:
    """Worst peak-to-trough fall of the compounded series: a number <= 0, e.g. -0.25."""
    r = _series(returns)
    if r.size < 1:
        return _NAN
    wealth = np.empty(r.size + 1)
    wealth[0] = 100.0  # the starting value anchors the first peak
    wealth[1:] = np.cumprod(1.0 + np.where(np.isnan(r), 0.0, r)) * 100.0
    peak = np.fmax.accumulate(wealth)
    with np.errstate(invalid="ignore"):
        drawdown = _present(((wealth - peak) / peak)[1:])
    return float(drawdown.min()) if drawdown.size else _NAN


def calmar_ratio(returns: ArrayLike) -> float:
    """CAGR over |max drawdown|; NaN without a drawdown or when infinite."""
    mdd = max_drawdown(returns)
    if not mdd < 0:
        return _NAN
    ratio = _divide(annual_return(returns), abs(mdd))
    return _NAN if np.isinf(ratio) else ratio


def hit_rate(returns: ArrayLike) -> float:
    """Fraction of sessions (NaN skipped) whose portfolio return is strictly positive."""
    x = _present(_series(returns))
    return float(np.mean(x > 0.0)) if x.size else _NAN


def turnover(session_turnover: ArrayLike) -> float:
    """Mean one-way turnover per session (sum |Δw| / 2 per session, NaN skipped)."""
    return _mean(_series(session_turnover))


def percentile(values: ArrayLike, q: float) -> float:
    """Linear-interpolated ``q``-th percentile (0..100), e.g. latency p50/p99; NaN if empty or NaN inside."""
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"'q' must be in [0, 100], was {q!r}")
    x = _series(values)
    if x.size == 0 or np.isnan(x).any():
        return _NAN
    return float(np.percentile(x, q))


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks; tied values share the mean of their positions (as scipy's 'average')."""
    order = np.argsort(x, kind="stable")
    ordered = x[order]
    starts = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    first = np.flatnonzero(starts)
    counts = np.diff(np.append(first, x.size))
    ranks = np.empty(x.size)
    ranks[order] = np.repeat(first + (counts + 1) / 2.0, counts)
    return ranks


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    da, db = a - a.mean(), b - b.mean()
    denominator = np.sqrt(np.sum(da * da) * np.sum(db * db))
    return float(np.sum(da * db) / denominator) if denominator > 0 else _NAN


def ic(sessions: ArrayLike, predictions: ArrayLike, realised: ArrayLike) -> float:
    """Information coefficient: mean over sessions of Spearman(prediction, realised).

    Rows with a non-finite prediction or realised return are dropped; a session
    counts if it keeps at least ``MIN_IC_SYMBOLS`` rows and neither side is
    constant (otherwise its correlation is undefined). NaN if no session counts.
    """
    keys = np.asarray(sessions)
    p, y = _series(predictions), _series(realised)
    if not keys.shape == p.shape == y.shape:
        raise ValueError(
            f"sessions, predictions and realised differ in shape: {keys.shape}, {p.shape}, {y.shape}"
        )
    keep = np.isfinite(p) & np.isfinite(y)
    keys, p, y = keys[keep], p[keep], y[keep]
    _, group = np.unique(keys, return_inverse=True)
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    correlations = []
    for rows in np.split(order, bounds):
        if rows.size >= MIN_IC_SYMBOLS:
            correlations.append(_pearson(_average_ranks(p[rows]), _average_ranks(y[rows])))
    return _mean(np.array(correlations, dtype=np.float64))


def summarise(
    returns: ArrayLike,
    session_turnover: ArrayLike,
    *,
    ic_sessions: ArrayLike,
    ic_predictions: ArrayLike,
    ic_realised: ArrayLike,
) -> dict[str, float | None]:
    """The ``metrics`` of summary.json, keyed as ``SUMMARY_KEYS``; non-finite values become None."""
    values = {
        "annual_return": annual_return(returns),
        "annual_volatility": annual_volatility(returns),
        "sharpe_ratio": sharpe_ratio(returns),
        "sortino_ratio": sortino_ratio(returns),
        "max_drawdown": max_drawdown(returns),
        "calmar_ratio": calmar_ratio(returns),
        "turnover": turnover(session_turnover),
        "hit_rate": hit_rate(returns),
        "ic": ic(ic_sessions, ic_predictions, ic_realised),
    }
    return {key: (float(v) if np.isfinite(v) else None) for key, v in values.items()}
