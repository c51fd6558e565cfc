"""`aurora status` on a live run: readable while another process is trading, and honest
that the run is not finished (the halted, killed and finished cases are in
test_cli_run.py and test_killswitch_process.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
AURORA = shutil.which("aurora", path=str(Path(sys.executable).parent))


def test_status_of_a_live_run(tmp_path: Path) -> None:
    assert AURORA is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURORA_")}
    run_dir = tmp_path / "run"
    process = subprocess.Popen(
        [AURORA, "run", "--run-dir", str(run_dir)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        trace = run_dir / "trace.jsonl"
        while time.monotonic() < deadline:  # until execution has committed some sessions
            if trace.is_file() and trace.read_text().count('"span": "session"') >= 20:
                break
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        live = subprocess.run(
            [AURORA, "status", "--run-dir", str(run_dir), "--json"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        still_running = process.poll() is None
        assert process.wait(timeout=240) == 0, process.stderr.read() if process.stderr else ""
    finally:
        if process.poll() is None:
            process.kill()
    assert live.returncode == 0, live.stderr
    info = json.loads(live.stdout)
    done, total = info["progress"]["sessions_done"], info["progress"]["sessions_total"]
    assert 20 <= done <= total
    assert info["trading_state"] == "ACTIVE"
    assert info["kill"] == {"active": False, "trigger": None}
    if still_running:  # the run had not finished when status looked: it must say so
        assert info["resume_needed"] is True
        assert info["run_status"] is None
        assert done < total
    finished = json.loads(
        subprocess.run(
            [AURORA, "status", "--run-dir", str(run_dir), "--json"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    )
    assert finished["resume_needed"] is False
    assert finished["progress"]["sessions_done"] == finished["progress"]["sessions_total"] == total
