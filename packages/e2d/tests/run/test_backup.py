"""`aurora backup` / `aurora restore`: consistent while live, verified, and a restore trades on identically.

Real runs (the console script in subprocesses) on the bundled data; the live
test backs up a run while another process is committing sessions into it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from _runs import (
    ALL_ARTIFACTS,
    artifact_hashes,
    assert_exactly_once,
    assert_manifest_holds,
    aurora,
    aurora_here,
    cached_run,
    committed_sessions,
    decision_sessions,
    finish,
    query,
    spawn,
    wait_for,
)
from _snapshots import JANUARY_RUN, shared_cut
from aurora_broker import JOURNAL_NAME, integrity_check_journal
from aurora_e2d.cli.app import main
from aurora_e2d.run.backup import BACKUP_INDEX, create_backup, restore_backup

START = ("--start", "2012-09-04")
D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def cuts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    basetemp = tmp_path_factory.getbasetemp()  # shared with test_advance's cuts
    return {day: shared_cut(basetemp, D(day)) for day in ("2013-01-15", "2013-03-01")}


@pytest.fixture(scope="module")
def finished(cuts: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A completed open-ended run on data to 2013-01-15 (read-only for the tests): the run test_advance
    starts from, made once for both and copied here whole (its run.lock too: the archive must leave it out)."""
    assert JANUARY_RUN(cuts["2013-01-15"])[2:] == START
    shared = cached_run(tmp_path_factory, *JANUARY_RUN(cuts["2013-01-15"]), name="paper").run_dir
    run_dir = tmp_path_factory.mktemp("finished") / "paper"
    shutil.copytree(shared, run_dir)
    return run_dir


@pytest.fixture(scope="module")
def archive(finished: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("backups") / "paper.tar.gz"
    result = create_backup(finished, out)
    assert out.is_file()
    assert "journal integrity_check ok" in result.message
    return out


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    return err


def test_a_restored_backup_is_a_run_that_status_accepts_and_its_manifest_holds(
    archive: Path, tmp_path: Path
) -> None:
    restored = tmp_path / "restored"
    assert "restored run paper (last session 2013-01-15" in restore_backup(archive, restored).message
    checked = aurora("status", "--run-dir", restored)
    assert checked.returncode == 0, (checked.stdout[-2000:], checked.stderr[-2000:])
    assert_manifest_holds(restored)


@pytest.mark.l1
def test_backup_restore_advance_equals_advancing_the_original(
    cuts: dict[str, Path], finished: Path, archive: Path, tmp_path: Path
) -> None:
    original, restored = tmp_path / "original", tmp_path / "restored"
    shutil.copytree(finished, original)
    restore_backup(archive, restored)
    for run_dir in (original, restored):
        step = aurora("advance", "--run-dir", run_dir, "--snapshot", cuts["2013-03-01"])
        assert step.returncode == 0, step.stderr[-3000:]
    assert artifact_hashes(restored, ALL_ARTIFACTS) == artifact_hashes(original, ALL_ARTIFACTS)


def test_a_backup_of_a_live_run_restores_to_a_consistent_journal(tmp_path: Path) -> None:
    run_dir, out, restored = tmp_path / "live", tmp_path / "live.tar.gz", tmp_path / "restored"
    live = spawn("run", "--run-dir", run_dir, "--start", "2012-06-01")
    try:
        assert wait_for(lambda: committed_sessions(run_dir, live=True) >= 20, timeout=240, proc=live)
        assert live.poll() is None, "the run finished before the backup: nothing live was tested"
        result = create_backup(run_dir, out)  # while the other process commits sessions
    finally:
        code, _, err = finish(live)
    assert code == 0, err[-2000:]
    assert "backed up live run" in result.message
    restore_backup(out, restored)
    assert integrity_check_journal(restored / JOURNAL_NAME) == "ok"
    taken = [s for (s,) in query(restored, "SELECT session FROM checkpoints ORDER BY session")]
    assert len(taken) >= 20
    # a prefix of the original's sessions, each exactly once: a consistent instant of the journal
    assert taken == decision_sessions(run_dir)[: len(taken)]
    assert_exactly_once(restored, taken)
    status = aurora("status", "--run-dir", restored, "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["last_session"] == taken[-1]


@pytest.mark.l1
def test_a_restored_live_backup_resumes_to_the_bytes_of_the_uninterrupted_run(tmp_path: Path) -> None:
    run_dir, out, restored = tmp_path / "live", tmp_path / "live.tar.gz", tmp_path / "restored"
    live = spawn("run", "--run-dir", run_dir, "--start", "2012-06-01")
    try:
        assert wait_for(lambda: committed_sessions(run_dir, live=True) >= 30, timeout=240, proc=live)
        create_backup(run_dir, out)
    finally:
        code, _, err = finish(live)
    assert code == 0, err[-2000:]
    restore_backup(out, restored)
    resumed = aurora_here("resume", "--run-dir", restored)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert artifact_hashes(restored, ALL_ARTIFACTS) == artifact_hashes(run_dir, ALL_ARTIFACTS)


def test_the_archive_lists_every_file_with_its_hash_and_leaves_out_locks(archive: Path) -> None:
    with tarfile.open(archive, "r:gz") as tar:
        names = set(tar.getnames())
        index = json.loads(tar.extractfile(BACKUP_INDEX).read())  # type: ignore[union-attr]
    assert names == {*index["files"], BACKUP_INDEX}
    assert {JOURNAL_NAME, "manifest.json", "config.json", "orders.parquet", "models/folds.json"} <= names
    assert not any(n.endswith(("-wal", "-shm", ".tmp")) or n in {"run.lock", "metrics.prom"} for n in names)
    assert all(len(entry["sha256"]) == 64 for entry in index["files"].values())
    assert index["journal_integrity_check"] == "ok"
    assert index["last_session"] == "2013-01-15"


def test_restore_refuses_a_non_empty_target(archive: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    err = _refused(["restore", str(archive), "--run-dir", str(target)], capsys)
    assert "already exists and is not empty" in err
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_restore_refuses_a_damaged_archive(archive: Path, tmp_path: Path, capsys, damage: str) -> None:
    data = bytearray(archive.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
    else:
        data = data[: len(data) // 2]
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(bytes(data))
    err = _refused(["restore", str(broken), "--run-dir", str(tmp_path / "new")], capsys)
    assert "damaged or not an Aurora backup" in err
    assert str(broken) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.tar.gz"]  # no half-restored directory


def _crafted(path: Path, members: dict[str, bytes], *, symlink: str | None = None) -> Path:
    """An archive with a valid-looking index over ``members`` (hashes right), e.g. a traversal."""
    import hashlib

    files = {name: {"sha256": hashlib.sha256(b).hexdigest(), "size": len(b)} for name, b in members.items()}
    index = {
        "format": "aurora-run-backup",
        "format_version": 1,
        "files": {**files, JOURNAL_NAME: files.get(JOURNAL_NAME, {})},
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
        if symlink is not None:
            info = tarfile.TarInfo(symlink)
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
        payload = json.dumps(index).encode()
        info = tarfile.TarInfo(BACKUP_INDEX)
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return path


def test_restore_refuses_path_traversal_and_links(tmp_path: Path, capsys) -> None:
    evil = _crafted(tmp_path / "evil.tar.gz", {JOURNAL_NAME: b"x", "../escaped.txt": b"gotcha"})
    err = _refused(["restore", str(evil), "--run-dir", str(tmp_path / "new")], capsys)
    assert "'../escaped.txt' would land outside the run directory" in err
    assert not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "new").exists()
    absolute = _crafted(tmp_path / "abs.tar.gz", {JOURNAL_NAME: b"x", "/tmp/aurora-escaped": b"gotcha"})
    assert "would land outside" in _refused(
        ["restore", str(absolute), "--run-dir", str(tmp_path / "n2")], capsys
    )
    linked = _crafted(tmp_path / "link.tar.gz", {JOURNAL_NAME: b"x"}, symlink="models/evil")
    assert "not a regular file" in _refused(
        ["restore", str(linked), "--run-dir", str(tmp_path / "n3")], capsys
    )


def test_backup_refuses_what_is_not_a_run_and_an_archive_inside_the_run(
    finished: Path, tmp_path: Path, capsys
) -> None:
    err = _refused(["backup", "--run-dir", str(tmp_path), "--out", str(tmp_path / "x.tar.gz")], capsys)
    assert "holds no Aurora run" in err
    err = _refused(["backup", "--run-dir", str(finished), "--out", str(finished / "self.tar.gz")], capsys)
    assert "inside the run directory" in err
    assert not (finished / "self.tar.gz").exists()
