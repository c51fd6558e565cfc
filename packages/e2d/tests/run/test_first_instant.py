"""A kill and a signal land at any instant of a real `aurora run` (issue 17 items 2 and 3).

Real console-script subprocesses and real signals: a kill aimed at a run 0.5 s
after it was started (the CLI still loading) is accepted and halts it before
its first order; SIGINT/SIGTERM during start-up give one line and 130/143
and a resume hint only for a directory that can be resumed; a signal that
arrives after the last session is committed says the run completed anyway.
One in-process test pins the window between the CLI's start and the `run`
command's own handling, which a real signal hits only by luck.
"""

from __future__ import annotations

import importlib
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from _runs import SHORT_SESSIONS, SHORT_WINDOW, aurora, committed_sessions, finish, query, spawn, wait_for
from aurora_e2d.run import holder

EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


def _lines(stderr: str) -> list[str]:
    assert "Traceback" not in stderr, stderr[-3000:]
    return [line for line in stderr.splitlines() if line.strip()]


def test_a_kill_half_a_second_after_start_halts_the_run_before_its_first_order(tmp_path: Path) -> None:
    run_dir = tmp_path / "starting"
    started = time.monotonic()
    proc = spawn("run", "--run-dir", run_dir, *SHORT_WINDOW)
    try:
        time.sleep(max(0.0, 0.5 - (time.monotonic() - started)))
        # The launcher locks the directory before the CLI loads; on a loaded machine the
        # interpreter itself may take longer than 0.5 s to get there.
        assert wait_for(lambda: holder(run_dir) is not None, timeout=30, proc=proc), finish(proc)
        locked_after = time.monotonic() - started
        kill = aurora("kill", "--run-dir", run_dir, "--reason", "first instant", timeout=120)
        assert kill.returncode == 0, kill.stderr
        assert committed_sessions(run_dir, live=True) == 0  # 0 too while the journal is being created
    finally:
        code, _, err = finish(proc)
    assert code == 3, (locked_after, err[-3000:])
    line = _lines(err)[-1]
    assert "kill switch active (file:" in line
    assert "reason: first instant" in line
    assert query(run_dir, "SELECT COUNT(*) FROM route_results")[0][0] == 0
    assert query(run_dir, "SELECT COUNT(*) FROM checkpoints")[0][0] == 0
    status = aurora("status", "--run-dir", run_dir, "--json", timeout=120)
    info = json.loads(status.stdout)
    assert info["phase"] == "halted"
    assert "reason: first instant" in info["halt"]["reason"]
    alerts = [json.loads(a) for a in (run_dir / "alerts.jsonl").read_text().splitlines()]
    assert any(a["kind"] == "kill" and "reason: first instant" in a["reason"] for a in alerts)


def test_a_kill_aimed_at_a_directory_that_holds_nothing_names_arm(tmp_path: Path) -> None:
    refused = aurora("kill", "--run-dir", tmp_path / "typo", timeout=120)
    assert refused.returncode == 2
    assert _lines(refused.stderr) == [
        f"aurora: error: {tmp_path / 'typo'}: holds no Aurora run (no config.json); no live run under runs/; "
        "to stop a run that has not started yet, say so with --arm"
    ]
    assert not (tmp_path / "typo").exists()


def _guarded(proc: subprocess.Popen[str]) -> bool:
    """True once the process catches SIGTERM (/proc SigCgt): Aurora's first line has run. Before
    that the interpreter is still starting and a signal gets Python's default handling."""
    try:
        status = Path(f"/proc/{proc.pid}/status").read_text()
    except OSError:
        return False
    caught = next(int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(caught & (1 << (signal.SIGTERM - 1)))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
@pytest.mark.parametrize(
    "after_s", [0.0, pytest.param(0.25, marks=pytest.mark.l1), pytest.param(0.6, marks=pytest.mark.l1)]
)
def test_a_signal_during_start_up_is_one_line_and_130_or_143(
    tmp_path: Path, signum: signal.Signals, after_s: float
) -> None:
    """From the first line of Aurora's code on; the interpreter's own start (before any Aurora code
    runs) keeps Python's default handling, so the instants count from Aurora's first line."""
    run_dir = tmp_path / "run"
    proc = spawn("run", "--run-dir", run_dir, *SHORT_WINDOW)
    assert wait_for(lambda: _guarded(proc), timeout=60, interval=0.001, proc=proc), finish(proc)
    time.sleep(after_s)
    proc.send_signal(signum)
    code, _, err = finish(proc)
    assert code == EXIT[signum], err[-3000:]
    lines = _lines(err)
    assert len(lines) == 1, err
    assert signum.name in lines[0]
    if "aurora resume" in lines[0]:  # a hint only for a directory that can be resumed
        assert (run_dir / "config.json").is_file()
        assert aurora("status", "--run-dir", run_dir, timeout=120).returncode == 0
    else:
        assert not run_dir.exists(), sorted(p.name for p in run_dir.iterdir())


def test_a_second_signal_before_the_run_directory_exists_hints_no_resume(tmp_path: Path) -> None:
    proc = spawn("run", "--start", "2012-06-01", "--end", "not-a-date", cwd=tmp_path)
    assert wait_for(lambda: _guarded(proc), timeout=60, interval=0.001, proc=proc), finish(proc)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    code, _, err = finish(proc)
    assert code == 130, err
    assert "aurora resume" not in err
    assert not (tmp_path / "runs").exists()


@pytest.mark.l1  # a whole short run (~10-20 s)
def test_a_signal_after_the_last_session_says_the_run_completed_anyway(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    release = tmp_path / "release"
    env = {"AURORA_FAULT_AT": f"after_commit:{SHORT_SESSIONS}:hold", "AURORA_FAULT_RELEASE": str(release)}
    proc = spawn("run", "--run-dir", run_dir, *SHORT_WINDOW, env=env)
    try:
        held = wait_for(  # live: 0 until the journal's schema and WAL exist (no read races the writer)
            lambda: committed_sessions(run_dir, live=True) == SHORT_SESSIONS,
            timeout=240,
            interval=0.05,
            proc=proc,
        )
        assert held, finish(proc)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        release.touch()
    finally:
        code, out, err = finish(proc)
    assert code == 0, err[-3000:]
    assert "completed" in out
    assert _lines(err) == ["aurora: SIGTERM arrived after the last session; the run completed anyway"]


@pytest.mark.parametrize("raised", ["KeyboardInterrupt", "Terminated"])
def test_a_signal_before_the_run_command_takes_over_leaves_no_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raised: str
) -> None:
    """The window the nightly hit once (SIGINT 0.25 s into start-up left D holding only run.lock):
    the launcher has locked and made D, the CLI's handlers are in place, the `run` command's own
    handling is not yet. Landing a real signal inside that window is a matter of luck, so the
    signal's effect is raised where typer would be parsing (the one stand-in here); the claim and
    its removal are the real ones."""
    from aurora_e2d.run.claim import claim_early

    cli = importlib.import_module("aurora_e2d.cli.app")  # the module (the package's `app` is the Typer app)

    run_dir = tmp_path / "run"
    claim_early(run_dir)  # what the console script's first instant does (launch.py)
    assert holder(run_dir) is not None

    def interrupted(**_: object) -> None:
        raise KeyboardInterrupt if raised == "KeyboardInterrupt" else cli.Terminated

    monkeypatch.setattr(cli, "app", interrupted)
    monkeypatch.setattr(cli, "_builtin_command", lambda argv: True)
    assert (
        cli.main(["run", "--run-dir", str(run_dir)]) == {"KeyboardInterrupt": 130, "Terminated": 143}[raised]
    )
    assert not run_dir.exists()
