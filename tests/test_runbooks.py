"""The daily-operation runbook is followed literally: its bash blocks run, as written, on per-symbol
vendor files (`DESK` and `FEED` set, nothing else touched); every command must exit 0 and say what the
page says it says. The operator runbooks (kill switch, breaker, crash, rollback): test_runbooks_operator.py.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from _runbooks import AURORA, bash_blocks, feed_day, shell


def test_the_daily_operation_runbook_works_as_written(repo_root: Path, tmp_path: Path) -> None:
    assert AURORA is not None, "aurora is not installed beside this interpreter"
    steps = bash_blocks((repo_root / "docs" / "runbooks" / "daily-operation.md").read_text())
    assert list(steps) == ["Start", "Every evening", "Check", "Restore"]
    desk, feed = tmp_path / "desk", tmp_path / "feed"
    desk.mkdir()

    def step(name: str) -> subprocess.CompletedProcess[str]:
        script = f"set -euo pipefail\nexport DESK={desk} FEED={feed}\n" + "\n".join(steps[name])
        done = shell(script, tmp_path)
        assert done.returncode == 0, (name, done.stdout[-2000:], done.stderr[-3000:])
        return done

    feed_day(feed, "2012-12-31")
    started = step("Start")
    assert "completed" in started.stdout
    feed_day(feed, "2013-01-15")
    assert "advanced paper by 10 session(s) to 2013-01-15" in step("Every evening").stdout
    assert "nothing to advance" in step("Every evening").stdout  # the timer's retry is a no-op
    feed_day(feed, "2013-03-01")
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
    done = shell(f"set -euo pipefail\nexport DESK={desk} FEED={feed}\n" + "\n".join(lines), tmp_path)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr[-2000:]
    out = done.stdout.splitlines()
    assert "(XNYS, split_adjusted), 0 splits, " in out[0]
    assert [line.split()[0] for line in out[1:7]] == ["AAPL", "FB", "GOOG", "IBM", "MSFT", "NVDA"]
    assert out[7].startswith("assumed: price basis split_adjusted (inferred): Close read as split-adjusted")
    provenance = (desk / "snapshots" / "2013-03-01" / "PROVENANCE.md").read_text()
    assert "price basis split_adjusted (inferred)" in provenance
