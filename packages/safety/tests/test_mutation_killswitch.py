"""The kill switch's exact words and bytes, for the mutation run.

An operator reads the trigger to learn why trading stopped, and tools read
the kill file: both are asserted exactly here.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from aurora_safety import KillSwitch, StorageError, TestClock, engage, kill_file_path


def unreadable(error: OSError):
    def stat(path: str):
        raise error

    return stat


class TestUnreadableTrigger:
    def test_an_errno_python_does_not_know(self, tmp_path: Path):
        ks = KillSwitch(cwd=tmp_path, environ={}, stat=unreadable(OSError(9999, "odd device")))
        assert ks.check().trigger == f"file-unreadable:{tmp_path / 'kill.flag'} (E?: odd device)"

    def test_an_error_without_errno(self, tmp_path: Path):
        ks = KillSwitch(cwd=tmp_path, environ={}, stat=unreadable(OSError("no errno at all")))
        assert ks.check().trigger == f"file-unreadable:{tmp_path / 'kill.flag'} (E?: no errno at all)"


class TestEngage:
    def test_the_file_holds_sorted_json_on_one_line(self, tmp_path: Path):
        path = engage(tmp_path / "kill.flag", "stop", clock=TestClock(start_ns=0))
        assert path.read_text(encoding="utf-8") == (
            '{"engaged_at_utc": "1970-01-01T00:00:00+00:00", "reason": "stop"}\n'
        )
        assert json.loads(path.read_text(encoding="utf-8"))["reason"] == "stop"

    def test_missing_parent_directories_are_created(self, tmp_path: Path):
        path = engage(tmp_path / "runs" / "a" / "kill.flag", "stop", clock=TestClock())
        assert path.is_file()
        assert sorted(p.name for p in path.parent.iterdir()) == ["kill.flag"]


def test_kill_file_path_defaults_to_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert kill_file_path(None, None, {}) == tmp_path / "kill.flag"


class TestEngageStamp:
    def test_a_path_given_as_text_is_written_and_returned_as_a_path(self, tmp_path: Path):
        path = engage(str(tmp_path / "kill.flag"), "stop", clock=TestClock())  # type: ignore[arg-type]
        assert path == tmp_path / "kill.flag"
        assert isinstance(path, Path)

    def test_the_stamp_is_whole_seconds_of_utc_time_rounded_down(self, tmp_path: Path):
        path = engage(tmp_path / "kill.flag", "stop", clock=TestClock(start_ns=1_700_000_000_900_000_000))
        assert json.loads(path.read_text(encoding="utf-8"))["engaged_at_utc"] == "2023-11-14T22:13:20+00:00"

    def test_without_a_clock_the_stamp_is_now(self, tmp_path: Path):
        before = int(time.time())
        path = engage(tmp_path / "kill.flag", "stop")
        stamp = datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["engaged_at_utc"])
        assert stamp.isoformat().endswith("+00:00")  # UTC, said so
        assert before - 1 <= stamp.timestamp() <= time.time() + 1


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB tmpfs, filled to its last block (root mounts it: CI and this machine run as root;
    elsewhere the test fails saying so, never skips)."""
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.fail(f"mount tmpfs failed ({mounted.stderr.strip()}): the full-disk test needs root")
    try:
        free = os.statvfs(where)
        fd = os.open(where / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.posix_fallocate(fd, 0, free.f_bavail * free.f_frsize)
        finally:
            os.close(fd)
        assert os.statvfs(where).f_bavail == 0
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


class TestEngageOnAFullDisk:
    def test_it_says_the_switch_is_not_engaged_and_leaves_nothing_behind(self, full_disk: Path):
        target = full_disk / "kill.flag"
        with pytest.raises(StorageError) as raised:
            engage(target, "stop", clock=TestClock())
        assert str(raised.value) == f"no space left on device writing {target} (kill switch NOT engaged)"
        assert raised.value.errno == errno.ENOSPC
        assert raised.value.path == str(target)
        assert sorted(p.name for p in full_disk.iterdir()) == ["filler"]  # no kill file, no temp file

    def test_an_error_that_is_not_a_storage_fault_is_raised_as_it_is(self, tmp_path: Path):
        (tmp_path / "kill.flag").mkdir()  # a directory where the file goes: not the disk's fault
        with pytest.raises(IsADirectoryError):
            engage(tmp_path / "kill.flag", "stop", clock=TestClock())
