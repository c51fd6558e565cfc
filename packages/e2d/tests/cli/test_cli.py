"""The `aurora` command as an operator uses it: a real console script in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The console script installed beside this interpreter (nox puts it on PATH too).
AURORA = shutil.which("aurora", path=str(Path(sys.executable).parent))


def aurora(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    assert AURORA is not None, "the aurora console script is not installed in this environment"
    base = {k: v for k, v in os.environ.items() if not k.startswith("AURORA_")}
    base["COLUMNS"] = "200"  # rich wraps help text to the terminal width
    return subprocess.run(
        [AURORA, *args], cwd=cwd, env={**base, **(env or {})}, capture_output=True, text=True, timeout=120
    )


def test_help_lists_the_commands_that_exist(tmp_path: Path) -> None:
    result = aurora("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("kill", "unkill"):
        assert command in result.stdout
    assert "3 halted by the kill switch" in result.stdout


def test_kill_then_unkill_in_a_run_dir(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.json").write_text("{}")  # what makes a directory a run: its frozen config
    killed = aurora("kill", "--reason", "drill", "--run-dir", str(run_dir), cwd=tmp_path)
    assert killed.returncode == 0, killed.stderr
    flag = run_dir / "kill.flag"
    assert flag.is_file()
    assert "drill" in flag.read_text()

    cleared = aurora("unkill", "--run-dir", str(run_dir), cwd=tmp_path)
    assert cleared.returncode == 0, cleared.stderr
    assert not flag.exists()
    assert "nothing restarts by itself" in cleared.stdout


def test_kill_without_run_dir_writes_the_working_directory_flag(tmp_path: Path) -> None:
    assert aurora("kill", cwd=tmp_path).returncode == 0
    assert (tmp_path / "kill.flag").is_file()


def test_kill_honours_aurora_kill_file(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "stop.now"
    target.parent.mkdir()
    assert aurora("kill", cwd=tmp_path, env={"AURORA_KILL_FILE": str(target)}).returncode == 0
    assert target.is_file()
    assert not (tmp_path / "kill.flag").exists()


def test_unkill_reports_a_trigger_it_cannot_remove(tmp_path: Path) -> None:
    result = aurora("unkill", cwd=tmp_path, env={"AURORA_KILL": "yes"})
    assert result.returncode == 3
    assert "AURORA_KILL" in result.stderr


@pytest.mark.parametrize("args", [["frobnicate"], ["kill", "--no-such-option"]])
def test_usage_errors_exit_2_without_traceback(tmp_path: Path, args: list[str]) -> None:
    result = aurora(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
