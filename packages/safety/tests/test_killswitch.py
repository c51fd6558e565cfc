"""Kill switch on a real filesystem: real symlink loops, dangling links, ENOTDIR.

Tests run as root here, which bypasses permission bits, so EACCES and EIO
cannot be produced for real: those two cases use the injected ``stat`` (the
one place a fake is needed). Everything else uses real paths under tmp_path.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from aurora_safety import (
    KillStatus,
    KillSwitch,
    TestClock,
    describe_trigger,
    disengage,
    engage,
    kill_file_candidates,
    kill_file_path,
)


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    cwd, run = tmp_path / "cwd", tmp_path / "run"
    cwd.mkdir()
    run.mkdir()
    return cwd, run


def switch(dirs, environ=None, **kw) -> KillSwitch:
    cwd, run = dirs
    return KillSwitch(run_dir=run, cwd=cwd, environ={} if environ is None else environ, **kw)


class TestCandidates:
    def test_order_env_then_cwd_then_run_dir(self, dirs):
        cwd, run = dirs
        assert kill_file_candidates(run, cwd, {"AURORA_KILL_FILE": "/x/k"}) == (
            Path("/x/k"),
            cwd / "kill.flag",
            run / "kill.flag",
        )

    def test_relative_env_path_is_relative_to_cwd_and_duplicates_dropped(self, dirs):
        cwd, _ = dirs
        assert kill_file_candidates(cwd, cwd, {"AURORA_KILL_FILE": "kill.flag"}) == (cwd / "kill.flag",)

    def test_process_cwd_is_default(self, dirs, monkeypatch):
        cwd, _ = dirs
        monkeypatch.chdir(cwd)
        assert kill_file_candidates(None, None, {}) == (cwd / "kill.flag",)


class TestEnvTrigger:
    def test_inactive_without_triggers(self, dirs):
        ks = switch(dirs)
        assert ks.check() == KillStatus(active=False, trigger=None)
        assert ks.latched is False

    @pytest.mark.parametrize("raw", ["1", "true", "Yes", " TRUE "])
    def test_env_kill(self, dirs, raw):
        assert switch(dirs, {"AURORA_KILL": raw}).check() == KillStatus(
            True, f"env:AURORA_KILL={raw.strip()}"
        )

    def test_env_read_once_at_construction(self, dirs):
        environ = {"AURORA_KILL": "0"}
        ks = switch(dirs, environ)
        environ["AURORA_KILL"] = "1"
        environ["AURORA_KILL_FILE"] = str(dirs[0] / "late.flag")
        (dirs[0] / "late.flag").write_text("x")
        assert ks.check().active is False


class TestKillFiles:
    @pytest.mark.parametrize("where", ["cwd", "run"])
    def test_file_in_cwd_or_run_dir(self, dirs, where):
        cwd, run = dirs
        path = (cwd if where == "cwd" else run) / "kill.flag"
        ks = switch(dirs)
        assert ks.check().active is False
        path.write_text("")
        assert ks.check() == KillStatus(True, f"file:{path}")

    def test_env_named_file_and_its_priority(self, dirs, tmp_path):
        custom = tmp_path / "custom.flag"
        custom.write_text("")
        (dirs[0] / "kill.flag").write_text("")
        ks = switch(dirs, {"AURORA_KILL_FILE": str(custom)})
        assert ks.check() == KillStatus(True, f"file:{custom}")

    def test_env_var_beats_files(self, dirs):
        (dirs[1] / "kill.flag").write_text("")
        assert switch(dirs, {"AURORA_KILL": "yes"}).check().trigger == "env:AURORA_KILL=yes"

    def test_directory_named_kill_flag_counts(self, dirs):
        (dirs[1] / "kill.flag").mkdir()
        assert switch(dirs).check().trigger == f"file:{dirs[1] / 'kill.flag'}"

    def test_latched_after_file_removed(self, dirs):
        path = dirs[1] / "kill.flag"
        ks = switch(dirs)
        path.write_text("")
        first = ks.check()
        path.unlink()
        assert ks.check() == first
        assert ks.latched is True
        assert switch(dirs).check().active is False  # a new process starts clear

    def test_latched_check_does_no_io(self, dirs):
        calls = []

        def counting_stat(path):
            calls.append(path)
            return os.lstat(path)

        (dirs[0] / "kill.flag").write_text("")
        ks = switch(dirs, stat=counting_stat)
        ks.check()
        ks.check()
        assert len(calls) == 1


class TestFailClosed:
    def test_symlink_loop_kill_file(self, dirs):
        path = dirs[1] / "kill.flag"
        os.symlink(path, path)  # points at itself: ELOOP when followed
        status = switch(dirs).check()
        assert status.active is True
        assert status.trigger == f"file-unreadable:{path} (ELOOP: Too many levels of symbolic links)"

    def test_dangling_symlink_counts(self, dirs, tmp_path):
        path = dirs[1] / "kill.flag"
        os.symlink(tmp_path / "nowhere", path)
        status = switch(dirs).check()
        assert status == KillStatus(True, f"file-unreadable:{path} (ENOENT: No such file or directory)")

    def test_symlink_loop_in_a_parent_directory(self, tmp_path):
        loop = tmp_path / "run"
        os.symlink(loop, loop)  # the run dir itself is a loop: lstat(run/kill.flag) fails
        status = KillSwitch(run_dir=loop, cwd=tmp_path, environ={}).check()
        assert status.active is True
        assert status.trigger.startswith(f"file-unreadable:{loop / 'kill.flag'} (ELOOP")

    def test_parent_is_a_regular_file_enotdir(self, tmp_path):
        run = tmp_path / "run"
        run.write_text("not a directory")
        status = KillSwitch(run_dir=run, cwd=tmp_path, environ={}).check()
        assert status == KillStatus(True, f"file-unreadable:{run / 'kill.flag'} (ENOTDIR: Not a directory)")

    def test_name_too_long(self, dirs):
        status = switch(dirs, {"AURORA_KILL_FILE": "k" * 300}).check()
        assert status.active is True
        assert "(ENAMETOOLONG" in status.trigger

    def test_nul_in_path_fails_closed(self, dirs):
        status = switch(dirs, {"AURORA_KILL_FILE": "bad\0name"}).check()
        assert status.active is True
        assert status.trigger.endswith("(ValueError: embedded null byte)")

    def test_missing_run_dir_is_clear(self, tmp_path):
        # ENOENT for a missing parent is a definite "no kill file": not fail-closed.
        ks = KillSwitch(run_dir=tmp_path / "absent", cwd=tmp_path, environ={})
        assert ks.check().active is False

    @pytest.mark.parametrize(
        ("exc", "code"),
        [
            (PermissionError(errno.EACCES, "Permission denied"), "EACCES"),
            (OSError(errno.EIO, "Input/output error"), "EIO"),
        ],
    )
    def test_io_and_permission_errors_via_injected_stat(self, dirs, exc, code):
        def failing_stat(path):
            raise exc

        status = switch(dirs, stat=failing_stat).check()
        assert status.active is True
        assert status.trigger == f"file-unreadable:{dirs[0] / 'kill.flag'} ({code}: {exc.strerror})"

    def test_error_on_later_candidate_still_fails_closed(self, dirs):
        def stat(path):
            if os.path.dirname(path) == str(dirs[1]):
                raise OSError(errno.EIO, "Input/output error")
            return os.lstat(path)

        assert switch(dirs, stat=stat).check().trigger.endswith("(EIO: Input/output error)")


class TestEngageDisengage:
    def test_kill_file_path_precedence(self, dirs):
        cwd, run = dirs
        assert kill_file_path(run, cwd, {"AURORA_KILL_FILE": "k.flag"}) == cwd / "k.flag"
        assert kill_file_path(run, cwd, {}) == run / "kill.flag"
        assert kill_file_path(None, cwd, {}) == cwd / "kill.flag"

    def test_engage_writes_json_atomically_and_is_seen(self, dirs):
        target = dirs[1] / "sub" / "kill.flag"
        clock = TestClock(1_700_000_000 * 10**9)
        assert engage(target, "fat finger", clock=clock) == target
        assert json.loads(target.read_text()) == {
            "reason": "fat finger",
            "engaged_at_utc": "2023-11-14T22:13:20+00:00",
        }
        assert sorted(p.name for p in target.parent.iterdir()) == ["kill.flag"]
        ks = KillSwitch(run_dir=dirs[1] / "sub", cwd=dirs[0], environ={})
        assert ks.check() == KillStatus(True, f"file:{target}")

    def test_engage_overwrites_existing(self, dirs):
        target = dirs[1] / "kill.flag"
        engage(target, "one")
        engage(target, "two")
        assert json.loads(target.read_text())["reason"] == "two"

    def test_disengage_removes_present_and_skips_missing(self, dirs):
        cwd, run = dirs
        engage(run / "kill.flag", "x")
        removed = disengage(kill_file_candidates(run, cwd, {}))
        assert removed == [run / "kill.flag"]
        assert disengage([run / "kill.flag"]) == []

    def test_disengage_reports_what_it_cannot_remove(self, dirs):
        (dirs[1] / "kill.flag").mkdir()
        with pytest.raises(IsADirectoryError):
            disengage([dirs[1] / "kill.flag"])


class TestDescribeTrigger:
    """The halt reason names the trigger and, when ``engage`` wrote one, the operator's reason."""

    def test_a_file_trigger_carries_the_operators_reason(self, tmp_path: Path) -> None:
        flag = engage(tmp_path / "kill.flag", "drill")
        assert describe_trigger(f"file:{flag}") == f"file:{flag}, reason: drill"

    @pytest.mark.parametrize(
        "body",
        [
            b"",  # a bare touch
            b"not json",
            b"[1]",  # JSON, but not an object
            b'{"reason": "   "}',
            b'{"reason": 7}',
            b'{"engaged_at_utc": "2026-12-07T06:00:00+00:00"}',
        ],
    )
    def test_without_a_usable_reason_the_trigger_alone(self, tmp_path: Path, body: bytes) -> None:
        flag = tmp_path / "kill.flag"
        flag.write_bytes(body)
        assert describe_trigger(f"file:{flag}") == f"file:{flag}"

    def test_an_unreadable_or_missing_file_and_other_triggers_are_kept_as_they_are(
        self, tmp_path: Path
    ) -> None:
        assert describe_trigger(f"file:{tmp_path}") == f"file:{tmp_path}"  # a directory: OSError
        assert describe_trigger(f"file:{tmp_path / 'gone'}") == f"file:{tmp_path / 'gone'}"
        assert describe_trigger("env:AURORA_KILL=1") == "env:AURORA_KILL=1"
        engage(tmp_path / "kill.flag", "drill")
        # only a file: trigger is read (an env trigger naming a path is not)
        assert describe_trigger(f"env:{tmp_path / 'kill.flag'}") == f"env:{tmp_path / 'kill.flag'}"
