"""Real source files for the import tests, written from the pinned bundled snapshot.

Floats are written with ``repr`` (the shortest text that parses back to the
same float64), so a file written here and imported again carries exactly
the snapshot's values. Every helper returns the paths it wrote.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from aurora_e2d import paths
from aurora_e2d.artifacts import sha256_file
from aurora_e2d.cli.app import main
from aurora_e2d.data.ingest import Snapshot

AURORA = shutil.which("aurora", path=str(Path(sys.executable).parent))
PINNED = json.loads((paths.snapshot_dir() / paths.LOCK_NAME).read_text())
PINNED_SHA = {name: meta["sha256"] for name, meta in PINNED["files"].items()}


def aurora(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real console script in a subprocess (as a user runs it)."""
    assert AURORA is not None, "the aurora console script is not installed in this environment"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURORA_")}
    return subprocess.run(
        [AURORA, *args], cwd=cwd, env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=180
    )


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """``aurora`` in this process (fast): exit code, stdout, stderr."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def hashes(directory: Path) -> dict[str, str]:
    return {p.name: sha256_file(p) for p in sorted(directory.iterdir())}


def rows_by_symbol(snapshot: Snapshot, symbols: Iterable[str] | None = None) -> dict[str, list[dict]]:
    prices = snapshot.prices
    wanted = sorted(set(prices.column("symbol").to_pylist())) if symbols is None else list(symbols)
    out = {}
    for symbol in wanted:
        out[symbol] = prices.filter(pc.equal(prices.column("symbol"), symbol)).to_pylist()
    return out


def later_split_factor(snapshot: Snapshot, symbol: str, dates: list) -> np.ndarray:
    """Product of the split ratios after each date (1 after the last split)."""
    splits = [
        (a["ex_date"], a["split_ratio"])
        for a in snapshot.actions.to_pylist()
        if a["symbol"] == symbol and a["kind"] == "split"
    ]
    return np.array([np.prod([r for d, r in splits if d > day] or [1.0]) for day in dates])


def write_text(path: Path, text: str, *, gz: bool = False) -> Path:
    data = text.encode()
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def yahoo_split_adjusted(
    snapshot: Snapshot, directory: Path, symbols: Iterable[str] | None = None, *, decimals: int | None = None
) -> list[Path]:
    """Per-symbol Yahoo files: split-adjusted OHLC and volume, the source's Adj Close.

    ``decimals`` rounds prices as Yahoo's own downloads do (6); ``None`` keeps full precision.
    """

    def fmt(x: float) -> str:
        return repr(float(x)) if decimals is None else f"{x:.{decimals}f}"

    written = []
    for symbol, rows in rows_by_symbol(snapshot, symbols).items():
        factor = later_split_factor(snapshot, symbol, [r["date"] for r in rows])
        lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
        for r, f in zip(rows, factor, strict=True):
            ohlc = ",".join(fmt(r[k] / f) for k in ("open", "high", "low", "close"))
            lines.append(f"{r['date']},{ohlc},{fmt(r['adj_close'])},{round(r['volume'] * f)}")
        written.append(write_text(directory / f"{symbol}.csv", "\n".join(lines) + "\n"))
    return written


def csvdir(
    snapshot: Snapshot, directory: Path, symbols: Iterable[str] | None = None, *, gz: bool = False
) -> list[Path]:
    """zipline csvdir files: raw OHLCV plus dividend (0 when none) and split (1 when none) columns."""
    events = {(a["symbol"], a["ex_date"]): a for a in snapshot.actions.to_pylist()}
    written = []
    for symbol, rows in rows_by_symbol(snapshot, symbols).items():
        lines = ["date,open,high,low,close,volume,dividend,split"]
        for r in rows:
            event = events.get((symbol, r["date"]), {})
            dividend = event.get("dividend_usd") or 0.0
            split = event.get("split_ratio") or 1.0
            ohlc = ",".join(repr(r[k]) for k in ("open", "high", "low", "close"))
            lines.append(f"{r['date']},{ohlc},{r['volume']},{dividend!r},{split!r}")
        name = f"{symbol.lower()}.csv.gz" if gz else f"{symbol}.csv"
        written.append(write_text(directory / name, "\n".join(lines) + "\n", gz=gz))
    return written


def source_like_csv(snapshot: Snapshot, path: Path, *, gz: bool = True) -> Path:
    """The bundled source file rebuilt from the snapshot (bokeh-sampledata's column names and order)."""
    lines = ["Ticker,Date,Open,High,Low,Close,Volume,Adj Close"]
    for r in snapshot.prices.to_pylist():
        ohlc = ",".join(repr(r[k]) for k in ("open", "high", "low", "close"))
        lines.append(f"{r['symbol']},{r['date']},{ohlc},{r['volume']},{r['adj_close']!r}")
    return write_text(path, "\n".join(lines) + "\n", gz=gz)


def long_parquet(snapshot: Snapshot, path: Path) -> Path:
    """A long Parquet table with source-style names, typed columns, rows shuffled."""
    prices = snapshot.prices
    order = np.random.default_rng(0).permutation(prices.num_rows)
    table = prices.take(pa.array(order)).rename_columns(
        ["Ticker", "Date", "Open", "High", "Low", "Close", "Volume", "Adj Close"]
    )
    pq.write_table(table, path)
    return path


def load_snapshot_like(universe) -> Snapshot:
    """A SYNTHETIC universe as a ``Snapshot`` (prices and actions only), for the file writers above."""
    prices = universe.prices.replace_schema_metadata(None)
    actions = universe.actions.replace_schema_metadata(None)
    return Snapshot(prices, actions, "", "", "", kind="synthetic")
