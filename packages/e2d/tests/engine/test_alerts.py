"""alerts.jsonl: every breaker trip, kill and halt is durable within 5 s of the event
(MiFID II RTS 6 Art. 16), measured on real runs in real processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]
AURORA = shutil.which("aurora", path=str(Path(sys.executable).parent))
BOUND_NS = 5_000_000_000


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AURORA_")}


def _alerts(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "alerts.jsonl").read_text().splitlines()]


@pytest.mark.l1
def test_breaker_trip_and_halt_are_alerted_within_the_bound(tmp_path: Path) -> None:
    assert AURORA is not None
    config = tmp_path / "tight.toml"
    config.write_text("[limits]\nmax_drawdown_pct = 1.0\n")
    run_dir = tmp_path / "run"
    result = subprocess.run(
        [AURORA, "run", "--config", str(config), "--run-dir", str(run_dir), "--start", "2012-01-03"],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 4, result.stderr
    alerts = _alerts(run_dir)
    assert [a["kind"] for a in alerts] == ["breaker_trip", "halt"]
    trip = alerts[0]
    assert trip["breaker"] == "drawdown"
    assert "exceeds max_drawdown_pct 1%" in trip["reason"]
    for alert in alerts:
        assert 0 <= alert["written_at_ns"] - alert["detected_at_ns"] < BOUND_NS


def test_a_kill_file_is_alerted_within_the_bound_of_its_creation(tmp_path: Path) -> None:
    assert AURORA is not None
    run_dir = tmp_path / "run"
    process = subprocess.Popen(
        [AURORA, "run", "--run-dir", str(run_dir)],
        cwd=REPO,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        trace = run_dir / "trace.jsonl"
        while time.monotonic() < deadline:  # wait until execution has started
            if trace.is_file() and '"span": "session"' in trace.read_text():
                break
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        created_ns = time.time_ns()
        (run_dir / "kill.flag").write_text("drill\n")
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 3, stderr
    assert "kill switch active" in stderr
    kills = [a for a in _alerts(run_dir) if a["kind"] == "kill"]
    assert kills, "no kill alert written"
    assert kills[0]["trigger"].startswith("file:")
    assert kills[0]["written_at_ns"] - created_ns < BOUND_NS
