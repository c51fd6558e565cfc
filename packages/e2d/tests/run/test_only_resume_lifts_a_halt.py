"""Only `aurora resume` lifts a halt (issue 17 item 1, DESIGN.md §10).

A property drives random operator sequences -- kill, unkill, advance, resume,
breaker reset -- against a real run on real imported snapshots (in-process
calls of the same functions the commands call: the process boundary is not
the point here) and asserts that trading resumes only after an explicit
resume: while the journal says HALTED, no other lever commits a session,
routes an order, or journals an 'operator resume'. One subprocess test
replays the issue's evening literally with the console script.

Cost: the runs start 2013-01-02 on cuts of the bundled data (a few dozen
sessions); a halted run's refusal reads only the journal. 2 examples per PR,
15 under the nightly profile (nox -s l1).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _runs import aurora, query
from _snapshots import shared_cut
from aurora_e2d.run.advance import advance_job
from aurora_e2d.run.job import load_run_config, resume_job, run_job
from aurora_e2d.run.levers import arm_kill, disarm_kill, reset_breaker
from aurora_e2d.rundir.config import load_config
from aurora_safety import AuroraError

START = dt.date(2013, 1, 2)
CUTS = [dt.date(2013, 1, 15), dt.date(2013, 1, 25), dt.date(2013, 2, 5), dt.date(2013, 2, 15)]
OPS = ("kill", "unkill", "advance", "rerun", "resume", "reset")
EXAMPLES = 15 if os.environ.get("HYPOTHESIS_PROFILE") == "nightly" else 2


@pytest.fixture(scope="module")
def cuts(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    basetemp = tmp_path_factory.getbasetemp()  # unedited cuts: shared with the other modules
    return [shared_cut(basetemp, day) for day in CUTS]


@pytest.fixture(scope="module")
def bases(cuts: list[Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Open-ended runs on the first cut: one halted by a kill, one by a tripped drawdown breaker."""
    root = tmp_path_factory.mktemp("evening-bases")
    made: dict[str, Path] = {}
    config = load_config(None, snapshot=cuts[0], start=START)
    killed = root / "killed"
    assert run_job(config, killed).exit_code == 0
    arm_kill(killed, "hold")
    assert advance_job(killed, cuts[1]).exit_code == 3  # the kill halts the next advance
    made["killed"] = killed
    tight = root / "tight.toml"
    tight.write_text("[limits]\nmax_drawdown_pct = 0.5\n")
    tripped = root / "tripped"
    result = run_job(load_config(tight, snapshot=cuts[0], start=START), tripped)
    assert result.exit_code == 4, result.message
    made["tripped"] = tripped
    return made


def _journal(run_dir: Path) -> tuple[str, int, int, int]:
    """(trading state, checkpoints, route results, operator resumes) straight from SQLite."""
    with sqlite3.connect(f"file:{run_dir / 'journal.sqlite'}?mode=ro", uri=True) as conn:
        state = conn.execute("SELECT to_state FROM trading_state_events ORDER BY seq DESC LIMIT 1").fetchone()
        counts = [
            conn.execute(sql).fetchone()[0]
            for sql in (
                "SELECT COUNT(*) FROM checkpoints",
                "SELECT COUNT(*) FROM route_results",
                "SELECT COUNT(*) FROM trading_state_events WHERE cause = 'operator_resume'",
            )
        ]
    return ("ACTIVE" if state is None else state[0], *counts)


def _apply(op: str, run_dir: Path, cuts: list[Path], next_cut: int) -> tuple[int, int]:
    """Do one operator action; returns (exit code, index of the next cut to advance to)."""
    try:
        match op:
            case "kill":
                arm_kill(run_dir, "property")
                return 0, next_cut
            case "unkill":
                return (3 if disarm_kill(run_dir)[1] else 0), next_cut
            case "advance":
                snapshot = cuts[min(next_cut, len(cuts) - 1)]
                code = advance_job(run_dir, snapshot).exit_code
                return code, next_cut + (1 if code == 0 else 0)
            case "rerun":  # `aurora run` again on the existing directory, with its own config
                return run_job(load_run_config(run_dir), run_dir).exit_code, next_cut
            case "resume":
                return resume_job(run_dir).exit_code, next_cut
            case _:
                reset_breaker(run_dir, "drawdown", "property")
                return 0, next_cut
    except AuroraError:
        return 2, next_cut


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    start=st.sampled_from(["killed", "tripped"]), ops=st.lists(st.sampled_from(OPS), min_size=2, max_size=5)
)
def test_trading_resumes_only_after_an_explicit_resume(
    start: str,
    ops: list[str],
    bases: dict[str, Path],
    cuts: list[Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    run_dir = tmp_path_factory.mktemp("ops") / "run"
    shutil.copytree(bases[start], run_dir)
    next_cut = 1
    for op in ops:
        state, checkpoints, routed, resumes = _journal(run_dir)
        code, next_cut = _apply(op, run_dir, cuts, next_cut)
        after = _journal(run_dir)
        if op != "resume":
            assert after[3] == resumes, f"{op} journaled an operator resume nobody gave ({ops})"
        if state == "HALTED" and op != "resume":
            assert after[:3] == (state, checkpoints, routed), f"{op} traded on a halted run ({ops})"
            if op in ("advance", "rerun"):
                assert code in (3, 4), f"{op} on a halted run exited {code} ({ops})"
        if after[0] == "HALTED" and op == "resume":
            assert code in (2, 3, 4), f"resume left the run halted but exited {code} ({ops})"


def test_the_issues_evening_kill_advance_unkill_advance_trades_nothing(
    bases: dict[str, Path], cuts: list[Path], tmp_path: Path
) -> None:
    """kill -> advance (3) -> unkill -> the next scheduled advance: still 3, names the halt and resume."""
    run_dir = tmp_path / "run with space"
    shutil.copytree(bases["killed"], run_dir)
    before = _journal(run_dir)
    assert aurora("unkill", "--run-dir", run_dir).returncode == 0
    evening = aurora("advance", "--run-dir", run_dir, "--snapshot", cuts[2])
    assert evening.returncode == 3, evening.stderr
    line = evening.stderr.strip()
    assert line.count("\n") == 0
    assert "Traceback" not in line
    assert "aurora advance refused" in line
    assert "is halted (kill switch: file:" in line
    assert "reason: hold" in line
    assert f"aurora resume --run-dir '{run_dir}'" in line
    assert _journal(run_dir) == before
    resumed = aurora("resume", "--run-dir", run_dir)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    states = query(run_dir, "SELECT to_state, reason FROM trading_state_events ORDER BY seq")
    assert states[-1] == ("ACTIVE", "operator resume")
    assert sum(1 for s in states if s[1] == "operator resume") == 1


def test_a_missing_snapshot_directory_is_refused_at_once_saying_so(
    bases: dict[str, Path], tmp_path: Path
) -> None:
    missing = tmp_path / "snapshots" / "2013-02-05"
    refused = aurora("advance", "--run-dir", bases["killed"], "--snapshot", missing)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"aurora: error: {missing}: snapshot directory is missing (no such directory); "
        "make one with `aurora data import`"
    )
