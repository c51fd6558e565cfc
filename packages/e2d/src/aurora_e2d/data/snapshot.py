"""Freeze the public bokeh-sampledata stock prices into the pinned snapshot.

The 27 MB package is needed only here, to build or re-prove the snapshot;
runs read the committed Parquet files and check their hashes against the lock.
Nothing in the prices is changed but types (and snake_case column names).

    python -m aurora_e2d.data.snapshot --check   # rebuild in a temp dir, compare with the lock
    python -m aurora_e2d.data.snapshot --write   # rebuild goldens/snapshot/ in place
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from aurora_e2d.core import paths
from aurora_e2d.core.errors import InputError
from aurora_e2d.rundir.artifacts import atomic_write_bytes, sha256_file, write_parquet

__all__ = [
    "ACTIONS_FILE",
    "ACTIONS_SCHEMA",
    "PRICES_FILE",
    "PRICES_SCHEMA",
    "SOURCE_PACKAGE",
    "SOURCE_RELPATH",
    "build_snapshot",
    "derive_corporate_actions",
    "main",
    "read_source_csv",
    "source_csv_path",
    "write_tables",
]

SOURCE_PACKAGE = "bokeh-sampledata"
SOURCE_RELPATH = "bokeh_sampledata/_data/stocks.csv.gz"
PRICES_FILE = "stocks.parquet"
ACTIONS_FILE = "corporate_actions.parquet"
PROVENANCE_FILE = "PROVENANCE.md"
LOCK_FORMAT_VERSION = 1

PRICES_SCHEMA = pa.schema(
    [
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("open", pa.float64(), nullable=False),
        pa.field("high", pa.float64(), nullable=False),
        pa.field("low", pa.float64(), nullable=False),
        pa.field("close", pa.float64(), nullable=False),
        pa.field("volume", pa.int64(), nullable=False),
        pa.field("adj_close", pa.float64(), nullable=False),  # the source's split+dividend adjusted close
    ]
)
ACTIONS_SCHEMA = pa.schema(
    [
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("ex_date", pa.date32(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),  # 'split' | 'dividend'
        pa.field("split_ratio", pa.float64()),  # new shares per old share; null for dividends
        pa.field("dividend_usd", pa.float64()),  # cash per share on the ex-date; null for splits
    ]
)
_SOURCE_COLUMNS = {  # source name -> (our name, type)
    "Ticker": ("symbol", pa.string()),
    "Date": ("date", pa.date32()),
    "Open": ("open", pa.float64()),
    "High": ("high", pa.float64()),
    "Low": ("low", pa.float64()),
    "Close": ("close", pa.float64()),
    "Volume": ("volume", pa.int64()),
    "Adj Close": ("adj_close", pa.float64()),
}
EVENT_TOLERANCE = 1e-6  # |r - 1| above this is an ex-date; the smallest real event moves r by 1e-3
_SPLIT_MAX_TERM = 10  # a split is r = p/q with p, q <= 10 (2:1, 3:2, 1:10 ...)
_SPLIT_CANDIDATES = np.array(
    sorted({p / q for p in range(1, _SPLIT_MAX_TERM + 1) for q in range(1, _SPLIT_MAX_TERM + 1) if p != q})
)


def source_csv_path() -> Path:
    """The CSV inside the installed bokeh-sampledata; ``InputError`` if it is not installed."""
    from importlib.util import find_spec

    spec = find_spec("bokeh_sampledata")
    if spec is None or spec.origin is None:
        raise InputError(SOURCE_PACKAGE, "not installed; it is needed only to rebuild the snapshot")
    return Path(spec.origin).parent / "_data" / "stocks.csv.gz"


def read_source_csv(csv_gz: Path) -> pa.Table:
    """Parse the source with explicit types, renamed to PRICES_SCHEMA, sorted by symbol, date."""
    options = pacsv.ConvertOptions(
        column_types={src: typ for src, (_, typ) in _SOURCE_COLUMNS.items()},
        include_columns=list(_SOURCE_COLUMNS),
        strings_can_be_null=False,
    )
    table = pacsv.read_csv(csv_gz, convert_options=options)
    table = table.rename_columns([_SOURCE_COLUMNS[n][0] for n in table.schema.names])
    return table.cast(PRICES_SCHEMA).sort_by([("symbol", "ascending"), ("date", "ascending")])


def _split_fraction(r: float, tolerance: float = EVENT_TOLERANCE) -> Fraction | None:
    frac = Fraction(r).limit_denominator(_SPLIT_MAX_TERM)
    if frac == 1 or frac.numerator > _SPLIT_MAX_TERM or abs(float(frac) - r) > tolerance:
        return None
    return frac


def derive_corporate_actions(
    prices: pa.Table,
    *,
    splits: bool = True,
    dividend_decimals: int | None = 2,
    tolerance: np.ndarray | None = None,
) -> pa.Table:
    """Splits and cash dividends implied by the source's adjustment factor.

    With f = adj_close / close and r = f_t / f_{t-1}, an ex-date is |r - 1| >
    EVENT_TOLERANCE. A split has r = p/q (p/q new shares per old); otherwise the
    source adjusted for a dividend D with f_{t-1} = f_t * close_t / (close_t + D),
    so D = close_t * (r - 1) > 0, rounded to the cent.

    The importer reuses this for other sources: ``splits=False`` when the closes
    are already split-adjusted (every event is then a dividend, and a split-like
    ratio is bad input: raw closes taken for split-adjusted ones),
    ``dividend_decimals=None`` to keep dividends at full precision (split
    adjustment makes them fractions of a cent), and a per-row ``tolerance``
    (never below EVENT_TOLERANCE) for prices rounded to a few decimals.
    ``prices`` must be sorted by (symbol, date).
    """
    symbol, n = prices.column("symbol"), prices.num_rows
    close = prices.column("close").to_numpy()
    factor = prices.column("adj_close").to_numpy() / close
    tol = np.full(n, EVENT_TOLERANCE) if tolerance is None else np.maximum(tolerance, EVENT_TOLERANCE)
    r = np.ones(n)
    r[1:] = factor[1:] / factor[:-1]
    same = np.zeros(n, dtype=bool)
    if n > 1:
        same[1:] = pc.equal(symbol.slice(1), symbol.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    events = np.flatnonzero(same & (np.abs(r - 1.0) > tol))
    ev_r, ev_tol = r[events], tol[events]
    # Only a ratio within tolerance of some p/q can be a split: test those exactly, skip the rest.
    near = np.abs(ev_r[:, None] - _SPLIT_CANDIDATES[None, :]).min(axis=1, initial=np.inf) <= ev_tol
    split: list[Fraction | None] = [None] * len(events)
    for k in np.flatnonzero(near).tolist():
        split[k] = _split_fraction(float(ev_r[k]), float(ev_tol[k]))
    dividend: list[float | None] = [
        None
        if s is not None
        else float(d)
        if dividend_decimals is None
        else round(float(d), dividend_decimals)
        for s, d in zip(split, close[events] * (ev_r - 1.0), strict=True)
    ]
    for k, (s, d) in enumerate(zip(split, dividend, strict=True)):  # the first bad event, in row order
        if (s is not None and not splits) or (d is not None and d <= 0):
            where = f"{symbol[int(events[k])].as_py()} {prices.column('date')[int(events[k])].as_py()}"
            if s is not None:
                raise InputError(
                    where,
                    f"adj_close / close moves by {s.numerator}:{s.denominator} like a split, "
                    "which split-adjusted closes cannot have",
                )
            raise InputError(where, f"implied dividend must be > 0, was {d}")
    take = pa.array(events, pa.int64())
    return pa.table(
        {
            "symbol": symbol.take(take),
            "ex_date": prices.column("date").take(take),
            "kind": pa.array(["dividend" if s is None else "split" for s in split], pa.string()),
            "split_ratio": pa.array([None if s is None else float(s) for s in split], pa.float64()),
            "dividend_usd": pa.array(dividend, pa.float64()),
        },
        schema=ACTIONS_SCHEMA,
    )


def write_tables(out_dir: Path, prices: pa.Table, actions: pa.Table) -> dict[str, dict[str, object]]:
    """The two Parquet files of a snapshot, canonical bytes; returns the lock's ``files`` entry."""
    files: dict[str, dict[str, object]] = {}
    for name, table, schema, keys in (
        (PRICES_FILE, prices, PRICES_SCHEMA, ["symbol", "date"]),
        (ACTIONS_FILE, actions, ACTIONS_SCHEMA, ["symbol", "ex_date", "kind"]),
    ):
        files[name] = {"rows": table.num_rows, "sha256": write_parquet(table, out_dir / name, schema, keys)}
    return files


def _source_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(SOURCE_PACKAGE)
    except PackageNotFoundError:
        return "unknown"


def build_snapshot(csv_gz: Path, out_dir: Path) -> dict:
    """Write the prices, the actions table, the lock and the provenance note; return the lock."""
    import pyarrow

    prices = read_source_csv(csv_gz)
    actions = derive_corporate_actions(prices)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = write_tables(out_dir, prices, actions)
    lock = {
        "format_version": LOCK_FORMAT_VERSION,
        "source": {
            "package": SOURCE_PACKAGE,
            "version": _source_version(),
            "path": SOURCE_RELPATH,
            "sha256": sha256_file(csv_gz),
        },
        "writer": {"pyarrow": pyarrow.__version__},  # Parquet bytes depend on it
        "files": files,
    }
    atomic_write_bytes(
        out_dir / paths.LOCK_NAME, (json.dumps(lock, indent=2, sort_keys=True) + "\n").encode()
    )
    atomic_write_bytes(out_dir / PROVENANCE_FILE, _provenance(lock, prices, actions).encode())
    return lock


def _provenance(lock: dict, prices: pa.Table, actions: pa.Table) -> str:
    src = lock["source"]
    first, last = pc.min(prices.column("date")).as_py(), pc.max(prices.column("date")).as_py()
    kinds = actions.column("kind").to_numpy(zero_copy_only=False)
    symbols = ", ".join(sorted(set(prices.column("symbol").to_pylist())))
    listing = "\n".join(
        f"| `{name}` | {meta['rows']} | `{meta['sha256']}` |" for name, meta in sorted(lock["files"].items())
    )
    return f"""# Snapshot provenance

Daily prices of {symbols}, {first} .. {last}.

- **Source**: Quandl WIKI Prices (archived copy), as shipped in the PyPI package
  `{src["package"]}` {src["version"]}, file `{src["path"]}`
  (sha256 `{src["sha256"]}`).
- **Licence**: public domain. The package's own dataset inventory
  (`licenses/datasets.json`, module `stocks`) records "Public domain" and states that
  the archived Quandl publisher page declares the WIKI data public domain and permits
  copying, distribution and inclusion in commercial or noncommercial products. (The
  package's BSD-3-Clause licence covers its code, not this data.)
- **What was changed**: nothing but types. Columns were renamed to snake_case
  (`Ticker` -> `symbol`, `Adj Close` -> `adj_close`), dates parsed to `date32`, prices
  kept as `float64`, volume as `int64` (integral in the source); rows sorted by
  symbol, date. Open/high/low/close/volume are unadjusted; `adj_close` is the source's
  split- and dividend-adjusted close, which includes actions after {last}, so only its
  returns (not its levels) are comparable.
- **Corporate actions** (`{ACTIONS_FILE}`) are derived once from the same file:
  f = adj_close / close, r = f_t / f_(t-1); an ex-date where |r - 1| > {EVENT_TOLERANCE};
  a split where r is a simple fraction p/q (split_ratio = new shares per old); otherwise a
  cash dividend D = close_ex * (r - 1), rounded to the cent.
  {int((kinds == "split").sum())} splits, {int((kinds == "dividend").sum())} dividends.

| file | rows | sha256 |
|---|---|---|
{listing}

Written with pyarrow {lock["writer"]["pyarrow"]}; the Parquet bytes depend on that version.

## Rebuild and prove

    pip install {src["package"]}=={src["version"]}
    python -m aurora_e2d.data.snapshot --check   # exit 0: same hashes as snapshot.lock.json
    python -m aurora_e2d.data.snapshot --write   # only when deliberately re-freezing
"""


def _compare(expected: dict, actual: dict) -> list[str]:
    problems = []
    for key in ("source", "files", "writer"):
        if expected.get(key) != actual.get(key):
            problems.append(
                f"{key}: lock {json.dumps(expected.get(key), sort_keys=True)} "
                f"!= rebuilt {json.dumps(actual.get(key), sort_keys=True)}"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    """``--check`` exits 0 when a rebuild matches the lock, 1 when it differs, 2 on bad input."""
    parser = argparse.ArgumentParser(
        prog="python -m aurora_e2d.data.snapshot", description=__doc__.split("\n")[0]
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(
        "--check", action="store_true", help="rebuild into a temp dir and compare with the lock"
    )
    group.add_argument("--write", action="store_true", help="rebuild goldens/snapshot in place")
    args = parser.parse_args(argv)
    try:
        csv_gz = source_csv_path()
        target = paths.snapshot_dir()
        if args.write:
            lock = build_snapshot(csv_gz, target)
            print(
                f"wrote {target}: " + ", ".join(f"{n} {m['sha256'][:12]}" for n, m in lock["files"].items())
            )
            return 0
        expected = json.loads((target / paths.LOCK_NAME).read_text())
        with tempfile.TemporaryDirectory(prefix="aurora-snapshot-") as tmp:
            actual = build_snapshot(csv_gz, Path(tmp))
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    problems = _compare(expected, actual)
    for problem in problems:
        print(f"snapshot differs: {problem}", file=sys.stderr)
    if not problems:
        hashes = ", ".join(f"{name} {meta['sha256']}" for name, meta in sorted(actual["files"].items()))
        print(f"snapshot ok: {hashes}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
