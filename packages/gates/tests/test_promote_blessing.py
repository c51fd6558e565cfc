"""The promotion's blessing item and the ML Test Score self-assessment.

The item is held to exact reasons on blessings shaped as `aurora bless --json`
writes them, and once on a real blessing of a real run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from aurora_e2d.data.ingest import load_lock
from aurora_e2d.rundir.config import BlessConfig, RunConfig
from aurora_gates.evidence import Evidence
from aurora_gates.promote import blessing_item, default_config_hash, mltestscore
from aurora_gates.promote.inputs import PromotionInputs
from aurora_gates.registry import CheckFailed
from gates_helpers import REPO_ROOT, aurora_exe, clean_env

REVISION = "0123456789abcdef0123456789abcdef01234567"
BUNDLED_LOCK = load_lock(REPO_ROOT / "goldens" / "snapshot")[1]  # the legacy goldens' snapshot
GOLDEN = {"decisions": "d" * 64, "fills": "f" * 64}
CHECKS = ("champion", "baselines", "slices", "training_serving_skew", "input_drift", "model_staleness")


@dataclass
class FixedGit:
    rev: str | None = REVISION

    def revision(self) -> str | None:
        return self.rev

    def changed(self, *pathspecs: str) -> list[str]:
        return []


def run_identity(run_id: str, sha: dict[str, str], **changes: object) -> dict:
    return {
        "run_id": run_id,
        "status": "completed",
        "git_revision": REVISION,
        "config": RunConfig().model_dump(mode="json"),
        "config_hash": RunConfig().config_hash(),
        "manifest_sha256": "m" * 64,
        "snapshot_lock_sha256": BUNDLED_LOCK,
        "flags": {"hgb_model": False},
        "artifact_sha256": sha,
        **changes,
    }


def blessing(**changes: object) -> dict:
    data = {
        "format_version": 1,
        "blessed": True,
        "failed": [],
        "candidate": run_identity("candidate", GOLDEN),
        "champion": run_identity("champion", GOLDEN),
        "window": {"first": "2003-01-02", "last": "2013-03-01", "same_run": False},
        "thresholds": BlessConfig().model_dump(mode="json"),
        "thresholds_source": "<defaults>",
        "checks": [{"name": n, "passed": True, "message": f"{n} ok", "requirement": ""} for n in CHECKS],
    }
    data.update(changes)
    return data


def repo_with(tmp_path: Path, data: dict | None, golden: dict[str, str] = GOLDEN) -> Path:
    root = tmp_path / "repo"
    (root / "reports").mkdir(parents=True)
    (root / "goldens").mkdir()
    metric = {"value": 1.0, "direction": "higher", "tolerance": 0.05}
    goldens = {"metrics": {"sharpe_ratio": metric}, "baseline_hashes": golden}
    (root / "goldens" / "metrics.json").write_text(json.dumps(goldens))
    if data is not None:
        (root / "reports" / "blessing.json").write_text(json.dumps(data))
    return root


def assess(root: Path, rev: str | None = REVISION) -> dict:
    return blessing_item(PromotionInputs(root, FixedGit(rev), Evidence(root / "reports")))


def reason(root: Path, rev: str | None = REVISION) -> str:
    with pytest.raises(CheckFailed) as failed:
        assess(root, rev)
    return failed.value.reason


class TestBlessingItem:
    def test_a_blessing_of_the_default_candidate_against_the_golden_passes_and_records_both_runs(
        self, tmp_path: Path
    ) -> None:
        evidence = assess(repo_with(tmp_path, blessing()))
        assert evidence["candidate"] == {
            "run_id": "candidate",
            "manifest_sha256": "m" * 64,
            "config_hash": RunConfig().config_hash(),
            "snapshot_lock_sha256": BUNDLED_LOCK,
            "git_revision": REVISION,
            "status": "completed",
        }
        assert evidence["champion"]["run_id"] == "champion"
        assert evidence["checks"] == {n: f"{n} ok" for n in CHECKS}

    def test_no_blessing(self, tmp_path: Path) -> None:
        root = repo_with(tmp_path, None)
        path = root / "reports" / "blessing.json"
        assert reason(root) == f"blessing report {path} does not exist (run `aurora bless ... --json {path}`)"

    def test_not_blessed_names_the_failed_checks(self, tmp_path: Path) -> None:
        checks = [
            {"name": "champion", "passed": False, "message": "Sharpe 0.72 < champion 1.17 - 0.05"},
            {"name": "slices", "passed": False, "message": "year 2008 returned -22.71% < -10%"},
            {"name": "input_drift", "passed": True, "message": "ok"},
        ]
        root = repo_with(tmp_path, blessing(blessed=False, checks=checks))
        with pytest.raises(CheckFailed) as failed:
            assess(root)
        assert failed.value.reason == "the candidate was not blessed: champion, slices"
        assert failed.value.evidence["failed"] == {
            "champion": "Sharpe 0.72 < champion 1.17 - 0.05",
            "slices": "year 2008 returned -22.71% < -10%",
        }

    def test_loosened_thresholds_do_not_count(self, tmp_path: Path) -> None:
        loose = {**BlessConfig().model_dump(mode="json"), "max_slice_loss_frac": 0.5}
        assert reason(repo_with(tmp_path, blessing(thresholds=loose))) == (
            "the blessing used thresholds other than the built-in ones: max_slice_loss_frac=0.5 (built in 0.1)"
        )

    def test_a_candidate_of_another_revision(self, tmp_path: Path) -> None:
        assert reason(repo_with(tmp_path, blessing()), rev="f" * 40) == (
            f"the blessed candidate ran revision {REVISION!r}, not the current {'f' * 40!r}"
        )

    def test_a_candidate_with_another_config(self, tmp_path: Path) -> None:
        config = RunConfig().model_dump(mode="json")
        config["decisions"]["top_k"] = 3
        candidate = run_identity("candidate", GOLDEN, config=config)
        found = default_config_hash(config)
        assert reason(repo_with(tmp_path, blessing(candidate=candidate))) == (
            f"the blessed candidate's config (window aside) hashes to {found}, this revision's default config "
            f"to {default_config_hash()}: bless a run of the reference config"
        )

    def test_the_window_is_not_the_config(self) -> None:
        config = RunConfig().model_dump(mode="json")
        config["start"], config["end"] = "2012-06-01", "2013-03-01"
        assert default_config_hash(config) == default_config_hash()

    def test_a_champion_with_a_flag_on(self, tmp_path: Path) -> None:
        champion = run_identity("champion", GOLDEN, flags={"hgb_model": True})
        assert reason(repo_with(tmp_path, blessing(champion=champion))) == (
            "the champion ran with flags on (hgb_model): it is not the golden"
        )

    def test_a_champion_that_is_not_the_golden(self, tmp_path: Path) -> None:
        champion = run_identity("champion", {"decisions": "d" * 64, "fills": "0" * 64})
        assert reason(repo_with(tmp_path, blessing(champion=champion))) == (
            "the champion is not the golden: fills differ from goldens/metrics.json baseline_hashes"
        )


class TestMLTestScore:
    def test_28_tests_seven_per_section(self) -> None:
        assert len(mltestscore.TESTS) == 28
        for section in mltestscore.SECTIONS:
            ids = [t.id for t in mltestscore.TESTS if t.section == section]
            assert len(ids) == 7, section
        assert len({t.name for t in mltestscore.TESTS}) == 28

    def test_points_follow_the_evidence_of_this_promotion(self) -> None:
        items = {
            "gate_l0": True,
            "gate_l1": True,
            "l1_evidence": True,
            "rollback_test": True,
            "blessing": True,
        }
        everything = mltestscore.assess(items, dict.fromkeys(CHECKS, True))
        assert everything["sections"] == {"data": 4.0, "model": 3.5, "infrastructure": 6.0, "monitoring": 6.0}
        assert everything["score"] == 3.5
        no_skew = mltestscore.assess(items, {**dict.fromkeys(CHECKS, True), "training_serving_skew": False})
        row = next(r for r in no_skew["tests"] if r["id"] == "Monitor 3")
        assert (row["points"], row["how"]) == (0.0, "not done")
        assert row["by"].endswith("-- did not pass in this promotion")
        assert no_skew["sections"]["monitoring"] == 5.0
        nothing = mltestscore.assess({}, {})
        assert nothing["sections"] == {"data": 1.0, "model": 1.5, "infrastructure": 1.0, "monitoring": 1.0}
        assert nothing["score"] == 1.0

    def test_markdown_lists_every_test(self) -> None:
        lines = mltestscore.markdown(mltestscore.assess({}, {}))
        assert sum(1 for line in lines if line.startswith("| Data ")) == 7
        assert sum(1 for line in lines if line.startswith("| Monitor ")) == 7
        assert any("Score = the lowest section: **1**" in line for line in lines)


def test_a_real_blessing_of_a_real_run_passes_the_item(real_run: Path, tmp_path: Path) -> None:
    """`aurora bless` on a real run against itself, then the promotion item on its JSON."""
    run = tmp_path / "run"
    shutil.copytree(real_run, run, ignore=shutil.ignore_patterns("run.lock"))
    out = tmp_path / "bless-out" / "blessing.json"
    done = subprocess.run(
        [aurora_exe(), "bless", "--candidate-run", str(run), "--champion-run", str(run), "--json", str(out)],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(out.read_text())
    root = repo_with(tmp_path, data, golden=data["champion"]["artifact_sha256"])
    evidence = assess(root, rev=data["candidate"]["git_revision"])
    manifest_sha = data["candidate"]["manifest_sha256"]
    assert evidence["candidate"]["manifest_sha256"] == manifest_sha
    assert evidence["candidate"]["run_id"] == "run"
    assert set(evidence["checks"]) == set(CHECKS)
