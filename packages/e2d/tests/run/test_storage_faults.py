"""Storage faults are named, never a traceback: disk full, I/O error, read-only and forbidden.

Each fault gives exit 2 and one line on stderr naming the cause and the file
(`no space left on device writing <run>/trace.jsonl`); the committed sessions
survive, and `aurora resume` once the fault is gone ends with the bytes of an
uninterrupted run. A real small file system (tmpfs, `_tmpfs.py`) gives the
real ENOSPC and EROFS; the fault hook (`AURORA_FAULT_AT=<point>:<n>:enospc|eio|...`,
faults.py) injects the error at every named write point.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from _runs import (
    EXECUTION_ARTIFACTS,
    SHORT_WINDOW,
    artifact_hashes,
    aurora,
    aurora_here,
    cached_run,
    query,
)
from _tmpfs import fill, remount_read_only, small_tmpfs
from aurora_broker import Journal
from aurora_safety import StorageError

# One line: "aurora: error: <cause> <writing|committing to|creating|opening> <path>[ (detail)]".
FAULT_LINE = re.compile(
    r"^aurora: error: (?P<cause>no space left on device|input/output error|read-only file system|"
    r"permission denied) (?:writing|committing to|creating|opening) (?P<path>\S+)"
)


def assert_one_fault_line(result, cause: str, inside: Path) -> str:
    """Exit 2, no traceback, exactly one stderr line naming ``cause`` and a file under ``inside``."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, f"exit {result.returncode}, not 2:\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert len(lines) == 1, result.stderr
    match = FAULT_LINE.match(lines[0])
    assert match is not None, lines[0]
    assert match["cause"] == cause, lines[0]
    assert Path(match["path"]).is_relative_to(inside), lines[0]
    return match["path"]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted run over the short window (shared with the other process-level tests)."""
    return cached_run(tmp_path_factory, *SHORT_WINDOW).run_dir


@pytest.fixture(scope="module")
def baseline(uninterrupted: Path) -> dict[str, str]:
    return artifact_hashes(uninterrupted, EXECUTION_ARTIFACTS)


def _sessions(run_dir: Path) -> int:
    return query(run_dir, "SELECT COUNT(*) FROM checkpoints")[0][0]


def test_a_commit_on_a_full_disk_names_the_disk_and_keeps_what_was_committed(tmp_path: Path):
    """SQLite's `database or disk is full` at COMMIT, not the `cannot rollback` that used to mask it."""
    with small_tmpfs(tmp_path / "fs", size="2m") as fs:
        with Journal.open(fs, "cfg") as journal:
            journal.record_run_event("before", {"n": 1})
            filler = fill(fs)
            with pytest.raises(StorageError) as caught:
                _write_more_than_fits(journal)
            assert str(caught.value).startswith("no space left on device "), str(caught.value)
            assert str(fs / "journal.sqlite") in str(caught.value)
            assert "SQLite: database or disk is full" in str(caught.value)
            assert not journal.in_transaction
            filler.unlink()
            journal.record_run_event("after", {"n": 2})  # the same connection writes again once space is back
        with Journal.open(fs, "cfg", create=False) as journal:
            assert [e.kind for e in journal.read.run_events()] == ["before", "after"]


def _write_more_than_fits(journal: Journal) -> None:
    with journal.transaction():
        for n in range(2000):
            journal.record_run_event("bulk", {"n": n, "pad": "x" * 500})


def test_a_full_disk_mid_run_is_one_line_and_resume_gives_the_same_bytes(tmp_path: Path, baseline):
    """Real ENOSPC: a run killed after 30 sessions, the disk filled, resume refused; freed, resume completes."""
    with small_tmpfs(tmp_path / "fs") as fs:
        run_dir = fs / "run"
        first = aurora("run", "--run-dir", run_dir, *SHORT_WINDOW, env={"AURORA_FAULT_AT": "after_commit:30"})
        assert first.returncode == -9, first.stderr[-2000:]
        filler = fill(fs)
        refused = aurora("resume", "--run-dir", run_dir)
        assert_one_fault_line(refused, "no space left on device", run_dir)
        assert _sessions(run_dir) >= 30  # what was committed before the fault is kept
        filler.unlink()
        done = aurora_here("resume", "--run-dir", run_dir)  # the fault's line came from the real script
        assert done.returncode == 0, done.stderr[-3000:]
        assert artifact_hashes(run_dir, EXECUTION_ARTIFACTS) == baseline


def test_a_read_only_run_directory_is_named_by_every_writer_and_still_readable(
    tmp_path: Path, uninterrupted: Path, baseline
):
    with small_tmpfs(tmp_path / "fs") as fs:
        run_dir = fs / "run"
        shutil.copytree(uninterrupted, run_dir)
        remount_read_only(fs)
        for args in (
            ("report", "--run-dir", run_dir),
            ("run", "--run-dir", run_dir, *SHORT_WINDOW),
            ("run", "--run-dir", fs / "new", *SHORT_WINDOW),
            ("breaker", "reset", "drawdown", "--reason", "test", "--run-dir", run_dir),
        ):
            assert_one_fault_line(aurora(*args), "read-only file system", fs)
        kill = aurora("kill", "--run-dir", run_dir)
        assert_one_fault_line(kill, "read-only file system", fs)
        assert kill.stderr.rstrip().endswith("(kill switch NOT engaged)"), kill.stderr
        status = aurora("status", "--run-dir", run_dir, "--json")  # reading needs no write
        assert status.returncode == 0, status.stderr[-2000:]
        assert '"completed"' in status.stdout
        assert artifact_hashes(run_dir, EXECUTION_ARTIFACTS) == baseline


# Every write point, ENOSPC and EIO: (fault spec, the file the line must name, or None: any in the run).
# The n-th atomic write: 1 is config.json, then stage outputs, models, execution artifacts, summary,
# manifest, report and the manifest again (the last ones are the run's final writes).
WRITE_POINTS = [
    ("write_lock:1", "run.lock"),
    ("write_artifact:1", "config.json"),
    *((f"write_artifact:{n}", None) for n in (2, 20, 33, 37, 38, 39, 40)),
    ("write_trace:1", "trace.jsonl"),
    ("write_trace:40", "trace.jsonl"),
    ("journal_commit:1", "journal.sqlite"),
    ("journal_commit:100", "journal.sqlite"),
]


def test_every_write_point_is_covered() -> None:
    from aurora_e2d.core.faults import WRITE_POINTS as DECLARED

    covered = {spec.partition(":")[0] for spec, _ in WRITE_POINTS} | {"write_alert"}  # alert: test below
    assert covered == set(DECLARED)


@pytest.mark.l1
@pytest.mark.parametrize("errno_name", ["enospc", "eio"])
@pytest.mark.parametrize(("point", "names"), WRITE_POINTS)
def test_every_write_point_fails_with_one_named_line_and_resume_recovers(
    tmp_path: Path, baseline, point: str, names: str | None, errno_name: str
):
    run_dir = tmp_path / "run"
    cause = {"enospc": "no space left on device", "eio": "input/output error"}[errno_name]
    env = {"AURORA_FAULT_AT": f"{point}:{errno_name}"}
    failed = aurora("run", "--run-dir", run_dir, *SHORT_WINDOW, env=env)
    path = assert_one_fault_line(failed, cause, run_dir)
    if names is not None:
        assert Path(path).name == names, path
    # Once the fault is gone: resume what was started, or (nothing was frozen yet) run it again.
    started = (run_dir / "config.json").is_file()
    again = ("resume", "--run-dir", run_dir) if started else ("run", "--run-dir", run_dir, *SHORT_WINDOW)
    done = aurora_here(*again)  # the recovery, in-process; the fault's line came from the real script
    assert done.returncode == 0, done.stderr[-3000:]
    assert artifact_hashes(run_dir, EXECUTION_ARTIFACTS) == baseline
    assert not list(run_dir.rglob(".*.tmp")), "a torn temporary file was left behind"


@pytest.mark.l1
@pytest.mark.parametrize("errno_name", ["enospc", "eio", "eacces"])
def test_an_alert_on_a_failing_disk_is_one_named_line(tmp_path: Path, errno_name: str):
    """A kill's alert (alerts.jsonl, fsynced) cannot be written: named, not a traceback."""
    run_dir = tmp_path / "run"
    env = {"AURORA_KILL": "1", "AURORA_FAULT_AT": f"write_alert:1:{errno_name}"}
    killed = aurora("run", "--run-dir", run_dir, *SHORT_WINDOW, env=env)
    cause = {"enospc": "no space left on device", "eio": "input/output error", "eacces": "permission denied"}
    assert Path(assert_one_fault_line(killed, cause[errno_name], run_dir)).name == "alerts.jsonl"
