"""The blessing's probabilistic and deflated Sharpe ratios, its trials ledger, and its drift calibration.

PSR and DSR are checked against scipy's normal distribution on the textbook
formulas (Bailey & López de Prado 2012, 2014) and against the DSR paper's
worked example; the drift check on stationary and shifted synthetic features.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy.stats import kurtosis, norm, skew

from aurora_e2d.blessing.inputs import drift_check
from aurora_e2d.blessing.sharpe import expected_max_sharpe, infer, probabilistic_sharpe
from aurora_e2d.blessing.trials import Trial, append_trial, read_trials, trial_sharpes
from aurora_e2d.core.errors import InputError
from aurora_e2d.research.features import FEATURE_COLUMNS
from aurora_e2d.rundir.config import BlessConfig

GAMMA = 0.5772156649015329


def psr_scipy(sr: float, sr0: float, n: int, g3: float, g4: float) -> float:
    return float(norm.cdf((sr - sr0) * math.sqrt(n - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2)))


class TestSharpe:
    def test_the_deflated_sharpe_papers_worked_example(self) -> None:
        # Bailey & López de Prado (2014): SR 2.5 a year over 5 years of daily returns (T=1250), skew -3,
        # kurtosis 10, 100 trials whose annual SRs vary by 0.5 -> DSR 0.9004.
        sr0 = expected_max_sharpe(100, 0.5 / 250)
        assert sr0 * math.sqrt(250) == pytest.approx(1.7894, abs=1e-4)
        assert probabilistic_sharpe(2.5 / math.sqrt(250), sr0, 1250, -3.0, 10.0) == pytest.approx(
            0.9004, abs=1e-4
        )

    def test_expected_maximum_agrees_with_scipy(self) -> None:
        for trials, variance in ((2, 0.01), (10, 0.002), (1000, 0.3)):
            expected = math.sqrt(variance) * (
                (1 - GAMMA) * norm.ppf(1 - 1 / trials) + GAMMA * norm.ppf(1 - 1 / (trials * math.e))
            )
            assert expected_max_sharpe(trials, variance) == pytest.approx(expected, rel=1e-9)
        assert expected_max_sharpe(1, 0.3) == 0.0  # one trial: nothing was picked

    def test_psr_and_dsr_of_returns_agree_with_scipy(self) -> None:
        returns = np.random.default_rng(11).standard_t(5, size=750) * 0.01 + 0.0006
        trial_srs = [0.01, 0.05, -0.02, 0.04]
        found = infer(returns, [*trial_srs, float(returns.mean() / returns.std(ddof=1))])
        sr = returns.mean() / returns.std(ddof=1)
        g3, g4 = skew(returns), kurtosis(returns, fisher=False)
        assert found.skewness == pytest.approx(g3, rel=1e-9)
        assert found.kurtosis == pytest.approx(g4, rel=1e-9)
        assert found.psr == pytest.approx(psr_scipy(sr, 0.0, 750, g3, g4), rel=1e-9)
        variance = float(np.var([*trial_srs, sr], ddof=1))
        sr0 = math.sqrt(variance) * (
            (1 - GAMMA) * norm.ppf(1 - 1 / 5) + GAMMA * norm.ppf(1 - 1 / (5 * math.e))
        )
        assert found.trials == 5
        assert found.dsr == pytest.approx(psr_scipy(sr, sr0, 750, g3, g4), rel=1e-9)
        assert found.dsr < found.psr  # more trials never flatter

    def test_too_few_or_constant_returns_are_refused(self) -> None:
        with pytest.raises(ValueError, match="at least 3 returns"):
            infer(np.array([0.01, 0.02]))
        with pytest.raises(ValueError, match="do not vary"):
            infer(np.zeros(10))


class TestLedger:
    def test_distinct_candidates_on_the_same_snapshot_are_the_trials(self, tmp_path: Path) -> None:
        ledger = tmp_path / "blessings.jsonl"
        assert read_trials(ledger) == []
        for manifest, lock, sr in (("a", "L", 0.01), ("b", "L", 0.03), ("a", "L", 0.02), ("c", "OTHER", 0.5)):
            append_trial(
                ledger, Trial(manifest_sha256=manifest, snapshot_lock_sha256=lock, sharpe_per_period=sr)
            )
        trials = read_trials(ledger)
        assert len(trials) == 4
        assert all(t.recorded_at for t in trials)
        # "a" once (its latest), "b", and the candidate "d" itself; "c" was on another snapshot
        assert trial_sharpes(trials, {"manifest_sha256": "d", "snapshot_lock_sha256": "L"}, 0.04) == [
            0.02,
            0.03,
            0.04,
        ]
        # re-blessing a recorded run does not count it twice
        assert trial_sharpes(trials, {"manifest_sha256": "b", "snapshot_lock_sha256": "L"}, 0.03) == [
            0.02,
            0.03,
        ]

    def test_an_unreadable_line_names_the_ledger_and_line(self, tmp_path: Path) -> None:
        ledger = tmp_path / "blessings.jsonl"
        ledger.write_text(
            json.dumps({"manifest_sha256": "a", "snapshot_lock_sha256": "L", "sharpe_per_period": 0.1})
            + "\n{oops\n"
        )
        with pytest.raises(InputError, match=rf"^{ledger}:2: not a blessing record \(JSONDecodeError"):
            read_trials(ledger)


@dataclass
class FakeRun:
    """Just what ``drift_check`` reads of a run: its features, sessions, and models/folds.json."""

    run_dir: Path
    features: pl.DataFrame

    def frame(self, name: str) -> pl.DataFrame:
        assert name == "features"
        return self.features

    @property
    def sessions(self) -> list[date]:
        return self.features["date"].unique().sort().to_list()


def fake_run(tmp_path: Path, shift_last_window: float = 0.0) -> FakeRun:
    """Six years of features for 5 symbols whose last 63 sessions repeat 63 sessions of the training
    years (the same inputs the model trained on); optionally one feature shifted (in std units)."""
    rng = np.random.default_rng(5)
    days = [d for d in (date(2010, 1, 1) + timedelta(i) for i in range(6 * 365)) if d.weekday() < 5]
    symbols = ["S0", "S1", "S2", "S3", "S4"]
    data: dict[str, list] = {"date": [d for d in days for _ in symbols], "symbol": symbols * len(days)}
    for column in FEATURE_COLUMNS:
        values = rng.normal(size=len(days) * len(symbols))
        values[-63 * 5 :] = values[250 * 5 : 313 * 5]  # the last window = a training window
        data[column] = values
    frame = pl.DataFrame(data)
    first = FEATURE_COLUMNS[0]
    frame = frame.with_columns(
        pl.when(pl.col("date").is_in(days[-63:]))
        .then(pl.col(first) + shift_last_window)
        .otherwise(pl.col(first))
    )
    (tmp_path / "models").mkdir()
    fold = {
        "year": 2015,
        "train_start": "2010-01-01",
        "train_end": "2014-12-31",
        "test_start": "2015-01-01",
        "test_end": "2015-12-31",
    }
    (tmp_path / "models" / "folds.json").write_text(json.dumps({"folds": [fold]}))
    return FakeRun(tmp_path, frame)


class TestDriftCalibration:
    def test_the_inputs_the_model_trained_on_do_not_drift_and_the_report_says_what_was_compared(
        self, tmp_path: Path
    ) -> None:
        result = drift_check(fake_run(tmp_path), BlessConfig())  # type: ignore[arg-type]
        assert result.passed, result.message
        assert result.message.startswith(
            "no feature drifted; compared the last 63 sessions (2015-10-05..2015-12-30) against fold 2015's "
            "training rows (2010-01-01..2014-12-31, 6520 rows); limits from 19 year-to-year comparisons"
        ), result.message
        assert result.evidence["years"] == [2010, 2011, 2012, 2013, 2014]

    def test_a_shifted_feature_drifts(self, tmp_path: Path) -> None:
        result = drift_check(fake_run(tmp_path, shift_last_window=1.5), BlessConfig())  # type: ignore[arg-type]
        assert not result.passed
        assert result.message.startswith("1 of 10 features drifted; compared the last 63 sessions"), (
            result.message
        )
        assert result.message.split(": ", 1)[1].startswith(f"{FEATURE_COLUMNS[0]} ("), result.message
