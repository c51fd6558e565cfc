"""Halts that explain themselves (issue 16 item 2) and next commands that paste (issue 18 item 6).

Since orders are sized within every limit (one order per name, clipped, ADR
0013), a book that does not fit its order limits no longer trips
``consecutive_rejects``: the planner drops what the limits refuse. The halt a
real run meets is a breaker on the book itself: here a 1 % drawdown limit. The
halt line, `aurora status` and the report must name the breaker and the config
field that governs it, and status advises the journaled reset plus resume
(the next decisions are new, so it need not trip again). In-process run (a few
seconds); status through the real console script once.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
import shutil
from pathlib import Path

import pytest

from _runs import DRAWDOWN_TOML, aurora
from aurora_e2d.run.job import run_job
from aurora_e2d.run.status import collect_status
from aurora_e2d.rundir.config import load_config


@pytest.fixture(scope="module")
def tripped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("halts")
    config = root / "tight.toml"
    config.write_text(DRAWDOWN_TOML)
    run_dir = root / "a run with spaces"
    result = run_job(load_config(config, start=dt.date(2013, 1, 2)), run_dir)
    assert result.exit_code == 4, result.message
    return run_dir, result.message


def test_the_halt_line_names_the_breaker_and_the_governing_field(
    tripped: tuple[Path, str],
) -> None:
    _, message = tripped
    assert "circuit breaker open (drawdown" in message
    assert "BREAKER_OPEN" not in message  # rejections after the trip are its consequence, not its cause
    assert "governed by limits.max_drawdown_pct" in message
    assert "would trip again" not in message


def test_status_explains_the_halt_and_advises_the_reset_and_resume(
    tripped: tuple[Path, str],
) -> None:
    run_dir, _ = tripped
    info = collect_status(run_dir)
    halt = info["halt"]
    assert halt["governed_by"] == ["limits.max_drawdown_pct"]
    assert halt["trips_again"] is False
    assert any(c.startswith("aurora breaker reset drawdown") for c in info["next"])
    assert info["next"][-1].startswith("aurora resume")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert "limits.max_drawdown_pct" in summary["message"]
    assert "limits.max_drawdown_pct" in (run_dir / "report.html").read_text()


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
