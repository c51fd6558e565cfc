"""The rollback-test's logic on real Parquet files, its orchestration against a stand-in
`aurora`, and one real baseline/rollback pair of `aurora run`."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aurora_e2d.rundir.artifacts import sha256_file
from aurora_gates.rollback import (
    RollbackError,
    RunRecord,
    flag_differs,
    golden_matches,
    main,
    parquet_hashes,
    rollback_identical,
    rollback_test,
)


def write_run(
    run_dir: Path, *, predictions: list[float], flags: dict[str, bool], extra: dict | None = None
) -> Path:
    """A run directory with real Parquet artifacts and a manifest listing them (and config.json)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    tables = {
        "predictions": pa.table(
            {"symbol": ["AAPL", "IBM"], "prediction": pa.array(predictions, pa.float64())}
        ),
        "decisions": pa.table(
            {"symbol": ["AAPL", "IBM"], "target_weight": pa.array([p * 2 for p in predictions])}
        ),
        "fills": pa.table({"client_order_id": ["a", "b"], "quantity": pa.array([10, 20], pa.int64())}),
    }
    artifacts = {}
    for name, table in tables.items():
        pq.write_table(table, run_dir / f"{name}.parquet")
        artifacts[name] = {"path": f"{name}.parquet", "sha256": sha256_file(run_dir / f"{name}.parquet")}
    (run_dir / "config.json").write_text(json.dumps({"run_id": run_dir.name}))  # run-specific, never compared
    artifacts["config"] = {"path": "config.json", "sha256": sha256_file(run_dir / "config.json")}
    (run_dir / "manifest.json").write_text(
        json.dumps({"flags": flags, "artifacts": artifacts, **(extra or {})})
    )
    return run_dir


def record(name: str, run_dir: Path, exit_code: int = 0) -> RunRecord:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    return RunRecord(
        name=name,
        env={},
        run_dir=str(run_dir),
        exit_code=exit_code,
        duration_s=0.0,
        flags=manifest["flags"],
        hashes=parquet_hashes(run_dir),
    )


BASE = [0.1, 0.2]


@pytest.fixture
def baseline(tmp_path: Path) -> RunRecord:
    return record("baseline", write_run(tmp_path / "baseline", predictions=BASE, flags={"hgb_model": False}))


class TestParquetHashes:
    def test_hashes_every_parquet_artifact_from_the_file_and_skips_config(self, tmp_path: Path) -> None:
        run = write_run(tmp_path / "r", predictions=BASE, flags={})
        hashes = parquet_hashes(run)
        assert sorted(hashes) == ["decisions", "fills", "predictions"]
        assert hashes["fills"] == sha256_file(run / "fills.parquet")

    def test_a_listed_artifact_missing_is_an_error(self, tmp_path: Path) -> None:
        run = write_run(tmp_path / "r", predictions=BASE, flags={})
        (run / "fills.parquet").unlink()
        with pytest.raises(
            RollbackError, match=re.escape("artifact 'fills' is listed in manifest.json but missing")
        ):
            parquet_hashes(run)

    def test_no_manifest_is_an_error(self, tmp_path: Path) -> None:
        with pytest.raises(RollbackError, match=re.escape("manifest.json does not exist")):
            parquet_hashes(tmp_path)


class TestFlagDiffers:
    def test_passes_when_predictions_differ(self, tmp_path: Path, baseline: RunRecord) -> None:
        flagged = record(
            "flag-hgb_model", write_run(tmp_path / "f", predictions=[0.3, 0.1], flags={"hgb_model": True})
        )
        verdict = flag_differs("hgb_model", baseline, flagged)
        assert verdict.passed, verdict.reason
        assert verdict.evidence["differing"] == ["predictions", "decisions"]

    def test_a_flag_that_changes_nothing_fails(self, tmp_path: Path, baseline: RunRecord) -> None:
        flagged = record(
            "flag-hgb_model", write_run(tmp_path / "f", predictions=BASE, flags={"hgb_model": True})
        )
        verdict = flag_differs("hgb_model", baseline, flagged)
        assert not verdict.passed
        assert (
            verdict.reason
            == "flag 'hgb_model' changed none of predictions, decisions: the flag does nothing visible"
        )

    def test_a_flag_not_recorded_on_fails(self, tmp_path: Path, baseline: RunRecord) -> None:
        flagged = record(
            "flag-hgb_model", write_run(tmp_path / "f", predictions=[0.3, 0.1], flags={"hgb_model": False})
        )
        verdict = flag_differs("hgb_model", baseline, flagged)
        assert (
            verdict.reason
            == "run 'flag-hgb_model': manifest.json records flag 'hgb_model' as False, not True"
        )

    def test_a_failed_run_fails(self, baseline: RunRecord) -> None:
        broken = RunRecord(
            name="flag-x",
            env={},
            run_dir="d",
            exit_code=2,
            duration_s=0.0,
            error="`aurora run` exited 2: bad",
        )
        assert flag_differs("x", baseline, broken).reason == "run 'flag-x' failed: `aurora run` exited 2: bad"


class TestRollbackIdentical:
    def test_identical_bytes_and_flags_off_pass(self, tmp_path: Path, baseline: RunRecord) -> None:
        rolled = record(
            "rollback-hgb_model", write_run(tmp_path / "r", predictions=BASE, flags={"hgb_model": False})
        )
        verdict = rollback_identical("hgb_model", baseline, rolled)
        assert verdict.passed, verdict.reason
        assert verdict.evidence["identical"] == ["decisions", "fills", "predictions"]

    def test_one_flipped_byte_fails_naming_the_artifact(self, tmp_path: Path, baseline: RunRecord) -> None:
        run = write_run(tmp_path / "r", predictions=BASE, flags={"hgb_model": False})
        data = bytearray((run / "fills.parquet").read_bytes())
        data[len(data) // 2] ^= 0x01
        (run / "fills.parquet").write_bytes(bytes(data))
        verdict = rollback_identical("hgb_model", baseline, record("rollback-hgb_model", run))
        assert not verdict.passed
        assert verdict.reason == "run 'rollback-hgb_model': fills differs from the baseline byte for byte"
        assert set(verdict.evidence["differing"]) == {"fills"}

    def test_same_values_different_bytes_fail(self, tmp_path: Path, baseline: RunRecord) -> None:
        run = write_run(tmp_path / "r", predictions=BASE, flags={"hgb_model": False})
        table = pq.read_table(run / "decisions.parquet")
        pq.write_table(table, run / "decisions.parquet", compression="gzip")  # equal data, other bytes
        verdict = rollback_identical("hgb_model", baseline, record("rollback-hgb_model", run))
        assert verdict.reason == "run 'rollback-hgb_model': decisions differs from the baseline byte for byte"

    def test_a_flag_left_on_under_rollback_fails(self, tmp_path: Path, baseline: RunRecord) -> None:
        rolled = record(
            "rollback-hgb_model", write_run(tmp_path / "r", predictions=BASE, flags={"hgb_model": True})
        )
        verdict = rollback_identical("hgb_model", baseline, rolled)
        assert (
            verdict.reason
            == "run 'rollback-hgb_model': manifest.json records flags ['hgb_model'] on under AURORA_ROLLBACK=1"
        )

    def test_an_extra_or_missing_artifact_fails(self, tmp_path: Path, baseline: RunRecord) -> None:
        rolled = record("rollback-x", write_run(tmp_path / "r", predictions=BASE, flags={"hgb_model": False}))
        fewer = replace(rolled, hashes={k: v for k, v in rolled.hashes.items() if k != "fills"})
        verdict = rollback_identical("x", baseline, fewer)
        assert verdict.reason == "run 'rollback-x': fills differs from the baseline byte for byte"
        assert verdict.evidence["differing"]["fills"]["rollback"] is None


class TestGolden:
    def test_matches(self, baseline: RunRecord) -> None:
        pinned = {"decisions": baseline.hashes["decisions"], "fills": baseline.hashes["fills"]}
        assert golden_matches(baseline, pinned).passed

    def test_differs(self, baseline: RunRecord) -> None:
        pinned = {"decisions": "0" * 64, "fills": baseline.hashes["fills"]}
        assert (
            golden_matches(baseline, pinned, "g.json").reason
            == "baseline decisions differs from the hash pinned in g.json"
        )

    def test_unpinned_fails(self, baseline: RunRecord) -> None:
        assert golden_matches(baseline, {}, "g.json").reason.startswith(
            "g.json: no baseline hash pinned for 'decisions'"
        )


# A stand-in `aurora`: writes a run whose predictions depend on AURORA_FLAG_HGB_MODEL and
# (unless BUG_IGNORE_ROLLBACK) honours AURORA_ROLLBACK, as the real one must.
FAKE_AURORA = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    import pyarrow as pa, pyarrow.parquet as pq
    from aurora_e2d.rundir.artifacts import sha256_file
    assert sys.argv[1] == "run" and sys.argv[2] == "--run-dir", sys.argv
    run = Path(sys.argv[3]); run.mkdir(parents=True)
    rollback = os.environ.get("AURORA_ROLLBACK") == "1" and not os.environ.get("BUG_IGNORE_ROLLBACK")
    on = os.environ.get("AURORA_FLAG_HGB_MODEL") == "1" and not rollback
    inert = os.environ.get("BUG_INERT_FLAG") == "1"
    value = 0.5 if on and not inert else 0.1
    artifacts = {}
    for name in ("predictions", "decisions", "fills"):
        pq.write_table(pa.table({"v": [value]}), run / f"{name}.parquet")
        artifacts[name] = {"path": f"{name}.parquet", "sha256": sha256_file(run / f"{name}.parquet")}
    (run / "config.json").write_text(json.dumps({"run_id": run.name}))
    artifacts["config"] = {"path": "config.json", "sha256": sha256_file(run / "config.json")}
    (run / "manifest.json").write_text(json.dumps({"flags": {"hgb_model": on}, "artifacts": artifacts}))
    sys.exit(int(os.environ.get("EXIT_WITH_FLAG", "0")) if on else 0)
    """
)


@pytest.fixture
def fake_aurora(tmp_path: Path) -> list[str]:
    script = tmp_path / "fake_aurora.py"
    script.write_text(FAKE_AURORA)
    return [sys.executable, str(script)]


def env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("AURORA_")}, **extra}


class TestOrchestration:
    def test_a_well_behaved_flag_passes_and_the_report_has_every_run(
        self, tmp_path: Path, fake_aurora: list[str], repo_root: Path
    ) -> None:
        report = rollback_test(
            repo_root, tmp_path / "work", flags=["hgb_model"], environ=env(), command=fake_aurora
        )
        assert report.passed, [v.reason for v in report.verdicts]
        data = report.as_dict()
        assert list(data["runs"]) == ["baseline", "flag-hgb_model", "rollback-hgb_model"]
        assert data["runs"]["rollback-hgb_model"]["env"] == {
            "AURORA_FLAG_HGB_MODEL": "1",
            "AURORA_ROLLBACK": "1",
        }
        assert [v["name"] for v in data["verdicts"]] == [
            "flag-hgb_model-differs",
            "rollback-hgb_model-identical",
        ]
        report.write(tmp_path / "reports" / "rollback-test.json")
        assert json.loads((tmp_path / "reports" / "rollback-test.json").read_text())["passed"] is True

    def test_ignored_rollback_fails(self, tmp_path: Path, fake_aurora: list[str], repo_root: Path) -> None:
        report = rollback_test(
            repo_root,
            tmp_path / "work",
            flags=["hgb_model"],
            environ=env(BUG_IGNORE_ROLLBACK="1"),
            command=fake_aurora,
        )
        assert not report.passed
        assert report.verdicts[1].reason == (
            "run 'rollback-hgb_model': manifest.json records flags ['hgb_model'] on under AURORA_ROLLBACK=1"
        )

    def test_an_inert_flag_fails(self, tmp_path: Path, fake_aurora: list[str], repo_root: Path) -> None:
        report = rollback_test(
            repo_root,
            tmp_path / "work",
            flags=["hgb_model"],
            environ=env(BUG_INERT_FLAG="1"),
            command=fake_aurora,
        )
        assert [v.passed for v in report.verdicts] == [False, True]

    def test_stray_flag_in_the_callers_shell_does_not_spoil_the_baseline(
        self, tmp_path: Path, fake_aurora: list[str], repo_root: Path
    ) -> None:
        report = rollback_test(
            repo_root,
            tmp_path / "work",
            flags=["hgb_model"],
            environ=env(AURORA_FLAG_HGB_MODEL="1"),
            command=fake_aurora,
        )
        assert report.passed
        assert report.runs[0].flags == {"hgb_model": False}

    def test_flag_run_halted_by_a_breaker_still_counts_other_failures_do_not(
        self, tmp_path: Path, fake_aurora: list[str], repo_root: Path
    ) -> None:
        halted = rollback_test(
            repo_root,
            tmp_path / "a",
            flags=["hgb_model"],
            environ=env(EXIT_WITH_FLAG="4"),
            command=fake_aurora,
        )
        assert halted.passed
        assert halted.verdicts[0].evidence["flag_run_exit_code"] == 4
        crashed = rollback_test(
            repo_root,
            tmp_path / "b",
            flags=["hgb_model"],
            environ=env(EXIT_WITH_FLAG="1"),
            command=fake_aurora,
        )
        assert crashed.verdicts[0].reason.startswith("run 'flag-hgb_model' failed: `aurora run` exited 1")

    def test_goldens_are_compared_when_given(
        self, tmp_path: Path, fake_aurora: list[str], repo_root: Path
    ) -> None:
        goldens = tmp_path / "metrics.json"
        goldens.write_text(
            json.dumps(
                {
                    "metrics": {"ic": {"value": None, "direction": "higher", "tolerance": 0}},
                    "baseline_hashes": {},
                }
            )
        )
        report = rollback_test(
            repo_root,
            tmp_path / "work",
            flags=["hgb_model"],
            goldens=goldens,
            environ=env(),
            command=fake_aurora,
        )
        assert report.verdicts[0].name == "baseline-matches-golden"
        assert (
            report.verdicts[0].reason
            == f"{goldens}: no baseline hash pinned for 'decisions' (`aurora ratchet --update`)"
        )
        assert not report.passed

    def test_a_missing_command_fails_every_verdict(self, tmp_path: Path, repo_root: Path) -> None:
        report = rollback_test(
            repo_root, tmp_path / "w", flags=["hgb_model"], environ=env(), command=[str(tmp_path / "nope")]
        )
        assert not report.passed
        assert all("cannot start" in v.reason for v in report.verdicts)


def test_main_rejects_unknown_arguments() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--bogus"])
    assert exit_info.value.code == 2


def _aurora() -> str:
    exe = shutil.which("aurora", path=str(Path(sys.executable).parent))
    assert exe is not None, "the aurora console script is not installed in this environment"
    return exe


def test_real_aurora_rollback_equals_the_baseline_byte_for_byte(tmp_path: Path, repo_root: Path) -> None:
    """Two real `aurora run`s (the last sessions only, for speed): flags off, and AURORA_ROLLBACK=1
    (no flag): identical Parquet bytes, orders and fills included."""
    report = rollback_test(
        repo_root,
        tmp_path / "work",
        flags=[],
        environ=env(),
        command=[_aurora()],
        extra_args=["--start", "2012-06-01", "--end", "2013-03-01"],
    )
    assert report.passed, [v.reason for v in report.verdicts]
    assert [r.name for r in report.runs] == ["baseline", "rollback"]
    assert {"bars", "features", "predictions", "decisions", "orders", "fills"} <= set(report.runs[0].hashes)
    assert report.runs[1].env == {"AURORA_ROLLBACK": "1"}
