"""Each blessing check on real runs, with a drill that breaks it, and the distances against references.

Drills change a copy of a real run the way the world would (a costlier
config, a drifted feature file re-recorded in the manifest, a model that
missed its refit) and assert the exact one-line reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

from _bless_runs import copy_run, make_run, make_runs
from aurora_e2d.blessing import load_run
from aurora_e2d.blessing.inputs import (
    Reference,
    drift_check,
    js_distance,
    staleness_check,
    wasserstein_normed,
)
from aurora_e2d.blessing.performance import baselines_check, champion_check, slices_check, symbol_group
from aurora_e2d.engine.catalog import ARTIFACTS
from aurora_e2d.rundir.artifacts import write_parquet
from aurora_e2d.rundir.config import BlessConfig
from aurora_e2d.rundir.manifest import record_in_manifest

pytestmark = pytest.mark.l1  # nightly breadth (nox -s l1): real runs, minutes each

DEFAULTS = BlessConfig()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_runs(tmp_path_factory)


class TestChampionAndBaselines:
    def test_the_golden_run_passes_against_itself_with_its_figures(self, runs: dict[str, Path]) -> None:
        golden = load_run(runs["golden"], "candidate")
        result = champion_check(golden, golden, DEFAULTS)
        assert result.passed
        assert result.message == (
            "Sharpe 1.17 vs 1.17, max drawdown -11.27% vs -11.27%, turnover 11.40% vs 11.40% over 187 common sessions"
        )
        base = baselines_check(golden, DEFAULTS)
        assert base.passed
        assert base.message == (
            "Sharpe 1.17, max drawdown -11.27% against equal-weight Sharpe 0.57, max drawdown -12.91%; "
            "buy-and-hold Sharpe 0.52, max drawdown -13.43%"
        )

    def test_drill_a_costlier_config_is_worse_than_the_baselines(self, tmp_path: Path) -> None:
        config = tmp_path / "costly.toml"
        config.write_text("[execution]\nslippage_bps = 60.0\n")
        costly = load_run(make_run(tmp_path, "costly", "--config", str(config)), "candidate")
        result = baselines_check(costly, DEFAULTS)
        assert not result.passed
        assert result.message == (
            "Sharpe -0.08 < equal-weight 0.57 - 0.1; max drawdown -22.58% deeper than equal-weight -12.91% - 0%; "
            "Sharpe -0.08 < buy-and-hold 0.52 - 0.1; max drawdown -22.58% deeper than buy-and-hold -13.43% - 0%"
        )


class TestSlices:
    def test_years_and_symbol_groups_of_the_golden_run(self, runs: dict[str, Path]) -> None:
        result = slices_check(load_run(runs["golden"], "candidate"), DEFAULTS)
        assert result.passed
        assert result.message == "worst year 2013 -5.77%, worst symbol group +2.69% of starting equity"
        assert set(result.evidence["years"]) == {"2012", "2013"}

    def test_drill_a_stricter_floor_names_the_losing_year(self, runs: dict[str, Path]) -> None:
        result = slices_check(load_run(runs["golden"], "candidate"), BlessConfig(max_slice_loss_frac=0.0))
        assert not result.passed
        assert result.message == "year 2013 returned -5.77% < 0%"

    def test_symbol_groups_are_sha256_buckets(self) -> None:
        assert [symbol_group(s, 4) for s in ("AAPL", "FB", "GOOG", "IBM", "MSFT")] == [1, 1, 2, 1, 1]


class TestDrift:
    def test_the_golden_run_has_not_drifted(self, runs: dict[str, Path]) -> None:
        result = drift_check(load_run(runs["golden"], "candidate"), DEFAULTS)
        assert result.passed, result.message
        assert result.message.startswith(
            "no feature drifted; compared the last 63 sessions (2012-11-29..2013-03-01) against fold 2013's "
            "training rows (2000-05-31..2012-12-21, "
        ), result.message
        assert result.evidence["year_to_year_comparisons"] > 0

    def test_drill_a_drifted_feature_file(self, runs: dict[str, Path], tmp_path: Path) -> None:
        run = copy_run(runs["golden"], tmp_path / "drifted")
        spec = ARTIFACTS["features"]
        features = pl.read_parquet(run / spec.file)
        latest = sorted(features["date"].unique().to_list())[-63:]
        tripled = (
            pl.when(pl.col("date").is_in(latest)).then(pl.col("vol_21d") * 3).otherwise(pl.col("vol_21d"))
        )
        write_parquet(
            features.with_columns(tripled.cast(pl.Float32)), run / spec.file, spec.schema, list(spec.sort_by)
        )
        record_in_manifest(run, "features", spec.file)
        result = drift_check(load_run(run, "candidate"), DEFAULTS)
        assert not result.passed
        assert result.message.startswith("1 of 10 features drifted; compared the last 63 sessions"), (
            result.message
        )
        assert result.message.split(": ", 1)[1].startswith("vol_21d ("), result.message

    def test_distances_agree_with_scipy(self) -> None:
        rng = np.random.default_rng(7)
        reference, current = rng.normal(size=5_000), rng.normal(0.3, 1.2, size=400)
        ref = Reference(reference, 10)
        edges = np.concatenate(([-np.inf], ref.inner, [np.inf]))
        p = np.histogram(reference, edges)[0] / reference.size
        q = np.histogram(current, edges)[0] / current.size
        assert js_distance(reference, current, 10) == pytest.approx(jensenshannon(p, q, base=2), abs=1e-12)
        expected = wasserstein_distance(reference, current) / np.std(reference)
        assert wasserstein_normed(reference, current) == pytest.approx(expected, rel=1e-12)
        assert js_distance(reference, reference, 10) == 0.0
        assert wasserstein_normed(reference, reference) == 0.0


class TestStaleness:
    def test_the_golden_runs_model_is_fresh(self, runs: dict[str, Path]) -> None:
        result = staleness_check(load_run(runs["golden"], "candidate"), DEFAULTS)
        assert result.passed
        assert result.message == (
            "deployed fold 2013 trained through 2012-12-21 is 46 sessions old at 2013-03-01 (limit 260)"
        )

    def test_drill_a_fold_that_missed_its_refit(self, runs: dict[str, Path], tmp_path: Path) -> None:
        run = copy_run(runs["golden"], tmp_path / "stale")
        path = run / "models" / "folds.json"
        folds = json.loads(path.read_text())
        folds["folds"][-1]["train_end"] = "2011-12-21"  # the 2012 fit, still serving in 2013
        path.write_text(json.dumps(folds, indent=2, sort_keys=True) + "\n")
        record_in_manifest(run, "models/folds.json", "models/folds.json")
        result = staleness_check(load_run(run, "candidate"), DEFAULTS)
        assert not result.passed
        assert result.message == (
            "deployed fold 2013 trained through 2011-12-21 is 297 sessions old at 2013-03-01 > 260"
        )
