"""A run directory written by the previous release continues under the current code.

``tests/fixtures/releases/cd38524-run`` was written once by main at cd38524
(journal format v2, run-directory format 1; see that directory's README) over
the bundled data cut at 2012-12-31 and is never regenerated; the cut it read is
kept beside it (``cd38524-snapshot/cut-2012-12-31``, made by that release's
importer: its lock hash is the one the run recorded). A copy is pointed at that
cut, advanced with the current code to 2013-03-01 in one step, and compared
with the same copy advanced in two steps: advance = batch from there on.

The previous release traded its own sessions by other sizing rules (orders
were sliced, now they are clipped: ADR 0013), so a current-code batch run
over the whole window differs from the fixture's history by design;
``test_the_previous_releases_sessions_are_kept`` checks that history is kept.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from _runs import EXECUTION_ARTIFACTS, REPO_ROOT, artifact_hashes, aurora, aurora_here
from _snapshots import shared_cut
from aurora_broker import JournalReader
from aurora_e2d.data import load_snapshot

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "releases" / "cd38524-run"
RELEASE_CUT = REPO_ROOT / "tests" / "fixtures" / "releases" / "cd38524-snapshot" / "cut-2012-12-31"
SEAM = dt.date(2012, 12, 31)  # the fixture's snapshot ends here
MID = dt.date(2013, 1, 31)
FINAL = dt.date(2013, 3, 1)


@pytest.fixture(scope="module")
def cuts(tmp_path_factory: pytest.TempPathFactory) -> dict[dt.date, Path]:
    basetemp = tmp_path_factory.getbasetemp()  # unedited cuts: shared with the other modules
    cuts = {day: shared_cut(basetemp, day) for day in (MID, FINAL)}  # current code
    return {SEAM: RELEASE_CUT, **cuts}  # the seam's cut as the release made it


def _copy(cuts: dict[dt.date, Path], target: Path) -> Path:
    """The fixture as an operator's disk would hold it, reading the (re-made) snapshot it was run on."""
    shutil.copytree(FIXTURE, target)
    frozen = json.loads((target / "config.json").read_text())
    assert "format_version" not in frozen  # written before run-directory formats
    frozen["config"]["data"]["snapshot"] = str(cuts[SEAM])
    (target / "config.json").write_text(json.dumps(frozen, indent=2, sort_keys=True) + "\n")
    recorded = json.loads((target / "manifest.json").read_text())["snapshot_identity"]["lock_sha256"]
    assert load_snapshot(cuts[SEAM]).lock_sha256 == recorded
    return target


@pytest.fixture(scope="module")
def advanced(cuts: dict[dt.date, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    run_dir = _copy(cuts, tmp_path_factory.mktemp("release-advanced") / "run")
    done = aurora_here("advance", "--run-dir", run_dir, "--snapshot", cuts[FINAL])
    assert done.returncode == 0, done.stderr[-3000:]
    return run_dir, done.stderr


def test_status_reads_the_previous_releases_directory_as_it_is(
    cuts: dict[dt.date, Path], tmp_path: Path
) -> None:
    run_dir = _copy(cuts, tmp_path / "run")
    before = (run_dir / "journal.sqlite").read_bytes()
    shown = aurora("status", "--run-dir", run_dir, "--json")
    assert shown.returncode == 0, shown.stderr
    status = json.loads(shown.stdout)
    assert status["phase"] == "completed"
    assert status["last_session"] == SEAM.isoformat()
    assert status["journal_format"] == {"found": 2, "current": 3}
    assert (run_dir / "journal.sqlite").read_bytes() == before  # a reader migrates nothing


def test_advance_migrates_then_equals_advancing_in_steps(
    advanced: tuple[Path, str], cuts: dict[dt.date, Path], tmp_path: Path
) -> None:
    run_dir, stderr = advanced
    assert "run directory format 1 -> 2, journal v2 -> v3" in stderr
    assert json.loads((run_dir / "config.json").read_text())["format_version"] == 2
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["journal"]["format_version"] == 3
    assert [h["kind"] for h in manifest["history"]] == ["journal_migration", "advance"]
    with JournalReader.open(run_dir) as reader:
        chain = reader.verify_chain()
    assert chain.ok, chain.problem
    assert manifest["journal"]["chain_head"] == {"session": FINAL.isoformat(), "sha256": chain.head}
    stepped = _copy(cuts, tmp_path / "stepped")
    for day in (MID, FINAL):
        step = aurora_here("advance", "--run-dir", stepped, "--snapshot", cuts[day])
        assert step.returncode == 0, step.stderr[-3000:]
    assert artifact_hashes(run_dir) == artifact_hashes(stepped)


def test_the_previous_releases_sessions_are_kept(advanced: tuple[Path, str]) -> None:
    run_dir, _ = advanced
    backup = sqlite3.connect(run_dir / "journal.sqlite.bak-v2")
    original = sqlite3.connect(FIXTURE / "journal.sqlite")
    for table in ("fills", "equity_snapshots", "decisions", "checkpoints"):
        assert (
            backup.execute(f"SELECT * FROM {table}").fetchall()
            == original.execute(f"SELECT * FROM {table}").fetchall()
        )
    for name in EXECUTION_ARTIFACTS:
        old = pq.read_table(FIXTURE / f"{name}.parquet").to_pylist()
        new = pq.read_table(run_dir / f"{name}.parquet").to_pylist()
        if name == "orders":  # the seam's orders are filled or expire in the next session
            old, new = ([row for row in rows if row["date"] < SEAM] for rows in (old, new))
        assert new[: len(old)] == old, name


@pytest.mark.l1
def test_the_advanced_directory_passes_gate_l0(advanced: tuple[Path, str]) -> None:
    run_dir, _ = advanced
    gate = aurora("gate", "l0", "--run-dir", run_dir)
    assert gate.returncode == 0, gate.stdout[-3000:] + gate.stderr[-3000:]


def test_migrate_upgrades_a_completed_directory_in_place(cuts: dict[dt.date, Path], tmp_path: Path) -> None:
    run_dir = _copy(cuts, tmp_path / "run")
    before = (run_dir / "config.json").read_bytes()
    done = aurora_here("migrate", "--run-dir", run_dir)
    assert done.returncode == 0, done.stderr
    assert "format 1 -> 2, journal v2 -> v3 (81 sessions chained" in done.stdout
    manifest = json.loads((run_dir / "manifest.json").read_text())
    with JournalReader.open(run_dir) as reader:
        assert reader.verify_chain().head == manifest["journal"]["chain_head"]["sha256"]
    assert manifest["artifacts"]["journal.sqlite.bak-v2"]["sha256"]
    assert (run_dir / "config.json.bak-v1").read_bytes() == before  # the way back to the release
    assert manifest["artifacts"]["config.json.bak-v1"]["sha256"]
    again = aurora_here("migrate", "--run-dir", run_dir)
    assert again.returncode == 0
    assert "nothing to migrate" in again.stdout


def test_a_newer_directory_or_journal_is_refused_in_one_line(
    cuts: dict[dt.date, Path], tmp_path: Path
) -> None:
    run_dir = _copy(cuts, tmp_path / "run")
    frozen = json.loads((run_dir / "config.json").read_text())
    (run_dir / "config.json").write_text(json.dumps({**frozen, "format_version": 9}))
    for command in (("status", "--run-dir", run_dir), ("resume", "--run-dir", run_dir)):
        refused = aurora(*command)
        assert refused.returncode == 2
        assert refused.stderr.count("\n") == 1
        assert "run directory format 9 is newer than this Aurora's 2" in refused.stderr
    (run_dir / "config.json").write_text(json.dumps(frozen))
    conn = sqlite3.connect(run_dir / "journal.sqlite")
    conn.execute("UPDATE meta SET schema_version = 9")
    conn.commit()
    conn.close()
    refused = aurora("status", "--run-dir", run_dir)
    assert refused.returncode == 2
    assert "journal format v9 is newer than this Aurora's v3" in refused.stderr


def test_an_edited_config_is_not_migrated(cuts: dict[dt.date, Path], tmp_path: Path) -> None:
    run_dir = _copy(cuts, tmp_path / "run")
    frozen = json.loads((run_dir / "config.json").read_text())
    frozen["config"]["decisions"]["top_k"] = 3  # a different run under the old hash
    (run_dir / "config.json").write_text(json.dumps(frozen))
    before = (run_dir / "journal.sqlite").read_bytes()
    refused = aurora("migrate", "--run-dir", run_dir)
    assert refused.returncode == 2
    assert "does not match the stored config" in refused.stderr
    assert (run_dir / "journal.sqlite").read_bytes() == before
    assert not (run_dir / "journal.sqlite.bak-v2").exists()
