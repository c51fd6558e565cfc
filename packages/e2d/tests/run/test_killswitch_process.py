"""The kill switch against real `aurora` processes (DESIGN.md §3, issue 4).

- ``AURORA_KILL=1`` before start: the data stages run, execution halts at the
  first session: exit 3, the trigger on stderr, zero orders in the journal.
- A kill file created by ANOTHER process (``aurora kill --run-dir D``) while
  the run executes: exit 3, the trigger on stderr, and the journal proves no
  order was accepted after the file became visible.
- A kill file that cannot be stat'ed (a symlink loop): fail closed, exit 3,
  ``file-unreadable``.
- Removing the kill file restarts nothing; ``aurora resume`` does, explicitly.
- ``aurora status`` shows the kill state and its trigger.

The mid-run kill uses the full default window (~2,560 sessions, ~3 s of
execution) so that a second process has time to start while the run trades.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from _runs import (
    SHORT_SESSIONS,
    SHORT_WINDOW,
    artifact_hashes,
    assert_exactly_once,
    aurora,
    aurora_here,
    cached_run,
    committed_sessions,
    decision_sessions,
    finish,
    journal_content,
    query,
    spawn,
    wait_for,
)

KILLED_EXIT = 3
# File timestamps come from the kernel's coarse clock (up to one tick, 1-10 ms, behind
# time.time_ns()); comparisons with them allow this much.
COARSE_CLOCK_SLACK_NS = 20_000_000


def status_json(run_dir: Path, env: dict[str, str] | None = None) -> dict:
    result = aurora("status", "--run-dir", run_dir, "--json", env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def accepted_submits(run_dir: Path) -> list[tuple]:
    return query(
        run_dir,
        "SELECT seq, session, client_order_id FROM route_results"
        " WHERE action = 'submit' AND status = 'accepted' ORDER BY seq",
    )


# --------------------------------------------------------------- AURORA_KILL
def test_aurora_kill_env_before_start_halts_before_the_first_order(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    result = aurora("run", "--run-dir", run_dir, *SHORT_WINDOW, env={"AURORA_KILL": "1"})
    assert result.returncode == KILLED_EXIT, result.stderr[-3000:]
    assert "env:AURORA_KILL" in result.stderr
    assert "Traceback" not in result.stderr
    # The contract as built: the data/model stages still run (their artifacts are
    # reusable), execution halts at the first session before anything is journaled.
    assert (run_dir / "decisions.parquet").is_file()
    assert query(run_dir, "SELECT COUNT(*) FROM route_results")[0][0] == 0
    assert query(run_dir, "SELECT COUNT(*) FROM orders")[0][0] == 0
    assert query(run_dir, "SELECT COUNT(*) FROM fills")[0][0] == 0
    assert committed_sessions(run_dir) == 0
    states = query(run_dir, "SELECT from_state, to_state, reason FROM trading_state_events ORDER BY seq")
    assert states == [("ACTIVE", "HALTED", "kill switch: env:AURORA_KILL=1")]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "killed"


@pytest.mark.l1
def test_aurora_kill_env_status_then_resume_without_it_equals_the_uninterrupted_run(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    run_dir = tmp_path / "run"
    result = aurora("run", "--run-dir", run_dir, *SHORT_WINDOW, env={"AURORA_KILL": "yes"})
    assert result.returncode == KILLED_EXIT, result.stderr[-3000:]
    # status, with the variable still set (as the operator's shell would have it): active, named.
    info = status_json(run_dir, env={"AURORA_KILL": "yes"})
    assert info["kill"] == {"active": True, "trigger": "env:AURORA_KILL=yes"}
    assert info["trading_state"] == "HALTED"
    assert info["resume_needed"] is True

    # Resumed without the variable, the run is the uninterrupted run (nothing was traded).
    resumed = aurora_here("resume", "--run-dir", run_dir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    baseline = cached_run(tmp_path_factory, *SHORT_WINDOW).run_dir
    assert artifact_hashes(run_dir) == artifact_hashes(baseline)
    assert_exactly_once(run_dir, decision_sessions(baseline))


# ------------------------------------------------------- kill file, mid-run
def _kill_mid_run(run_dir: Path) -> dict:
    """Start a full run; once it is executing, `aurora kill --run-dir` from a second process."""
    proc = spawn("run", "--run-dir", run_dir)
    try:
        executing = wait_for(lambda: committed_sessions(run_dir, live=True) >= 5, timeout=300, proc=proc)
        assert executing, "the run never reached execution"
        before_kill_ns = time.time_ns()
        killer = aurora("kill", "--run-dir", run_dir, "--reason", "drill", timeout=120)
        after_kill_ns = time.time_ns()
        assert killer.returncode == 0, killer.stderr
        flag = run_dir / "kill.flag"
        visible = flag.stat()
    finally:
        code, _, err = finish(proc)
    return {
        "code": code,
        "stderr": err,
        "flag": flag,
        "ctime_ns": visible.st_ctime_ns,  # the rename that made it visible updates ctime
        "before_ns": before_kill_ns,
        "after_ns": after_kill_ns,
    }


def _assert_no_order_after_the_kill(run_dir: Path, kill: dict) -> None:
    sessions_total = len(decision_sessions(run_dir))
    checkpoints = query(run_dir, "SELECT session, committed_at_ns FROM checkpoints ORDER BY session")
    assert 5 <= len(checkpoints) < sessions_total, "the kill did not stop the run mid-way"
    last_session = checkpoints[-1][0]
    visible_ns = kill["ctime_ns"]
    assert kill["before_ns"] - COARSE_CLOCK_SLACK_NS <= visible_ns <= kill["after_ns"]

    # 1. Once the file is visible, at most ONE session can still commit: the one in flight
    #    (its remaining orders meet the router's per-order check). Every session that
    #    committed clearly after the file appeared would be a violation.
    late = [s for s, at in checkpoints if at > visible_ns + COARSE_CLOCK_SLACK_NS]
    assert len(late) <= 1, f"sessions committed after the kill file became visible: {late}"

    # 2. No order was accepted in a session after the last committed one, and no fill either.
    accepted = accepted_submits(run_dir)
    assert accepted, "the run traded before the kill"
    assert max(session for _, session, _ in accepted) <= last_session
    assert query(run_dir, "SELECT COUNT(*) FROM fills WHERE session > ?", (last_session,))[0][0] == 0

    # 3. Within the session that saw the kill, every accepted order precedes the first
    #    KILL_SWITCH rejection (once seen, the switch is latched).
    rejected = query(
        run_dir,
        "SELECT MIN(seq) FROM route_results WHERE action = 'submit' AND reason = 'KILL_SWITCH'",
    )[0][0]
    if rejected is not None:
        assert all(seq < rejected for seq, _, _ in accepted)

    # 4. The halt is journaled with the trigger, open orders were cancelled, no session after it.
    last_state = query(
        run_dir, "SELECT to_state, reason, ts_ns FROM trading_state_events ORDER BY seq DESC LIMIT 1"
    )[0]
    assert last_state[0] == "HALTED"
    assert last_state[1] == f"kill switch: file:{kill['flag']}, reason: drill"  # the operator's --reason
    assert query(run_dir, "SELECT COUNT(*) FROM orders WHERE status IN ('NEW', 'ACCEPTED')")[0][0] == 0
    equity_last = query(run_dir, "SELECT MAX(session) FROM equity_snapshots")[0][0]
    assert equity_last == last_session


def test_kill_file_from_another_process_stops_the_run(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    kill = _kill_mid_run(run_dir)
    assert kill["code"] == KILLED_EXIT, kill["stderr"][-3000:]
    assert f"file:{kill['flag']}" in kill["stderr"]
    assert "Traceback" not in kill["stderr"]
    _assert_no_order_after_the_kill(run_dir, kill)

    info = status_json(run_dir)
    assert info["kill"] == {"active": True, "trigger": f"file:{kill['flag']}"}
    assert info["trading_state"] == "HALTED"
    assert info["phase"] == "halted"
    assert info["halt"] == {
        "cause": "kill_switch",
        "reason": f"kill switch: file:{kill['flag']}, reason: drill",
        "open_breakers": [],
        "decisive": None,  # a kill has no rejections to count
        "governed_by": [],
        "trips_again": False,
    }
    assert info["resume_needed"] is True
    assert info["next"] == [f"aurora unkill --run-dir {run_dir}", f"aurora resume --run-dir {run_dir}"]


@pytest.mark.l1
def test_removing_the_kill_file_restarts_nothing_until_resume(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    kill = _kill_mid_run(run_dir)
    assert kill["code"] == KILLED_EXIT, kill["stderr"][-3000:]
    _assert_no_order_after_the_kill(run_dir, kill)
    halted = journal_content(run_dir)

    # While the file is there, resume refuses to trade and changes nothing committed.
    again = aurora("resume", "--run-dir", run_dir)
    assert again.returncode == KILLED_EXIT
    assert f"file:{kill['flag']}" in again.stderr
    assert journal_content(run_dir) == halted

    # unkill removes the file; nothing restarts by itself: still halted, still to resume.
    cleared = aurora("unkill", "--run-dir", run_dir, timeout=120)
    assert cleared.returncode == 0, cleared.stderr
    assert "nothing restarts by itself" in cleared.stdout
    assert not kill["flag"].exists()
    time.sleep(1.0)
    assert journal_content(run_dir) == halted
    info = status_json(run_dir)
    assert info["kill"] == {"active": False, "trigger": None}
    assert info["trading_state"] == "HALTED"
    assert info["resume_needed"] is True
    assert info["next"] == [f"aurora resume --run-dir {run_dir}"]
    human = aurora("status", "--run-dir", run_dir, timeout=120)
    assert human.returncode == 0
    assert "kill switch: file:" in human.stdout
    assert "halted" in human.stdout

    # The explicit operator action: resume completes the run, exactly once.
    resumed = aurora_here("resume", "--run-dir", run_dir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    sessions = decision_sessions(run_dir)
    assert_exactly_once(run_dir, sessions)
    states = query(run_dir, "SELECT to_state, reason FROM trading_state_events ORDER BY seq")
    assert states[-2:] == [
        ("HALTED", f"kill switch: file:{kill['flag']}, reason: drill"),
        ("ACTIVE", "operator resume"),
    ]
    info = status_json(run_dir)
    assert info["resume_needed"] is False
    assert info["trading_state"] == "ACTIVE"
    assert info["progress"] == {"sessions_done": len(sessions), "sessions_total": len(sessions)}


# ------------------------------------------------- unreadable kill file (ELOOP)
@pytest.mark.l1
def test_symlink_loop_kill_file_fails_closed(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    flag = run_dir / "kill.flag"
    os.symlink(flag.name, flag)  # kill.flag -> kill.flag: stat() fails with ELOOP
    with pytest.raises(OSError, match="Too many levels of symbolic links"):
        flag.stat()

    result = aurora("run", "--run-dir", run_dir, *SHORT_WINDOW)
    assert result.returncode == KILLED_EXIT, result.stderr[-3000:]
    assert f"file-unreadable:{flag}" in result.stderr
    assert "ELOOP" in result.stderr
    assert "Traceback" not in result.stderr
    assert accepted_submits(run_dir) == []
    assert committed_sessions(run_dir) == 0
    info = status_json(run_dir)
    assert info["kill"]["active"] is True
    assert info["kill"]["trigger"].startswith(f"file-unreadable:{flag}")
    assert info["trading_state"] == "HALTED"
    assert info["progress"]["sessions_total"] == SHORT_SESSIONS
