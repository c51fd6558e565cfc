"""Runbooks are followed literally: their bash blocks run, as written, against a real run.

The kill-switch runbook is executed step by step on a live `aurora run`
(`<run_id>` replaced by the run's name, nothing else touched); every command
must exit 0 and say what the page says it says.
"""

from __future__ import annotations

import json
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
    assert list(steps) == ["Start", "Every evening", "Check", "Restore"]
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
    assert 'aurora_halted{run="paper"} 0.0' in status  # metrics.prom, rewritten by the last advance
    assert 'aurora_last_command_exit_code{command="advance",run="paper"} 0.0' in status
    pushed = [json.loads(line) for line in (desk / "notifications.jsonl").read_text().splitlines() if line]
    summaries = [p["text"] for p in pushed if p["kind"] == "summary"]
    assert len(summaries) == 3  # the start and the two evenings that traded (not the no-op retry)
    assert "advance done: 10 session(s) 2013-01-02..2013-01-15" in summaries[1]
    assert "next session due" in status
    assert "2013-03-04" in status
    assert sorted(p.name for p in (desk / "snapshots").iterdir()) == [
        "2012-12-31",
        "2013-01-15",
        "2013-03-01",
    ]
    # every evening left a verified backup (and nothing half-written beside it); the newest restores
    assert sorted(p.name for p in (desk / "backups").iterdir()) == [
        "paper-2013-01-15.tar.gz",
        "paper-2013-03-01.tar.gz",
    ]
    restored = step("Restore").stdout
    assert "restored run paper (last session 2013-03-01" in restored
    assert "completed" in restored


def _yahoo_feed_day(feed: Path, day: str) -> None:
    """Yahoo downloads as they come: Close and volume split-adjusted (bundled real bars divided by every
    later split), Adj Close, 6 decimals; one file NVDA-shaped (first close $0.08, six splits, dividends
    that are fractions of a cent once split-adjusted), so reading Close as traded prices fails."""
    import numpy as np
    import pyarrow.parquet as pq

    golden = Path(__file__).resolve().parents[1] / "goldens" / "snapshot"
    prices = pq.read_table(golden / "stocks.parquet").to_pylist()
    splits = [
        a for a in pq.read_table(golden / "corporate_actions.parquet").to_pylist() if a["kind"] == "split"
    ]
    target = feed / day
    target.mkdir(parents=True)
    files: dict[str, list[str]] = {}
    for r in prices:
        k = float(
            np.prod(
                [a["split_ratio"] for a in splits if a["symbol"] == r["symbol"] and a["ex_date"] > r["date"]]
            )
        )
        ohlc = ",".join(f"{r[c] / k:.6f}" for c in ("open", "high", "low", "close"))
        files.setdefault(r["symbol"], []).append(
            f"{r['date']},{ohlc},{r['adj_close']:.6f},{round(r['volume'] * k)}"
        )
    n = len(files["AAPL"])
    close = 0.08 * np.exp(np.linspace(0.0, np.log(150.0), n))  # split-adjusted, as Yahoo shows it today
    adj = close * np.where(np.arange(n) < n - 400, 0.97, 1.0) ** np.clip(
        (n - 400 - np.arange(n)) // 63 + 1, 0, None
    )
    files["NVDA"] = [
        f"{line.split(',')[0]},{c:.6f},{c * 1.01:.6f},{c * 0.99:.6f},{c:.6f},{a:.6f},1000000"
        for line, c, a in zip(files["AAPL"], close, adj, strict=True)
    ]
    for symbol, lines in files.items():
        (target / f"{symbol}.csv").write_text(
            "Date,Open,High,Low,Close,Adj Close,Volume\n" + "\n".join(lines) + "\n"
        )


def test_the_runbook_import_takes_yahoo_downloads_as_written(repo_root: Path, tmp_path: Path) -> None:
    """The "Start" block's import line, literally, on per-symbol Yahoo files: no flag needed, basis stated."""
    steps = bash_blocks((repo_root / "docs" / "runbooks" / "daily-operation.md").read_text())
    start = steps["Start"]
    lines = start[: next(i for i, line in enumerate(start) if line.startswith("aurora data import")) + 1]
    desk, feed = tmp_path / "desk", tmp_path / "feed"
    desk.mkdir()
    _yahoo_feed_day(feed, "2013-03-01")
    done = _run(f"set -euo pipefail\nexport DESK={desk} FEED={feed}\n" + "\n".join(lines), tmp_path)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr[-2000:]
    out = done.stdout.splitlines()
    assert "(XNYS, split_adjusted), 0 splits, " in out[0]
    assert [line.split()[0] for line in out[1:7]] == ["AAPL", "FB", "GOOG", "IBM", "MSFT", "NVDA"]
    assert out[7].startswith("assumed: price basis split_adjusted (inferred): Close read as split-adjusted")
    provenance = (desk / "snapshots" / "2013-03-01" / "PROVENANCE.md").read_text()
    assert "price basis split_adjusted (inferred)" in provenance
