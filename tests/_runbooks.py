"""Shared by the runbook tests: a page's ```bash blocks, a literal shell, a vendor's per-symbol feed.

The runbooks are run as an operator would type them: ``bash -c`` with only
PATH (the `aurora` beside this interpreter), HOME and COLUMNS set, from the
directory that holds ``runs/``; the only change a test makes to a command is
substituting the placeholders the page documents (``<run_id>``).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

AURORA = shutil.which("aurora", path=str(Path(sys.executable).parent))
FENCE = re.compile(r"^```(\w*)\s*$")
GOLDEN_SNAPSHOT = Path(__file__).resolve().parents[1] / "goldens" / "snapshot"
TIMEOUT = 600  # s: one short run on a busy 2-core machine; a hang fails instead of blocking CI


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


def shell(command: str, cwd: Path, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``command`` in a fresh bash, as typed at a prompt in ``cwd`` (``HOME`` there too)."""
    env_path = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env={"PATH": env_path, "COLUMNS": "200", "HOME": str(cwd), **(env or {})},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def committed(run_dir: Path) -> int:
    """Sessions committed in the run's journal so far (0 before it exists)."""
    try:
        with sqlite3.connect(f"file:{run_dir / 'journal.sqlite'}?mode=ro", uri=True) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0])
    except sqlite3.Error:
        return 0


def feed_day(feed: Path, day: str) -> Path:
    """One evening's vendor drop: per-symbol Yahoo-style CSVs of the bundled real data up to ``day``."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    prices = pq.read_table(GOLDEN_SNAPSHOT / "stocks.parquet")
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
    return target


def imported_desk(root: Path, day: str = "2013-03-01") -> Path:
    """A desk directory holding ``snapshots/DAY``, imported by `aurora data import` from a per-symbol
    vendor feed of the bundled data (as the daily-operation runbook makes them)."""
    assert AURORA is not None, "aurora is not installed beside this interpreter"
    desk = root / "desk"
    desk.mkdir()
    source = feed_day(root / "feed", day)
    done = shell(f"aurora data import {source} --out snapshots/{day}", desk)
    assert done.returncode == 0, done.stderr[-3000:]
    return desk
