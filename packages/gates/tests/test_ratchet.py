"""The ratchet: worse beyond tolerance fails, goldens only tighten, loosening needs an ADR,
and a flags-off run must reproduce the pinned baseline decisions and fills."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aurora_e2d.data.ingest import load_lock
from aurora_e2d.rundir.artifacts import sha256_file
from aurora_gates import REGISTRY, GateContext, run_check
from aurora_gates.ratchet import (
    Direction,
    GoldenMetric,
    Goldens,
    RatchetError,
    Verdict,
    compare,
    describe_changes,
    load_goldens,
    update,
    write_goldens,
)

SHA_A = "a" * 64
BUNDLED_LOCK = load_lock(Path(__file__).resolve().parents[3] / "goldens" / "snapshot")[1]


def goldens(**metrics: tuple[float | None, str, float]) -> Goldens:
    return Goldens.from_dict(
        {
            "metrics": {n: {"value": v, "direction": d, "tolerance": t} for n, (v, d, t) in metrics.items()},
            "baseline_hashes": {},
        }
    )


def summary(**metrics: Any) -> dict[str, Any]:
    return {"metrics": metrics}


STANDARD = goldens(sharpe_ratio=(1.0, "higher", 0.05), turnover=(0.06, "lower", 0.01))


class TestCompare:
    def test_equal_and_better_pass(self) -> None:
        assert all(f.passed for f in compare(summary(sharpe_ratio=1.0, turnover=0.06), STANDARD))
        assert all(f.passed for f in compare(summary(sharpe_ratio=2.0, turnover=0.01), STANDARD))

    def test_worse_within_tolerance_passes(self) -> None:
        findings = compare(summary(sharpe_ratio=0.96, turnover=0.069), STANDARD)
        assert [f.verdict for f in findings] == [Verdict.OK, Verdict.OK]

    def test_higher_is_better_worse_beyond_tolerance_fails_naming_everything(self) -> None:
        sharpe, turnover = compare(summary(sharpe_ratio=0.9, turnover=0.06), STANDARD)
        assert sharpe.verdict is Verdict.WORSE
        assert turnover.passed
        assert sharpe.message == (
            "sharpe_ratio: 0.9 is worse than golden 1.0 beyond tolerance 0.05 (higher is better)"
        )

    def test_lower_is_better_worse_beyond_tolerance_fails(self) -> None:
        _, turnover = compare(summary(sharpe_ratio=1.0, turnover=0.08), STANDARD)
        assert turnover.verdict is Verdict.WORSE
        assert (
            turnover.message
            == "turnover: 0.08 is worse than golden 0.06 beyond tolerance 0.01 (lower is better)"
        )

    def test_negative_drawdown_higher_is_better(self) -> None:
        g = goldens(max_drawdown=(-0.16, "higher", 0.01))
        assert compare(summary(max_drawdown=-0.10), g)[0].passed
        assert compare(summary(max_drawdown=-0.18), g)[0].verdict is Verdict.WORSE

    @pytest.mark.parametrize("metrics", [{"turnover": 0.06}, {"sharpe_ratio": None, "turnover": 0.06}])
    def test_missing_or_null_metric_fails(self, metrics: dict[str, Any]) -> None:
        sharpe = compare({"metrics": metrics}, STANDARD)[0]
        assert sharpe.verdict is Verdict.MISSING
        assert sharpe.message == "sharpe_ratio: missing or null in summary.json (golden 1.0)"

    @pytest.mark.parametrize("bad", [float("nan"), float("inf"), "1.0", True])
    def test_non_finite_or_non_number_fails(self, bad: object) -> None:
        assert compare(summary(sharpe_ratio=bad, turnover=0.06), STANDARD)[0].verdict is Verdict.MISSING

    def test_summary_without_metrics_fails_every_golden(self) -> None:
        assert [f.verdict for f in compare({}, STANDARD)] == [Verdict.MISSING, Verdict.MISSING]

    def test_unset_golden_fails_until_populated(self) -> None:
        finding = compare(summary(ic=0.02), goldens(ic=(None, "higher", 0.005)))[0]
        assert finding.verdict is Verdict.UNSET
        assert "aurora ratchet --update" in finding.message

    def test_accepts_the_raw_json_mapping(self) -> None:
        assert compare(summary(sharpe_ratio=1.0, turnover=0.06), STANDARD.as_dict())[0].passed


class TestGoldensFile:
    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"metrics": {}}, "'metrics' must be a non-empty object"),
            (
                {"metrics": {"x": {"value": 1, "direction": "up", "tolerance": 0}}},
                "direction must be 'higher' or 'lower', was 'up'",
            ),
            (
                {"metrics": {"x": {"value": 1, "direction": "higher", "tolerance": -1}}},
                "tolerance must be a finite number >= 0, was -1",
            ),
            (
                {"metrics": {"x": {"value": True, "direction": "higher", "tolerance": 0}}},
                "value must be a finite number or null, was True",
            ),
            (
                {"metrics": {"x": {"value": 1, "direction": "higher", "tolerance": 0, "tol": 1}}},
                "unknown key 'tol'",
            ),
            (
                {"metrics": {"x": {"value": 1, "direction": "higher", "tolerance": 0}}, "extra": 1},
                "unknown key 'extra'",
            ),
            (
                {
                    "metrics": {"x": {"value": 1, "direction": "higher", "tolerance": 0}},
                    "baseline_hashes": {"fills": "abc"},
                },
                "'baseline_hashes.fills' must be a sha256 hex digest, was 'abc'",
            ),
        ],
    )
    def test_bad_goldens_are_refused_naming_the_field(self, data: dict[str, Any], message: str) -> None:
        with pytest.raises(RatchetError, match=re.escape(message)):
            Goldens.from_dict(data, "g.json")

    def test_round_trip(self, tmp_path: Path) -> None:
        path = tmp_path / "metrics.json"
        write_goldens(path, STANDARD)
        assert load_goldens(path) == STANDARD
        assert path.read_text().endswith("}\n")

    def test_the_repository_goldens_are_valid_and_cover_the_summary_metrics(self, repo_root: Path) -> None:
        loaded = load_goldens(repo_root / "goldens" / "metrics.json")
        assert set(loaded.metrics) >= {
            "annual_return", "annual_volatility", "sharpe_ratio", "sortino_ratio", "max_drawdown",
            "calmar_ratio", "turnover", "hit_rate", "ic", "fill_rate",
        }  # fmt: skip
        assert loaded.metrics["max_drawdown"].direction is Direction.HIGHER
        assert loaded.metrics["annual_volatility"].direction is Direction.LOWER


class TestUpdate:
    def test_tightens_in_the_better_direction_only(self) -> None:
        new = update(STANDARD, summary(sharpe_ratio=1.2, turnover=0.05))
        assert new.metrics["sharpe_ratio"] == GoldenMetric(
            value=1.2, direction=Direction.HIGHER, tolerance=0.05
        )
        assert new.metrics["turnover"].value == 0.05
        assert describe_changes(STANDARD, new) == [
            "sharpe_ratio: tightened 1.0 -> 1.2 (higher is better)",
            "turnover: tightened 0.06 -> 0.05 (lower is better)",
        ]

    def test_never_loosens_even_within_tolerance(self) -> None:
        new = update(STANDARD, summary(sharpe_ratio=0.99, turnover=0.2))
        assert new == STANDARD
        assert describe_changes(STANDARD, new) == []

    def test_pins_an_unset_golden(self) -> None:
        new = update(goldens(ic=(None, "higher", 0.005)), summary(ic=0.019))
        assert new.metrics["ic"].value == 0.019
        assert describe_changes(goldens(ic=(None, "higher", 0.005)), new) == [
            "ic: pinned None -> 0.019 (higher is better)"
        ]

    def test_refuses_a_run_missing_a_golden_metric(self) -> None:
        with pytest.raises(RatchetError, match=r"^summary.json: metric 'turnover' is missing or null"):
            update(STANDARD, summary(sharpe_ratio=1.2))

    def test_allow_loosen_without_adr_is_refused(self) -> None:
        with pytest.raises(
            RatchetError, match=re.escape("'--allow-loosen' needs '--adr docs/adr/NNNN-title.md'")
        ):
            update(STANDARD, summary(sharpe_ratio=0.5, turnover=0.06), allow_loosen=True)

    def test_adr_without_allow_loosen_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(RatchetError, match="'--adr' only goes with '--allow-loosen'"):
            update(STANDARD, summary(sharpe_ratio=0.5, turnover=0.06), adr=tmp_path / "docs/adr/0009-x.md")

    def test_allow_loosen_with_a_missing_adr_is_refused(self, tmp_path: Path) -> None:
        adr = tmp_path / "docs" / "adr" / "0009-lower-sharpe.md"
        with pytest.raises(RatchetError, match="'--adr' names an ADR that does not exist"):
            update(STANDARD, summary(sharpe_ratio=0.5, turnover=0.06), allow_loosen=True, adr=adr)

    @pytest.mark.parametrize("rel", ["docs/adr/0000-template.md", "docs/notes/0009-x.md", "docs/adr/why.md"])
    def test_allow_loosen_refuses_what_is_not_an_adr(self, tmp_path: Path, rel: str) -> None:
        adr = tmp_path / rel
        adr.parent.mkdir(parents=True)
        adr.write_text("# not an ADR\n")
        with pytest.raises(RatchetError, match="'--adr' must name"):
            update(STANDARD, summary(sharpe_ratio=0.5, turnover=0.06), allow_loosen=True, adr=adr)

    def test_allow_loosen_with_an_existing_adr_loosens(self, tmp_path: Path) -> None:
        adr = tmp_path / "docs" / "adr" / "0009-lower-sharpe.md"
        adr.parent.mkdir(parents=True)
        adr.write_text("# 0009 — realistic costs lower the Sharpe ratio\n")
        new = update(STANDARD, summary(sharpe_ratio=0.5, turnover=0.06), allow_loosen=True, adr=adr)
        assert new.metrics["sharpe_ratio"].value == 0.5
        assert describe_changes(STANDARD, new) == ["sharpe_ratio: LOOSENED 1.0 -> 0.5 (higher is better)"]

    def test_baseline_hashes_replaced_only_when_given(self) -> None:
        pinned = Goldens(STANDARD.metrics, {"decisions": SHA_A})
        run = summary(sharpe_ratio=1.0, turnover=0.06)
        assert update(pinned, run).baseline_hashes == {"decisions": SHA_A}
        new = update(pinned, run, baseline={"decisions": "b" * 64, "fills": "c" * 64})
        assert new.baseline_hashes == {"decisions": "b" * 64, "fills": "c" * 64}

    @given(
        golden=st.floats(-10, 10, allow_nan=False),
        value=st.floats(-10, 10, allow_nan=False),
        direction=st.sampled_from(list(Direction)),
    )
    def test_property_update_never_moves_a_golden_the_worse_way(
        self, golden: float, value: float, direction: Direction
    ) -> None:
        old = goldens(m=(golden, str(direction), 0.1))
        new = update(old, summary(m=value)).metrics["m"].value
        assert new is not None
        assert new == golden or old.metrics["m"].better(new, golden)
        assert compare(summary(m=value), update(old, summary(m=value)))[0].passed is (
            not old.metrics["m"].worse_beyond_tolerance(value)
        )


# --- the L2 check and the CLI on run directories -------------------------------------------


def write_parquet(path: Path, values: list[int]) -> str:
    pq.write_table(pa.table({"symbol": ["AAPL"] * len(values), "qty": pa.array(values, pa.int64())}), path)
    return sha256_file(path)


def make_run(
    root: Path, *, flags: dict[str, bool] | None = None, metrics: dict[str, Any] | None = None
) -> Path:
    run = root / "run"
    run.mkdir(parents=True)
    artifacts = {}
    for name, values in (("decisions", [1, 2]), ("fills", [3])):
        sha = write_parquet(run / f"{name}.parquet", values)
        artifacts[name] = {"path": f"{name}.parquet", "sha256": sha, "rows": len(values), "schema": {}}
    manifest = {
        "flags": {"hgb_model": False} if flags is None else flags,
        "artifacts": artifacts,
        "snapshot_identity": {"lock_sha256": BUNDLED_LOCK},
    }
    (run / "manifest.json").write_text(json.dumps(manifest))
    (run / "summary.json").write_text(
        json.dumps(summary(**(metrics or {"sharpe_ratio": 1.0, "turnover": 0.06})))
    )
    return run


def make_repo(root: Path, g: Goldens) -> Path:
    (root / "goldens").mkdir(parents=True)
    (root / "noxfile.py").write_text("# a stand-in repository for the gates\n")
    write_goldens(root / "goldens" / "metrics.json", g)
    return root


def baseline_of(run: Path) -> dict[str, str]:
    return {name: sha256_file(run / f"{name}.parquet") for name in ("decisions", "fills")}


def ratchet(repo: Path, run: Path):
    from aurora_gates import ratchet as _registers  # noqa: F401

    return run_check(REGISTRY.get("ratchet"), GateContext(repo_root=repo, run_dir=run))


class TestRatchetCheck:
    def test_passes_when_metrics_hold_and_the_baseline_matches(self, tmp_path: Path) -> None:
        run = make_run(tmp_path)
        repo = make_repo(tmp_path / "repo", Goldens(STANDARD.metrics, baseline_of(run)))
        result = ratchet(repo, run)
        assert result.passed, result.reason
        assert result.evidence["baseline_hashes"] == baseline_of(run)

    def test_fails_naming_the_metric_golden_value_and_tolerance(self, tmp_path: Path) -> None:
        run = make_run(tmp_path, metrics={"sharpe_ratio": 0.5, "turnover": 0.2})
        repo = make_repo(tmp_path / "repo", Goldens(STANDARD.metrics, baseline_of(run)))
        result = ratchet(repo, run)
        assert not result.passed
        assert result.reason == (
            "sharpe_ratio: 0.5 is worse than golden 1.0 beyond tolerance 0.05 (higher is better) (and 1 more)"
        )
        assert [f["metric"] for f in result.evidence["failed"]] == ["sharpe_ratio", "turnover"]

    def test_a_flipped_byte_in_fills_breaks_the_baseline(self, tmp_path: Path) -> None:
        run = make_run(tmp_path)
        repo = make_repo(tmp_path / "repo", Goldens(STANDARD.metrics, baseline_of(run)))
        data = bytearray((run / "fills.parquet").read_bytes())
        data[len(data) // 2] ^= 0x01
        (run / "fills.parquet").write_bytes(bytes(data))
        result = ratchet(repo, run)
        assert not result.passed
        assert (
            result.reason
            == "fills: the flags-off run's sha256 differs from the pinned baseline in goldens/metrics.json"
        )

    def test_an_unpinned_baseline_fails_rather_than_passing_vacuously(self, tmp_path: Path) -> None:
        run = make_run(tmp_path)
        repo = make_repo(
            tmp_path / "repo", Goldens(STANDARD.metrics, {"decisions": baseline_of(run)["decisions"]})
        )
        result = ratchet(repo, run)
        assert not result.passed
        assert result.reason.startswith("goldens/metrics.json: no baseline hash pinned for 'fills'")

    def test_a_run_with_a_flag_on_is_not_held_to_the_flags_off_baseline(self, tmp_path: Path) -> None:
        run = make_run(tmp_path, flags={"hgb_model": True})
        repo = make_repo(tmp_path / "repo", Goldens(STANDARD.metrics, {"decisions": SHA_A, "fills": SHA_A}))
        result = ratchet(repo, run)
        assert result.passed, result.reason
        assert result.evidence["baseline_hashes"] == "not compared: the run has flags on ['hgb_model']"

    def test_a_missing_summary_fails(self, tmp_path: Path) -> None:
        run = make_run(tmp_path)
        (run / "summary.json").unlink()
        repo = make_repo(tmp_path / "repo", STANDARD)
        result = ratchet(repo, run)
        assert not result.passed
        assert result.reason == f"{run / 'summary.json'}: summary.json does not exist"

    def test_placeholder_goldens_fail(self, tmp_path: Path) -> None:
        run = make_run(tmp_path)
        repo = make_repo(tmp_path / "repo", goldens(sharpe_ratio=(None, "higher", 0.05)))
        result = ratchet(repo, run)
        assert not result.passed
        assert "golden value is unset" in result.reason


def aurora(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("aurora", path=str(Path(sys.executable).parent))
    assert exe is not None
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


class TestRatchetCli:
    def test_exit_1_when_worse_and_0_when_not(self, tmp_path: Path) -> None:
        good = make_run(tmp_path / "a")
        bad = make_run(tmp_path / "b", metrics={"sharpe_ratio": 0.5, "turnover": 0.06})
        repo = make_repo(tmp_path / "repo", Goldens(STANDARD.metrics, baseline_of(good)))
        passed = aurora("ratchet", "--run-dir", str(good), cwd=repo)
        assert passed.returncode == 0, passed.stdout + passed.stderr
        failed = aurora("ratchet", "--run-dir", str(bad), cwd=repo)
        assert failed.returncode == 1
        assert "FAIL sharpe_ratio: 0.5 is worse than golden 1.0 beyond tolerance 0.05" in failed.stdout

    def test_exit_1_when_the_flags_off_baseline_moved(self, tmp_path: Path) -> None:
        run = make_run(tmp_path)
        pinned = {**baseline_of(run), "fills": SHA_A}
        repo = make_repo(tmp_path / "repo", Goldens(STANDARD.metrics, pinned))
        result = aurora("ratchet", "--run-dir", str(run), cwd=repo)
        assert result.returncode == 1
        assert f"FAIL baseline fills: golden sha256 {SHA_A}, run {baseline_of(run)['fills']}" in result.stdout

    def test_update_tightens_and_pins_the_flags_off_baseline(self, tmp_path: Path) -> None:
        run = make_run(tmp_path, metrics={"sharpe_ratio": 1.3, "turnover": 0.07})
        repo = make_repo(tmp_path / "repo", STANDARD)
        result = aurora("ratchet", "--run-dir", str(run), "--update", cwd=repo)
        assert result.returncode == 0, result.stdout + result.stderr
        new = load_goldens(repo / "goldens" / "metrics.json")
        assert new.metrics["sharpe_ratio"].value == 1.3
        assert new.metrics["turnover"].value == 0.06  # worse (within tolerance): kept
        assert new.baseline_hashes == baseline_of(run)

    def test_update_keeps_the_baseline_of_a_flag_on_run(self, tmp_path: Path) -> None:
        run = make_run(tmp_path, flags={"hgb_model": True})
        repo = make_repo(tmp_path / "repo", STANDARD)
        result = aurora("ratchet", "--run-dir", str(run), "--update", cwd=repo)
        assert result.returncode == 0, result.stdout + result.stderr
        assert (
            "baseline hashes not compared (and kept in the goldens): the run has flags on ['hgb_model']"
            in result.stdout
        )
        assert load_goldens(repo / "goldens" / "metrics.json").baseline_hashes == {}

    def test_loosening_with_a_missing_adr_is_exit_2_and_one_line(self, tmp_path: Path) -> None:
        run = make_run(tmp_path, metrics={"sharpe_ratio": 0.5, "turnover": 0.06})
        repo = make_repo(tmp_path / "repo", STANDARD)
        before = (repo / "goldens" / "metrics.json").read_bytes()
        result = aurora(
            "ratchet",
            "--run-dir",
            str(run),
            "--update",
            "--allow-loosen",
            "--adr",
            "docs/adr/0042-why.md",
            cwd=repo,
        )
        assert result.returncode == 2
        assert (
            result.stderr
            == "aurora: error: '--adr' names an ADR that does not exist: 'docs/adr/0042-why.md'\n"
        )
        assert (repo / "goldens" / "metrics.json").read_bytes() == before

    def test_loosening_with_an_existing_adr(self, tmp_path: Path) -> None:
        run = make_run(tmp_path, metrics={"sharpe_ratio": 0.5, "turnover": 0.06})
        repo = make_repo(tmp_path / "repo", STANDARD)
        (repo / "docs" / "adr").mkdir(parents=True)
        (repo / "docs" / "adr" / "0042-why.md").write_text("# 0042 — why\n")
        result = aurora(
            "ratchet",
            "--run-dir",
            str(run),
            "--update",
            "--allow-loosen",
            "--adr",
            "docs/adr/0042-why.md",
            cwd=repo,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "sharpe_ratio: LOOSENED 1.0 -> 0.5" in result.stdout
        assert load_goldens(repo / "goldens" / "metrics.json").metrics["sharpe_ratio"].value == 0.5

    def test_allow_loosen_without_update_is_a_usage_error(self, tmp_path: Path) -> None:
        run = make_run(tmp_path)
        repo = make_repo(tmp_path / "repo", STANDARD)
        result = aurora("ratchet", "--run-dir", str(run), "--allow-loosen", cwd=repo)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr


def test_real_run_pins_every_golden_then_passes(real_run: Path, repo_root: Path, tmp_path: Path) -> None:
    """The goldens format fits a real summary.json: populating placeholders, then ratcheting, passes."""
    placeholders = load_goldens(repo_root / "goldens" / "metrics.json")
    unset = Goldens(
        {
            n: GoldenMetric(value=None, direction=m.direction, tolerance=m.tolerance)
            for n, m in placeholders.metrics.items()
        }
    )
    repo = make_repo(tmp_path / "repo", unset)
    result = aurora("ratchet", "--run-dir", str(real_run), "--update", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    pinned = load_goldens(repo / "goldens" / "metrics.json")
    assert all(m.value is not None for m in pinned.metrics.values())
    assert set(pinned.baseline_hashes) == {"decisions", "fills"}
    check = ratchet(repo, real_run)
    assert check.passed, check.reason
