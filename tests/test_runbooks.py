"""Runbooks are followed literally: their bash blocks run, as written, against a real run.

The kill-switch runbook is executed step by step on a live `aurora run`
(`<run_id>` replaced by the run's name, nothing else touched); every command
must exit 0 and say what the page says it says.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

AURORA = shutil.which("aurora", path=str(Path(sys.executable).parent))
FENCE = re.compile(r"^```(\w*)\s*$")


def bash_blocks(markdown: str) -> dict[str, list[str]]:
    """``## Heading`` -> the command lines of its ```bash blocks (comments dropped)."""
    steps: dict[str, list[str]] = {}
    heading, in_bash = "", False
    for line in markdown.splitlines():
        fence = FENCE.match(line)
        if fence:
            in_bash = not in_bash and fence.group(1) == "bash"
            continue
        if line.startswith("## "):
            heading = line[3:].strip()
        elif in_bash and line.strip() and not line.lstrip().startswith("#"):
            steps.setdefault(heading, []).append(line.strip())
    return steps


def _committed(run_dir: Path) -> int:
    try:
        with sqlite3.connect(f"file:{run_dir / 'journal.sqlite'}?mode=ro", uri=True) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0])
    except sqlite3.Error:
        return 0


def _run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env_path = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env={"PATH": env_path, "COLUMNS": "200", "HOME": str(cwd)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_kill_switch_runbook_works_as_written(repo_root: Path, tmp_path: Path) -> None:
    assert AURORA is not None, "aurora is not installed beside this interpreter"
    steps = bash_blocks((repo_root / "docs" / "runbooks" / "kill-switch.md").read_text())
    assert list(steps) == ["Trigger", "Confirm", "Clear", "Resume", "Verify"]
    run_dir = tmp_path / "runs" / "desk"
    live = subprocess.Popen(
        [AURORA, "run", "--run-dir", "runs/desk", "--start", "2010-01-04"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while _committed(run_dir) < 5 and live.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert live.poll() is None, live.communicate()

        outputs: dict[str, str] = {}
        for step, commands in steps.items():
            for command in commands:
                literal = command.replace("<run_id>", "desk")
                done = _run(literal, tmp_path)
                assert done.returncode == 0, (step, literal, done.stdout, done.stderr)
                outputs[step] = outputs.get(step, "") + done.stdout
            if step == "Trigger":  # the run stops at its next boundary
                _, err = live.communicate(timeout=240)
                assert live.returncode == 3, err[-2000:]
                assert f"kill switch active (file:{run_dir / 'kill.flag'}, reason: desk asked to stop)" in err
    finally:
        if live.poll() is None:
            live.kill()
    assert "halted" in outputs["Confirm"]
    assert "kill switch: file:" in outputs["Confirm"]
    assert '"kind": "kill"' in outputs["Confirm"]
    assert "removed" in outputs["Clear"]
    assert "completed" in outputs["Resume"]
    assert "completed" in outputs["Verify"]
    assert "clear" in outputs["Verify"]


def _feed_day(feed: Path, day: str) -> None:
    """One evening's vendor drop: per-symbol Yahoo-style CSVs of the bundled real data up to ``day``."""
    import datetime as dt

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    prices = pq.read_table(Path(__file__).resolve().parents[1] / "goldens" / "snapshot" / "stocks.parquet")
    prices = prices.filter(pc.less_equal(prices.column("date"), dt.date.fromisoformat(day)))
    target = feed / day
    target.mkdir(parents=True)
    for symbol in sorted(set(prices.column("symbol").to_pylist())):
        rows = prices.filter(pc.equal(prices.column("symbol"), symbol)).to_pylist()
        lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
        lines += [
            f"{r['date']},{r['open']!r},{r['high']!r},{r['low']!r},{r['close']!r},{r['adj_close']!r},{r['volume']}"
            for r in rows
        ]
        (target / f"{symbol}.csv").write_text("\n".join(lines) + "\n")


def test_the_daily_operation_runbook_works_as_written(repo_root: Path, tmp_path: Path) -> None:
    assert AURORA is not None, "aurora is not installed beside this interpreter"
    steps = bash_blocks((repo_root / "docs" / "runbooks" / "daily-operation.md").read_text())
    assert list(steps) == ["Start", "Every evening", "Check"]
    desk, feed = tmp_path / "desk", tmp_path / "feed"
    desk.mkdir()

    def step(name: str) -> subprocess.CompletedProcess[str]:
        script = f"set -euo pipefail\nexport DESK={desk} FEED={feed}\n" + "\n".join(steps[name])
        done = _run(script, tmp_path)
        assert done.returncode == 0, (name, done.stdout[-2000:], done.stderr[-3000:])
        return done

    _feed_day(feed, "2012-12-31")
    started = step("Start")
    assert "completed" in started.stdout
    _feed_day(feed, "2013-01-15")
    assert "advanced paper by 10 session(s) to 2013-01-15" in step("Every evening").stdout
    assert "nothing to advance" in step("Every evening").stdout  # the timer's retry is a no-op
    _feed_day(feed, "2013-03-01")
    assert "to 2013-03-01" in step("Every evening").stdout
    status = step("Check").stdout
    assert "completed" in status
    assert "next session due" in status
    assert "2013-03-04" in status
    assert sorted(p.name for p in (desk / "snapshots").iterdir()) == [
        "2012-12-31",
        "2013-01-15",
        "2013-03-01",
    ]
