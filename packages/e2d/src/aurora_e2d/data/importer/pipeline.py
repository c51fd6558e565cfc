"""``aurora data import``: source files -> one immutable snapshot directory, or one line of bad input.

Everything is read, parsed and checked in memory before anything is
written; the directory is then written whole (``snapshot_writer``), so bad
input leaves nothing at ``--out``.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyarrow.compute as pc

from aurora_e2d.core.errors import InputError
from aurora_e2d.data.audit import sanity_report
from aurora_e2d.data.importer.adjust import PriceBasis
from aurora_e2d.data.importer.bars import read_bars
from aurora_e2d.data.importer.basis import AUTO, parse_requested, resolve_basis
from aurora_e2d.data.importer.bounded import ReadLimits
from aurora_e2d.data.importer.combine import combine
from aurora_e2d.data.importer.provenance import render_provenance
from aurora_e2d.data.importer.sources import expand_sources, read_source
from aurora_e2d.data.importer.summary import SymbolLine, assumptions, symbol_lines
from aurora_e2d.data.importer.symbols import check_symbol
from aurora_e2d.data.sessions import DEFAULT_CALENDAR, check_calendar
from aurora_e2d.data.snapshot_writer import WrittenSnapshot, check_target, write_snapshot_dir

__all__ = ["ImportResult", "Progress", "import_snapshot"]

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The written snapshot and the figures of its one-line summary."""

    written: WrittenSnapshot
    symbols: int
    rows: int
    first_date: dt.date
    last_date: dt.date
    splits: int
    dividends: int
    sanity: dict
    lines: tuple[SymbolLine, ...] = ()
    assumptions: tuple[str, ...] = ()

    def summary(self) -> str:
        lock = self.written.lock
        failing = [f"{k} {v['count']}" for k, v in self.sanity["checks"].items() if v["count"]]
        sanity = "passes strict" if not failing else "strict would fail: " + ", ".join(failing)
        width = max((len(x.symbol) for x in self.lines), default=0)
        return (
            f"imported {self.symbols} symbols, {self.rows:,} rows, {self.first_date}..{self.last_date} "
            f"({lock['calendar']}, {lock['price_basis']}), {self.splits} splits, {self.dividends} dividends; "
            f"sanity {sanity}; wrote {self.written.directory} (lock sha256 {self.written.lock_sha256})"
            + "".join("\n" + line.text(width) for line in self.lines)
            + "".join(f"\nassumed: {note}" for note in self.assumptions)
        )


def _exchange_tz(calendar: str) -> Callable[[], str]:
    @cache
    def tz() -> str:
        import exchange_calendars as xcals

        with warnings.catch_warnings():  # exchange-calendars trips a pandas deprecation (see sessions.py)
            warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
            return str(xcals.get_calendar(calendar).tz)

    return tz


def import_snapshot(
    sources: Sequence[Path],
    out: Path,
    *,
    calendar: str = DEFAULT_CALENDAR,
    price_basis: str | PriceBasis = AUTO,
    progress: Progress | None = None,
    symbol: str | None = None,
    limits: ReadLimits | None = None,
) -> ImportResult:
    """Read ``sources`` (files or directories), check them, write the snapshot at ``out``.

    ``price_basis`` ``auto`` infers it (``basis``); ``symbol`` names the symbol of a single file
    without a symbol column; ``limits`` caps each file's decompressed bytes and rows.
    """
    calendar = check_calendar(calendar)
    requested = parse_requested(price_basis)
    if symbol is not None:
        symbol = check_symbol(symbol.strip().upper(), "'--symbol'")
    out = Path(out)
    check_target(out)  # fail before reading gigabytes, and again just before the rename
    report = progress or (lambda stage, done, total: None)
    files = expand_sources(sources)
    if symbol is not None and len(files) != 1:
        raise InputError("'--symbol'", f"names the symbol of one file, but {len(files)} files were given")
    tz = _exchange_tz(calendar)
    bars = []
    for n, file in enumerate(files):
        report("reading", n, len(files))
        bars.append(read_bars(read_source(file, limits), tz, symbol))
    report("reading", len(files), len(files))
    report("checking", 0, 1)
    combined = combine(bars, calendar)
    resolved = resolve_basis(combined, requested)
    basis, prices, actions = resolved.basis, resolved.prices, resolved.actions
    sanity = sanity_report(prices, actions, combined.sessions, calendar)
    counts = {
        kind: list(combined.actions_from.values()).count(kind) for kind in ("columns", "adj_close", "none")
    }
    lines = symbol_lines(combined, prices, actions)
    assumed = assumptions(combined, resolved.notes)
    options = {"calendar": calendar, "price_basis": basis.value if requested else AUTO}
    if symbol is not None:
        options["symbol"] = symbol
    source = {
        "files": sorted((b.lock_entry for b in bars), key=lambda e: (str(e["name"]), str(e["sha256"]))),
        "options": options,
        "actions_from": {kind: n for kind, n in counts.items() if n},
        "assumptions": assumed,
    }
    report("writing", 0, 1)
    written = write_snapshot_dir(
        out,
        prices=prices,
        actions=actions,
        kind="imported",
        calendar=calendar,
        price_basis=basis.value,
        source=source,
        sanity=sanity,
        provenance=lambda lock: render_provenance(lock, prices, actions, sanity, lines),
    )
    report("writing", 1, 1)
    kinds = actions.column("kind").to_pylist()
    return ImportResult(
        written=written,
        symbols=len(combined.names),
        rows=prices.num_rows,
        first_date=pc.min(prices.column("date")).as_py(),
        last_date=pc.max(prices.column("date")).as_py(),
        splits=kinds.count("split"),
        dividends=kinds.count("dividend"),
        sanity=sanity,
        lines=tuple(lines),
        assumptions=tuple(assumed),
    )
