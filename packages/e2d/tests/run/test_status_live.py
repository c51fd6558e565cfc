"""One live run, every operator lever aimed at it or beside it (real processes).

`aurora status` tells a live run apart and never advises a resume; a second
writer (`resume`, `breaker reset`) exits 2 naming the live process; a kill
aimed at a mistyped directory exits 2, creates nothing and names the live
run; the real kill file stops the run. The halted, killed and finished cases
are in test_cli_run.py and test_killswitch_process.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from _runs import SHORT_WINDOW, aurora, aurora_here, finish, spawn, wait_for

KILLED_EXIT = 3


def _sessions_in_trace(run_dir: Path) -> int:
    trace = run_dir / "trace.jsonl"
    return trace.read_text().count('"span": "session"') if trace.is_file() else 0


def test_levers_against_a_live_run(tmp_path: Path) -> None:
    run_dir = Path("runs") / "prod"  # relative to the working directory, as an operator types it
    live_dir = tmp_path / run_dir
    # Held alive after 21 committed sessions (a test-only fault action) until its kill file exists:
    # the run cannot finish before every lever has been aimed at it.
    hold = {"AURORA_FAULT_AT": "after_commit:21:hold", "AURORA_FAULT_RELEASE": str(live_dir / "kill.flag")}
    process = spawn("run", "--run-dir", run_dir, *SHORT_WINDOW, cwd=tmp_path, env=hold)
    try:
        assert wait_for(lambda: _sessions_in_trace(live_dir) >= 20, timeout=240, proc=process), finish(
            process
        )

        status = aurora("status", "--run-dir", run_dir, "--json", cwd=tmp_path, timeout=120)
        assert status.returncode == 0, status.stderr
        info = json.loads(status.stdout)
        assert info["phase"] == "live"
        assert f"pid {process.pid} `aurora run --run-dir runs/prod --start" in info["live_process"]
        assert info["resume_needed"] is False
        assert not any("aurora resume" in command for command in info["next"])
        assert info["trading_state"] == "ACTIVE"
        assert 20 <= info["progress"]["sessions_done"] < info["progress"]["sessions_total"]

        for lever in (
            ("resume", "--run-dir", run_dir),
            ("breaker", "reset", "drawdown", "--reason", "test", "--run-dir", run_dir),
        ):
            refused = aurora(*lever, cwd=tmp_path, timeout=120)
            assert refused.returncode == 2, (lever, refused.stderr)
            assert refused.stderr.startswith(
                f"aurora: error: {run_dir}: is in use by pid {process.pid} `aurora run"
            )
            assert refused.stderr.count("\n") == 1
            assert "Traceback" not in refused.stderr

        typo = Path("runs") / "prd"
        for lever in (("kill", "--reason", "emergency", "--run-dir", typo), ("unkill", "--run-dir", typo)):
            missed = aurora(*lever, cwd=tmp_path, timeout=120)
            assert missed.returncode == 2, missed.stderr
            assert missed.stderr.startswith(f"aurora: error: {typo}: holds no Aurora run (no config.json)")
            assert f"live runs: runs/prod (pid {process.pid}" in missed.stderr
            assert not (tmp_path / typo).exists()  # the typo created nothing

        kill = aurora("kill", "--reason", "emergency", "--run-dir", run_dir, cwd=tmp_path, timeout=120)
        assert kill.returncode == 0, kill.stderr
        code, _, err = finish(process)
        assert code == KILLED_EXIT, err[-2000:]
        assert "Traceback" not in err
    finally:
        if process.poll() is None:
            process.kill()

    halted = json.loads(aurora("status", "--run-dir", run_dir, "--json", cwd=tmp_path, timeout=120).stdout)
    assert halted["phase"] == "halted"
    assert halted["live_process"] is None
    assert halted["next"] == [f"aurora unkill --run-dir {run_dir}", f"aurora resume --run-dir {run_dir}"]


def test_arming_a_kill_for_a_run_not_started_is_explicit(tmp_path: Path) -> None:
    armed = aurora("kill", "--run-dir", "runs/next", "--arm", "--reason", "hold", cwd=tmp_path, timeout=120)
    assert armed.returncode == 0, armed.stderr
    flag = tmp_path / "runs" / "next" / "kill.flag"
    assert json.loads(flag.read_text())["reason"] == "hold"
    started = time.monotonic()
    blocked = aurora_here("run", "--run-dir", "runs/next", "--start", "2013-02-01", cwd=tmp_path)
    assert blocked.returncode == KILLED_EXIT, blocked.stderr[-2000:]
    assert f"file:{flag}" in blocked.stderr
    assert time.monotonic() - started < 120
    cleared = aurora("unkill", "--run-dir", "runs/next", cwd=tmp_path, timeout=120)
    assert cleared.returncode == 0
    assert not flag.exists()
