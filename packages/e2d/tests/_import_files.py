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

from aurora_e2d.cli.app import main
from aurora_e2d.core import paths
from aurora_e2d.data.ingest import Snapshot
from aurora_e2d.rundir.artifacts import sha256_file

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


# --- Real-shaped vendor histories (issue 16): a stock that split many times, as Yahoo and yfinance export it.

NVDA_LIKE_SPLITS = {  # ex-date -> new shares per old: the split-adjusted 2000 close is under $0.10
    "2000-06-27": 2.0,
    "2001-09-17": 2.0,
    "2006-04-07": 2.0,
    "2007-09-11": 1.5,
    "2010-06-01": 4.0,
    "2012-06-01": 10.0,
}


def vendor_history(
    start: str = "2000-01-03",
    end: str = "2013-02-28",
    *,
    splits: dict[str, float] | None = None,
    first_dividend: str = "2008-11-20",
    dividend: float = 0.075,
    seed: int = 7,
) -> list[dict]:
    """Traded (raw) daily bars on XNYS sessions with splits and quarterly cash dividends.

    Each row: date, open, high, low, close, volume (traded units), split (ratio or 1.0) and
    dividend (cash per traded share or 0.0) on its ex-date. Prices rise about 150-fold over
    the span, so the split-adjusted first close is a few cents.
    """
    import datetime as dt

    from aurora_e2d.data.sessions import session_closes

    splits = NVDA_LIKE_SPLITS if splits is None else splits
    dates = session_closes(dt.date.fromisoformat(start), dt.date.fromisoformat(end)).dates
    rng = np.random.default_rng(seed)
    n = len(dates)
    walk = np.cumsum(rng.normal(0.0, 0.03, n))
    bridge = walk - np.linspace(0.0, walk[-1], n)  # pinned at both ends: $0.08 -> $12 split-adjusted
    log_sa = np.linspace(np.log(0.08), np.log(12.0), n) + bridge
    day = [str(d) for d in dates.astype("datetime64[D]")]
    ratio = np.array([splits.get(d, 1.0) for d in day])
    later = np.ones(n)
    later[:-1] = np.cumprod(ratio[::-1])[::-1][1:]
    close = np.round(np.exp(log_sa) * later, 2)  # traded prices: a cent grid
    opened = np.round(close * np.exp(rng.normal(0, 0.01, n)), 2)
    high = np.maximum(opened, close) + 0.01 * np.round(rng.uniform(0, 30, n))
    low = np.maximum(np.minimum(opened, close) - 0.01 * np.round(rng.uniform(0, 30, n)), 0.01)
    pays = np.zeros(n)
    payers = np.flatnonzero(dates.astype("datetime64[D]") >= np.datetime64(first_dividend))[::63]
    pays[payers] = dividend
    close[payers] = np.round(close[payers] - dividend, 2)  # the close drops by the dividend on its ex-date
    low = np.minimum(low, close)
    volume = np.round(rng.lognormal(np.log(3e8), 0.4, n) / later).astype(np.int64) + 100
    return [
        {
            "date": day[i],
            "open": float(opened[i]),
            "high": float(np.round(high[i], 2)),
            "low": float(np.round(low[i], 2)),
            "close": float(close[i]),
            "volume": int(volume[i]),
            "split": float(ratio[i]),
            "dividend": float(pays[i]),
        }
        for i in range(n)
    ]


def _split_adjusted(rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(product of the later splits, Yahoo's Adj Close factor: 1 - D / previous close per later dividend)."""
    ratio = np.array([r["split"] for r in rows])
    later = np.ones(len(rows))
    later[:-1] = np.cumprod(ratio[::-1])[::-1][1:]
    step = np.ones(len(rows))
    for i, r in enumerate(rows):
        if r["dividend"] and i:
            step[i - 1] = 1.0 - r["dividend"] / rows[i - 1]["close"]
    return later, np.cumprod(step[::-1])[::-1]


def yahoo_file(rows: list[dict], path: Path, *, decimals: int = 6, gz: bool = False) -> Path:
    """Yahoo's download: split-adjusted OHLC and volume, Adj Close, 6 decimals."""
    later, factor = _split_adjusted(rows)
    lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    for r, k, f in zip(rows, later, factor, strict=True):
        ohlc = ",".join(f"{r[c] / k:.{decimals}f}" for c in ("open", "high", "low", "close"))
        lines.append(f"{r['date']},{ohlc},{r['close'] / k * f:.{decimals}f},{round(r['volume'] * k)}")
    return write_text(path, "\n".join(lines) + "\n", gz=gz)


def yfinance_file(rows: list[dict], path: Path) -> Path:
    """``Ticker.history(auto_adjust=False, actions=True).to_csv()``: tz-aware Date index, split-adjusted
    OHLC, volume and dividends, Adj Close, and the Dividends / Stock Splits columns (0 when none)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/New_York")
    later, factor = _split_adjusted(rows)
    lines = ["Date,Open,High,Low,Close,Adj Close,Volume,Dividends,Stock Splits"]
    for r, k, f in zip(rows, later, factor, strict=True):
        stamp = dt.datetime.fromisoformat(r["date"]).replace(tzinfo=zone).isoformat(sep=" ")
        ohlc = ",".join(repr(float(r[c] / k)) for c in ("open", "high", "low", "close"))
        split = r["split"] if r["split"] != 1.0 else 0.0
        adj, dividend = float(r["close"] / k * f), float(r["dividend"] / k)
        lines.append(f"{stamp},{ohlc},{adj!r},{round(r['volume'] * k)},{dividend!r},{split!r}")
    return write_text(path, "\n".join(lines) + "\n")
