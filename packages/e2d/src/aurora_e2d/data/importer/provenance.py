"""PROVENANCE.md of an imported snapshot: what was read, how it was interpreted, what was written.

Only facts that are the same for the same inputs: file names (never paths),
hashes, options, counts. No wall time, host or user.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from aurora_e2d.data.importer.adjust import PriceBasis
from aurora_e2d.data.importer.summary import SymbolLine
from aurora_e2d.data.snapshot import ACTIONS_FILE, EVENT_TOLERANCE
from aurora_e2d.data.snapshot_writer import SANITY_FILE

__all__ = ["render_provenance"]

_LISTED_FILES = 50
_LISTED_SYMBOLS = 20

_BASIS = {
    PriceBasis.RAW: (
        "`raw`: open/high/low/close are the traded prices as given; volume as given. "
        "Splits show as jumps in the raw prices and are listed as events."
    ),
    PriceBasis.SPLIT_ADJUSTED: (
        "`split_adjusted`: the source's Close is already split-adjusted (Yahoo), so the "
        "snapshot's open/high/low/close/volume are split-adjusted and no split can appear; "
        "runs trade at these adjusted prices."
    ),
}


def _actions_text(lock: dict, basis: PriceBasis) -> str:
    counts = lock["source"]["actions_from"]
    parts = []
    if counts.get("columns"):
        parts.append(
            f"{counts['columns']} symbols from their dividend/split columns, with `adj_close` "
            "back-adjusted from them (a dividend D on ex-date e scales earlier closes by "
            "close_e / (close_e + D), a split by 1 / ratio; the last bar equals its close)"
        )
    if counts.get("adj_close"):
        rounding = "rounded to the cent" if basis is PriceBasis.RAW else "at full precision"
        kinds = (
            "a split where r is a simple fraction p/q, otherwise a cash dividend"
            if basis is PriceBasis.RAW
            else "a cash dividend (no splits: the closes are split-adjusted)"
        )
        parts.append(
            f"{counts['adj_close']} symbols from the source's Adj Close: f = adj_close / close, "
            f"r = f_t / f_(t-1); an ex-date where |r - 1| > {EVENT_TOLERANCE} (wider by the "
            f"rounding step of a column written with few decimals); {kinds}; "
            f"D = close_ex * (r - 1), {rounding}; `adj_close` is the source's"
        )
    if counts.get("none"):
        parts.append(f"{counts['none']} symbols without any: no events, `adj_close` = `close`")
    return "; ".join(parts) + "."


def _assumed(lock: dict) -> str:
    notes = lock["source"].get("assumptions") or ["none"]
    return "\n".join(f"  - {note}" for note in notes)


def render_provenance(
    lock: dict, prices: pa.Table, actions: pa.Table, sanity: dict, lines: Sequence[SymbolLine] = ()
) -> str:
    basis = PriceBasis(lock["price_basis"])
    symbols = sorted(set(prices.column("symbol").unique().to_pylist()))
    shown = ", ".join(symbols[:_LISTED_SYMBOLS]) + (
        f" and {len(symbols) - _LISTED_SYMBOLS} more" if len(symbols) > _LISTED_SYMBOLS else ""
    )
    first, last = pc.min(prices.column("date")).as_py(), pc.max(prices.column("date")).as_py()
    kinds = actions.column("kind").to_pylist()
    sources = lock["source"]["files"]
    source_rows = "\n".join(
        f"| `{f['name']}` | {f['bytes']} | `{f['sha256']}` |" for f in sources[:_LISTED_FILES]
    )
    if len(sources) > _LISTED_FILES:
        source_rows += f"\n| ... {len(sources) - _LISTED_FILES} more (all in the lock) | | |"
    failing = [f"{name} {entry['count']}" for name, entry in sanity["checks"].items() if entry["count"]]
    listing = "\n".join(
        f"| `{name}` | {meta['rows']} | `{meta['sha256']}` |" for name, meta in sorted(lock["files"].items())
    )
    options = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in sorted(lock["source"]["options"].items()))
    return f"""# Snapshot provenance (imported)

Daily prices of {len(symbols)} symbols ({shown}), {first} .. {last}, sessions of {lock["calendar"]}.

- **Source**: {_files(len(sources))}, imported with `aurora data import ... {options}`:

  | file | bytes | sha256 |
  |---|---|---|
{_indent(source_rows)}

- **What was changed**: nothing but types and names. Columns were matched by name (any order or
  case), dates parsed to `date32` (a time of day dropped), prices kept as `float64`, volume as
  `int64`; rows sorted by symbol, date. Every date is a session of {lock["calendar"]}; gaps inside
  a symbol's span were kept as gaps.
- **Price basis**: {_BASIS[basis]}
- **Corporate actions** (`{ACTIONS_FILE}`): {_actions_text(lock, basis)}
  {kinds.count("split")} splits, {kinds.count("dividend")} dividends.
- **Assumptions** (each one the import made; also in the lock's `source.assumptions`):
{_assumed(lock)}
- **Sanity** (`{SANITY_FILE}`, every strict check counted, nothing repaired):
  {"passes strict" if sanity["passes_strict"] else "strict would fail: " + ", ".join(failing)}.
  {len(sanity["starts_after_first_date"])} symbols start after {first},
  {len(sanity["stops_before_last_date"])} stop before {last}.

| symbol | first | last | rows | dividends | splits | actions from | files |
|---|---|---|---|---|---|---|---|
{chr(10).join(line.markdown() for line in lines)}

| file | rows | sha256 |
|---|---|---|
{listing}

Written with pyarrow {lock["writer"]["pyarrow"]}; the Parquet bytes depend on that version.
The same files and options give the same bytes (`aurora data import` again proves it).
"""


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def _files(n: int) -> str:
    return "1 user file" if n == 1 else f"{n} user files"
