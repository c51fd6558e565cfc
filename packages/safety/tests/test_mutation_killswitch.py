"""The kill switch's exact words and bytes, for the mutation run.

An operator reads the trigger to learn why trading stopped, and tools read
the kill file: both are asserted exactly here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aurora_safety import KillSwitch, TestClock, engage, kill_file_path


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
