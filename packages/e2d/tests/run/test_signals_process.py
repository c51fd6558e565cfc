"""SIGINT and SIGTERM against a real `aurora run`: a session boundary, one line, exit 130/143, same bytes.

Each case spawns the real console script, sends a real signal at a chosen
instant, checks the exit code and the single stderr line (last committed
session and the exact resume command, never a traceback) and the alert,
then resumes and compares every artifact with an uninterrupted run's bytes.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from _runs import (
    ALL_ARTIFACTS,
    SHORT_WINDOW,
    artifact_hashes,
    cached_run,
    committed_sessions,
    finish,
    resume_to_the_end,
    spawn,
    wait_for,
)

EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


def _interrupt(run_dir: Path, signum: signal.Signals, *, after_sessions: int | None, twice: bool = False):
    proc = spawn("run", "--run-dir", run_dir, *SHORT_WINDOW)
    if after_sessions is None:  # during the data and model stages: config frozen, no journal yet
        assert wait_for(lambda: (run_dir / "config.json").exists(), timeout=240, proc=proc)
        time.sleep(0.3)
    else:
        assert wait_for(
            lambda: committed_sessions(run_dir, live=True) >= after_sessions, timeout=240, proc=proc
        ), finish(proc)
    proc.send_signal(signum)
    if twice:
        time.sleep(0.05)
        proc.send_signal(signum)
    return finish(proc)


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr[-3000:]
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("signum", "after"),
    [
        pytest.param(signal.SIGINT, 30, id="sigint-mid-execution"),
        pytest.param(signal.SIGTERM, None, id="sigterm-during-stages", marks=pytest.mark.l1),
    ],
)
def test_a_signal_stops_at_a_boundary_and_resume_gives_the_same_bytes(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, signum: signal.Signals, after: int | None
) -> None:
    baseline = cached_run(tmp_path_factory, *SHORT_WINDOW).run_dir
    run_dir = tmp_path / "run"
    code, _, err = _interrupt(run_dir, signum, after_sessions=after)
    if code == 0:
        pytest.fail("the run finished before the signal reached it; the instant was too late")
    assert code == EXIT[signum], err[-3000:]
    line = _one_line(err)
    name = signum.name
    assert line.startswith(f"aurora: interrupted by {name} (")
    assert line.endswith(f"resume with: aurora resume --run-dir {run_dir}")
    done = committed_sessions(run_dir)
    if after is not None:
        assert done >= after
        assert "last committed session " in line
        alerts = [json.loads(x) for x in (run_dir / "alerts.jsonl").read_text().splitlines()]
        assert [a["kind"] for a in alerts] == ["interrupted"]
        assert alerts[0]["signal"] == name
    else:
        assert done == 0
    resume_to_the_end(run_dir)
    assert artifact_hashes(run_dir, ALL_ARTIFACTS) == artifact_hashes(baseline, ALL_ARTIFACTS)


@pytest.mark.l1
@pytest.mark.parametrize("after", [1, 90, 180])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signals_at_many_instants_resume_to_the_same_bytes(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, signum: signal.Signals, after: int
) -> None:
    baseline = cached_run(tmp_path_factory, *SHORT_WINDOW).run_dir
    run_dir = tmp_path / "run"
    code, _, err = _interrupt(run_dir, signum, after_sessions=after)
    assert code in (0, EXIT[signum]), err[-3000:]
    if code:
        _one_line(err)
        resume_to_the_end(run_dir)
    assert artifact_hashes(run_dir, ALL_ARTIFACTS) == artifact_hashes(baseline, ALL_ARTIFACTS)


@pytest.mark.l1
def test_a_second_sigint_leaves_at_once_and_still_resumes_cleanly(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    baseline = cached_run(tmp_path_factory, *SHORT_WINDOW).run_dir
    run_dir = tmp_path / "run"
    code, _, err = _interrupt(run_dir, signal.SIGINT, after_sessions=20, twice=True)
    assert code == 130, err[-3000:]
    assert "Traceback" not in err
    assert f"aurora resume --run-dir {run_dir}" in err
    resume_to_the_end(run_dir)
    assert artifact_hashes(run_dir, ALL_ARTIFACTS) == artifact_hashes(baseline, ALL_ARTIFACTS)
