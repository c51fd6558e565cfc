"""`aurora bless` end to end on real runs: blessed, not blessed (every failed check named), bad input.

The short window of the bundled data (2012-06-01 .. 2013-03-01) keeps each
run to seconds; the training-serving skew check really runs `aurora run` and
`aurora advance` in a scratch directory, so each blessing takes about a minute.
The full-data figures (golden vs itself, hgb vs golden) are in ADR 0006.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from _bless_runs import (
    EXIT_BAD_INPUT,
    EXIT_NOT_BLESSED,
    EXIT_OK,
    copy_run,
    make_run,
    make_runs,
    manifest_verifies,
)
from _browser import chromium, console_problems
from _runs import aurora_here
from _snapshots import cut_snapshot
from aurora_e2d.blessing import CHECKS
from aurora_e2d.engine.catalog import ARTIFACTS
from aurora_e2d.rundir.artifacts import write_parquet
from aurora_e2d.rundir.manifest import record_in_manifest

pytestmark = pytest.mark.l1  # nightly breadth (nox -s l1): real runs, minutes each

CHECK_NAMES = [name for name, _ in CHECKS]


def bless(candidate: Path, champion: Path, *extra: str | Path):
    return aurora_here("bless", "--candidate-run", candidate, "--champion-run", champion, *extra)


def failed_lines(stderr: str) -> dict[str, str]:
    lines = stderr.strip().splitlines()
    assert all(line.startswith("aurora: not blessed: ") for line in lines), stderr
    return dict(line.removeprefix("aurora: not blessed: ").split(": ", 1) for line in lines)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_runs(tmp_path_factory)


class TestBlessed:
    def test_the_golden_run_against_itself_is_blessed_and_still_verifies(
        self, runs: dict[str, Path], tmp_path: Path
    ) -> None:
        run = copy_run(runs["golden"], tmp_path / "golden")
        out = tmp_path / "evidence" / "blessing.json"
        done = bless(run, run, "--json", out)
        assert done.returncode == EXIT_OK, done.stdout + done.stderr
        assert done.stderr == ""
        assert done.stdout.strip().endswith(f"blessed: {run} against {run} (6 checks pass)")
        written = json.loads((run / "blessing.json").read_text())
        assert out.read_bytes() == (run / "blessing.json").read_bytes()
        assert written["blessed"] is True
        assert written["failed"] == []
        assert [c["name"] for c in written["checks"]] == CHECK_NAMES
        assert written["window"] == {"first": "2012-06-01", "last": "2013-03-01", "same_run": True}
        run_id = json.loads((run / "manifest.json").read_text())["run_id"]  # the shared run's own id
        assert written["candidate"]["run_id"] == written["champion"]["run_id"] == run_id
        skew = next(c for c in written["checks"] if c["name"] == "training_serving_skew")
        assert skew["message"] == (
            "50 feature rows of 10 sessions (2013-02-15..2013-03-01) identical through the daily path"
        )
        manifest = json.loads((run / "manifest.json").read_text())
        assert manifest["artifacts"]["blessing"]["path"] == "blessing.json"
        assert manifest_verifies(run) == []  # the re-rendered report's hash is re-recorded
        html = (run / "report.html").read_text()
        assert "<p id='blessing-verdict'>Verdict: <span class=\"badge ok\">blessed</span>" in html
        for name in CHECK_NAMES:
            assert f"<code>{name}</code>" in html
        shown = chromium(run / "report.html", tmp_path / "chromium", "--dump-dom")  # the real browser
        assert shown.returncode == 0, shown.stderr[-2000:]
        assert console_problems(shown.stderr) == []
        assert 'id="blessing-verdict"' in shown.stdout or "id='blessing-verdict'" in shown.stdout


class TestNotBlessed:
    def test_hgb_against_golden_names_every_failed_check_on_its_own_line(
        self, runs: dict[str, Path], tmp_path: Path
    ) -> None:
        # Since one order per name (ADR 0011) the hgb candidate passes the default thresholds;
        # a zero turnover tolerance makes its higher turnover the one failed check.
        strict = tmp_path / "strict.toml"
        strict.write_text("[bless]\nchampion_turnover_tolerance_frac = 0.0\n")
        candidate = copy_run(runs["hgb"], tmp_path / "hgb")
        done = bless(candidate, runs["golden"], "--config", strict)
        assert done.returncode == EXIT_NOT_BLESSED, done.stderr
        written = json.loads((candidate / "blessing.json").read_text())
        lines = failed_lines(done.stderr)
        assert list(lines) == written["failed"] == ["champion"]
        assert lines["champion"] == "turnover 12.13% > champion 11.40% + 0%"
        assert manifest_verifies(candidate) == []

    def test_a_halted_candidate_is_not_blessed(self, runs: dict[str, Path], tmp_path: Path) -> None:
        tight = tmp_path / "tight.toml"
        tight.write_text("[limits]\nmax_drawdown_pct = 1.0\n")
        halted = make_run(tmp_path, "halted", "--config", str(tight), expect=4)
        done = bless(halted, runs["golden"])
        assert done.returncode == EXIT_NOT_BLESSED
        reason = failed_lines(done.stderr)["champion"]
        summary = json.loads((halted / "summary.json").read_text())
        sessions = summary["sessions"]
        assert reason.startswith(
            f"candidate halted after {sessions['done']} of {sessions['total']} sessions ({summary['message']}): "
            "a halted candidate is not blessed"
        )

    def test_daily_features_that_differ_from_batch_fail_the_skew_check(
        self, runs: dict[str, Path], tmp_path: Path
    ) -> None:
        """Drill: one float32 of the batch features moved by one ulp is training-serving skew."""
        run = copy_run(runs["golden"], tmp_path / "skewed")
        spec = ARTIFACTS["features"]
        features = pl.read_parquet(run / spec.file)
        last = features["date"].max()
        hit = (features["date"] == last) & (features["symbol"] == "IBM")
        values = features["rsi_14"].to_numpy().copy()
        before = values[hit.to_numpy()][0]
        values[hit.to_numpy()] = np.nextafter(before, np.float32(np.inf), dtype=np.float32)
        write_parquet(
            features.with_columns(pl.Series("rsi_14", values)),
            run / spec.file,
            spec.schema,
            list(spec.sort_by),
        )
        record_in_manifest(run, "features", spec.file)
        done = bless(run, run)
        assert done.returncode == EXIT_NOT_BLESSED
        after = float(np.nextafter(before, np.float32(np.inf), dtype=np.float32))
        assert failed_lines(done.stderr) == {
            "training_serving_skew": "daily features differ from batch on the 10 sessions after 2013-02-14: "
            f"rsi_14 IBM {last}: batch {after!r}, daily {float(before)!r}"
        }


class TestBadInput:
    def test_not_a_run_directory(self, runs: dict[str, Path], tmp_path: Path) -> None:
        done = bless(tmp_path, runs["golden"])
        assert done.returncode == EXIT_BAD_INPUT
        assert done.stderr == (
            f"aurora: error: --candidate-run {tmp_path}: not an Aurora run directory (no config.json)\n"
        )

    def test_an_unfinished_run(self, runs: dict[str, Path], tmp_path: Path) -> None:
        run = copy_run(runs["golden"], tmp_path / "unfinished")
        (run / "summary.json").unlink()
        done = bless(runs["golden"], run)
        assert done.returncode == EXIT_BAD_INPUT
        assert done.stderr == (
            f"aurora: error: --champion-run {run}: is not a finished run (it is interrupted); "
            f"finish it with: aurora resume --run-dir {run}\n"
        )

    def test_a_changed_artifact(self, runs: dict[str, Path], tmp_path: Path) -> None:
        run = copy_run(runs["golden"], tmp_path / "tampered")
        data = bytearray((run / "fills.parquet").read_bytes())
        data[100] ^= 0xFF
        (run / "fills.parquet").write_bytes(bytes(data))
        done = bless(run, runs["golden"])
        assert done.returncode == EXIT_BAD_INPUT
        line = done.stderr.strip()
        assert line.startswith(
            f"aurora: error: --candidate-run {run}: fills.parquet does not match manifest.json"
        )
        assert line.endswith("the run was changed after it finished")

    def test_runs_over_different_windows(self, runs: dict[str, Path], tmp_path: Path) -> None:
        later = tmp_path / "later"
        done = aurora_here("run", "--run-dir", later, "--start", "2012-09-04", "--end", "2013-03-01")
        assert done.returncode == 0, done.stderr
        refused = bless(runs["golden"], later)
        assert refused.returncode == EXIT_BAD_INPUT
        assert refused.stderr == (
            f"aurora: error: --champion-run {later}: trades 2012-09-04..2013-03-01, the candidate "
            "2012-06-01..2013-03-01: bless runs over the same window\n"
        )

    def test_runs_over_different_snapshots(self, runs: dict[str, Path], tmp_path: Path) -> None:
        other = cut_snapshot(tmp_path / "imported", dt.date(2013, 3, 1))
        run = make_run(tmp_path, "imported-run", "--snapshot", str(other))
        refused = bless(runs["golden"], run)
        assert refused.returncode == EXIT_BAD_INPUT
        golden_lock = json.loads((runs["golden"] / "manifest.json").read_text())["snapshot_identity"][
            "lock_sha256"
        ]
        other_lock = json.loads((run / "manifest.json").read_text())["snapshot_identity"]["lock_sha256"]
        assert refused.stderr == (
            f"aurora: error: --champion-run {run}: trades snapshot {other_lock}, the candidate {golden_lock}: "
            "bless runs over the same snapshot\n"
        )
