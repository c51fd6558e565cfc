"""Per symbol, what was imported and what was assumed: printed by the command and kept in PROVENANCE.md.

A quant reading the summary should be able to tell, without opening any
file, whether each symbol came in as they meant it: its span, its rows, its
dividends and splits, where those came from, and every assumption the import
made (a symbol taken from a file name, dates with a time of day, no Adj
Close so no dividends, an inferred price basis).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from aurora_e2d.data.importer.combine import Combined

__all__ = ["SymbolLine", "assumptions", "symbol_lines"]

_FROM = {"columns": "dividend/split columns", "adj_close": "Adj Close", "none": "none"}
_LISTED_FILES = 5


@dataclass(frozen=True, slots=True)
class SymbolLine:
    symbol: str
    first: str
    last: str
    rows: int
    dividends: int
    splits: int
    actions_from: str  # columns | adj_close | none
    files: tuple[str, ...]  # source file names (never paths)

    def text(self, width: int) -> str:
        files = ", ".join(self.files[:_LISTED_FILES]) + (
            f" and {len(self.files) - _LISTED_FILES} more" if len(self.files) > _LISTED_FILES else ""
        )
        return (
            f"  {self.symbol:<{width}}  {self.first}..{self.last}  {self.rows:>7,} rows  "
            f"{self.dividends:>3} dividends  {self.splits:>2} splits  "
            f"(actions from {_FROM[self.actions_from]}; {files})"
        )

    def markdown(self) -> str:
        return (
            f"| {self.symbol} | {self.first} | {self.last} | {self.rows} | {self.dividends} | "
            f"{self.splits} | {_FROM[self.actions_from]} | {', '.join(f'`{f}`' for f in self.files)} |"
        )


def symbol_lines(c: Combined, prices: pa.Table, actions: pa.Table) -> list[SymbolLine]:
    """One line per symbol, sorted by symbol."""
    symbols = prices.column("symbol").to_numpy(zero_copy_only=False)
    dates = prices.column("date").to_numpy(zero_copy_only=False)
    names, starts, counts = np.unique(symbols, return_index=True, return_counts=True)
    kinds: dict[tuple[str, str], int] = defaultdict(int)
    for symbol, kind in zip(
        actions.column("symbol").to_pylist(), actions.column("kind").to_pylist(), strict=True
    ):
        kinds[(symbol, kind)] += 1
    files: dict[str, set[str]] = defaultdict(set)
    for code, file in np.unique(np.stack([c.symbol, c.file], axis=1), axis=0).tolist():
        files[str(c.names[code])].add(c.files[file].origin.source.name)
    return [
        SymbolLine(
            symbol=str(name),
            first=str(dates[start]),
            last=str(dates[start + count - 1]),
            rows=int(count),
            dividends=kinds[(str(name), "dividend")],
            splits=kinds[(str(name), "split")],
            actions_from=c.actions_from[str(name)],
            files=tuple(sorted(files[str(name)])),
        )
        for name, start, count in zip(names, starts, counts, strict=True)
    ]


def assumptions(c: Combined, snapshot_notes: tuple[str, ...]) -> list[str]:
    """The snapshot-wide notes, then each per-file note once with the files it applies to."""
    by_note: dict[str, list[str]] = defaultdict(list)
    for bars in sorted(c.files, key=lambda b: b.origin.source.name):
        for note in bars.notes:
            by_note[note].append(bars.origin.source.name)
    lines = list(snapshot_notes)
    for note, names in by_note.items():
        shown = ", ".join(names[:_LISTED_FILES]) + (
            f" and {len(names) - _LISTED_FILES} more" if len(names) > _LISTED_FILES else ""
        )
        lines.append(f"{note}: {shown}")
    return lines
