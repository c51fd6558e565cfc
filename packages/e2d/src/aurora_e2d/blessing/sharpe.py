"""Is the candidate's Sharpe ratio real? The probabilistic and deflated Sharpe ratios.

Bailey & López de Prado: the probabilistic Sharpe ratio (PSR, 2012) is the
probability that the true Sharpe ratio exceeds a benchmark ``sr0``, given the
observed one, the sample length and the returns' skewness and kurtosis; the
deflated Sharpe ratio (DSR, 2014) is the PSR against the Sharpe ratio the best
of ``trials`` unskilled strategies would be expected to show, so that a
candidate picked among many tries is not flattered by the picking. Every
Sharpe ratio here is per period (not annualised), as the formulas need. Own
code on the standard library's normal distribution: the maintained libraries
that ship it (skfolio, arch) would pull a large stack for twenty lines; the
tests check it against scipy on the textbook formulas and the paper's example.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

__all__ = ["EULER_GAMMA", "SharpeInference", "expected_max_sharpe", "infer", "probabilistic_sharpe"]

EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()


def probabilistic_sharpe(sr: float, sr0: float, n: int, skew: float, kurtosis: float) -> float:
    """P(true SR > sr0): Φ((sr - sr0)·√(n-1) / √(1 - skew·sr + (kurtosis-1)/4·sr²)); kurtosis not excess."""
    if n < 2:
        raise ValueError(f"'n' must be >= 2 returns, was {n}")
    variance = 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr * sr
    if not variance > 0:
        raise ValueError(f"the Sharpe ratio's variance term must be > 0, was {variance!r}")
    return _NORMAL.cdf((sr - sr0) * math.sqrt(n - 1) / math.sqrt(variance))


def expected_max_sharpe(trials: int, variance: float) -> float:
    """E[max SR] of ``trials`` unskilled strategies whose SRs vary by ``variance`` (0 for one trial)."""
    if trials < 1:
        raise ValueError(f"'trials' must be >= 1, was {trials}")
    if trials == 1 or variance <= 0:
        return 0.0
    z1 = _NORMAL.inv_cdf(1.0 - 1.0 / trials)
    z2 = _NORMAL.inv_cdf(1.0 - 1.0 / (trials * math.e))
    return math.sqrt(variance) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2)


@dataclass(frozen=True, slots=True)
class SharpeInference:
    sharpe_per_period: float
    observations: int
    skewness: float
    kurtosis: float  # Pearson's (a normal distribution has 3)
    psr: float  # P(true SR > 0)
    trials: int
    trials_sharpe_variance: float  # per period², of the recorded trials' Sharpe ratios
    sr0: float  # the expected best Sharpe ratio of ``trials`` unskilled tries, per period
    dsr: float  # P(true SR > sr0)

    def as_dict(self) -> dict[str, float | int]:
        return {
            "sharpe_per_period": self.sharpe_per_period,
            "observations": self.observations,
            "skewness": self.skewness,
            "kurtosis": self.kurtosis,
            "psr": self.psr,
            "trials": self.trials,
            "trials_sharpe_variance": self.trials_sharpe_variance,
            "sr0": self.sr0,
            "dsr": self.dsr,
        }

    @property
    def message(self) -> str:
        return (
            f"PSR {self.psr:.3f} (P[true Sharpe > 0]); DSR {self.dsr:.3f} over {self.trials} recorded "
            f"trial(s) (P[true Sharpe > {self.sr0:.4f}/period, the best of {self.trials} unskilled tries])"
        )


def infer(returns: np.ndarray, trial_sharpes: Sequence[float] = ()) -> SharpeInference:
    """PSR and DSR of ``returns``; ``trial_sharpes`` (per period) are every trial's, this one included."""
    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    if r.size < 3:
        raise ValueError(f"the Sharpe ratio's inference needs at least 3 returns, had {r.size}")
    sd = float(np.std(r, ddof=1))
    if not sd > 0:
        raise ValueError("the returns do not vary: no Sharpe ratio")
    sr = float(np.mean(r)) / sd
    z = (r - r.mean()) / float(np.std(r))
    skew, kurt = float(np.mean(z**3)), float(np.mean(z**4))
    trials = max(1, len(trial_sharpes))
    variance = float(np.var(trial_sharpes, ddof=1)) if len(trial_sharpes) > 1 else 0.0
    sr0 = expected_max_sharpe(trials, variance)
    return SharpeInference(
        sharpe_per_period=sr,
        observations=int(r.size),
        skewness=skew,
        kurtosis=kurt,
        psr=probabilistic_sharpe(sr, 0.0, int(r.size), skew, kurt),
        trials=trials,
        trials_sharpe_variance=variance,
        sr0=sr0,
        dsr=probabilistic_sharpe(sr, sr0, int(r.size), skew, kurt),
    )
