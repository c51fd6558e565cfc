"""Halts that explain themselves (issue 16 item 2) and next commands that paste (issue 18 item 6).

A real run whose book cannot fit its order limits (``max_session_orders = 1``
with a top-2 book) trips ``consecutive_rejects`` at its first session; the
halt line, `aurora status` and the report must name the decisive rejections
with their counts and the config field that governs them, and status must not
advise a breaker reset plus resume that would trip again. In-process run (a
few seconds); status through the real console script once.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
import shutil
from pathlib import Path

import pytest

from _runs import aurora
from aurora_e2d.config import load_config
from aurora_e2d.runtime.job import run_job
from aurora_e2d.runtime.status import collect_status


@pytest.fixture(scope="module")
def tripped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("halts")
    config = root / "tight.toml"
    config.write_text("[limits]\nmax_session_orders = 1\nmax_consecutive_rejects = 2\n")
    run_dir = root / "a run with spaces"
    result = run_job(load_config(config, start=dt.date(2013, 1, 2)), run_dir)
    assert result.exit_code == 4, result.message
    return run_dir, result.message


def test_the_halt_line_names_the_decisive_reason_its_counts_and_the_governing_field(
    tripped: tuple[Path, str],
) -> None:
    _, message = tripped
    assert "circuit breaker open (consecutive_rejects" in message
    assert "decisive: session 2013-01-02: MAX_SESSION_ORDERS x " in message
    assert "BREAKER_OPEN" not in message  # rejections after the trip are its consequence, not its cause
    assert "governed by limits.max_session_orders, limits.max_consecutive_rejects" in message
    assert "a breaker reset and resume would trip again on the same decisions and limits" in message


def test_status_explains_the_halt_and_does_not_advise_a_reset_that_would_trip_again(
    tripped: tuple[Path, str],
) -> None:
    run_dir, _ = tripped
    info = collect_status(run_dir)
    halt = info["halt"]
    assert halt["decisive"].startswith("session 2013-01-02: MAX_SESSION_ORDERS x ")
    assert halt["governed_by"] == ["limits.max_session_orders", "limits.max_consecutive_rejects"]
    assert halt["trips_again"] is True
    assert not any(c.startswith(("aurora breaker reset", "aurora resume")) for c in info["next"])
    assert "change limits.max_session_orders in a config and start a new run" in info["next"][-1]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert "MAX_SESSION_ORDERS x " in summary["message"]
    assert "MAX_SESSION_ORDERS x " in (run_dir / "report.html").read_text()


def test_next_commands_are_shell_quoted_so_a_path_with_a_space_pastes(
    tripped: tuple[Path, str], tmp_path: Path
) -> None:
    run_dir = tmp_path / "it's here" / "run dir"
    shutil.copytree(tripped[0], run_dir)
    assert aurora("kill", "--run-dir", run_dir, "--reason", "hold").returncode == 0
    shown = aurora("status", "--run-dir", run_dir, "--json")
    assert shown.returncode == 0, shown.stderr
    commands = json.loads(shown.stdout)["next"]
    unkill = shlex.split(commands[0])
    assert unkill == ["aurora", "unkill", "--run-dir", str(run_dir)]
