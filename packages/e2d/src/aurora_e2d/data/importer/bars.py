"""One source file -> its bars: columns mapped, values parsed and checked, the symbol of every row.

A file without a symbol column holds one symbol, named by the file
(``aapl.csv.gz`` -> ``AAPL``). A file with one is a long table, unless it is
named after one of its own symbols: then it is a per-symbol file, and a
second symbol in it means two series were read as one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from aurora_e2d.data.importer.columns import ColumnMap, map_columns
from aurora_e2d.data.importer.parse import (
    decimals,
    parse_dates,
    parse_numbers,
    parse_symbols,
    parse_volume,
    require_positive,
)
from aurora_e2d.data.importer.sources import Origin, RawTable, symbol_from_name
from aurora_e2d.data.importer.symbols import SYMBOL, check_symbol, symbol_from_file

__all__ = ["PRICE_ROLES", "FileBars", "read_bars"]

PRICE_ROLES = ("open", "high", "low", "close")


@dataclass(frozen=True, slots=True)
class FileBars:
    """The parsed rows of one file, in file order; ``None`` for a column the file does not have."""

    origin: Origin
    columns: ColumnMap
    lock_entry: dict[str, object]
    names: np.ndarray  # this file's symbols (object array of str)
    codes: np.ndarray  # int32 per row, into ``names``
    per_symbol: bool  # one symbol, named by the file
    date: np.ndarray  # datetime64[D]
    prices: dict[str, np.ndarray]  # open, high, low, close (float64)
    volume: np.ndarray  # int64
    adj_close: np.ndarray | None
    dividend: np.ndarray | None  # NaN where empty
    split: np.ndarray | None  # NaN where empty
    adj_decimals: int | None  # rounding step of the text (None: exact or unknown)
    close_decimals: int | None
    notes: tuple[str, ...] = ()  # assumptions made reading this file

    @property
    def rows(self) -> int:
        return len(self.date)


def _symbols(raw: RawTable, columns: ColumnMap, symbol: str | None) -> tuple[np.ndarray, np.ndarray, bool]:
    own = symbol_from_name(raw.origin.source.name)
    if columns.symbol is None:
        if symbol is None:
            symbol = symbol_from_file(raw.origin.source.name, raw.origin.source.display)
        return np.array([symbol], dtype=object), np.zeros(raw.table.num_rows, dtype=np.int32), True
    if symbol is not None:
        raise raw.error(None, columns.symbol, "--symbol names the symbol of a file without a symbol column")
    codes, names = parse_symbols(raw, columns.symbol)
    for code, name in enumerate(names.tolist()):
        if not SYMBOL.fullmatch(name):
            i = int(np.flatnonzero(codes == code)[0])
            check_symbol(name, raw.error(i, columns.symbol, "").subject)  # names file, row and column
    upper = np.array([str(n).upper() for n in names], dtype=object)
    if own in set(upper):
        others = np.flatnonzero(upper != own)
        if len(others):
            i = int(np.flatnonzero(np.isin(codes, others))[0])
            raise raw.error(
                i,
                columns.symbol,
                f"{names[codes[i]]!r} in a file named after {own}: two symbols read as one "
                "(name a table of several symbols after none of them)",
            )
        return names, codes, True
    return names, codes, False


def _optional_factor(raw: RawTable, column: str | None, what: str) -> np.ndarray | None:
    if column is None:
        return None
    values = parse_numbers(raw, column, required=False)
    negative = values < 0
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        raise raw.error(i, column, f"{raw.table.column(column)[i].as_py()!r} must be >= 0 ({what})")
    return values


def _notes(raw: RawTable, columns: ColumnMap, symbol: str | None, time_of_day: str | None) -> tuple[str, ...]:
    """The assumptions made reading this file, each as a phrase for the summary and PROVENANCE.md."""
    notes = []
    if columns.symbol is None:
        notes.append("symbol from --symbol" if symbol is not None else "symbol from the file name")
    if time_of_day is not None:
        notes.append(
            "dates with a time of day: the date as written is the session (time and zone dropped)"
            if raw.is_text
            else "timestamps: each is the session of its date in the exchange's time zone"
        )
    if columns.adj_close is None and columns.dividend is None and columns.split is None:
        notes.append("no Adj Close, dividend or split column: no dividends or splits recorded")
    elif columns.dividend is not None and columns.split is None:
        notes.append("a dividend column but no split column: no splits recorded")
    if columns.dividend is not None and columns.adj_close is None:
        notes.append(
            "a dividend column but no Adj Close: Close taken as not dividend-adjusted (yfinance's "
            "default auto_adjust=True adjusts it; export with auto_adjust=False)"
        )
    return tuple(notes)


def read_bars(raw: RawTable, tz: Callable[[], str], symbol: str | None = None) -> FileBars:
    """Parse and check one file's rows; ``tz()`` is the exchange's time zone (tz-aware Parquet timestamps).

    ``symbol`` (``--symbol``) names the symbol of a file without a symbol column instead of its name.
    """
    columns = map_columns(raw.table.schema.names)
    if isinstance(columns, str):
        raise raw.error(None, None, columns)
    names, codes, per_symbol = _symbols(raw, columns, symbol)
    date, time_of_day = parse_dates(raw, columns.date, tz)
    prices = {}
    for role in PRICE_ROLES:
        column = getattr(columns, role)
        prices[role] = parse_numbers(raw, column)
        require_positive(raw, column, prices[role])
    volume = parse_volume(raw, columns.volume)
    adj_close = None
    if columns.adj_close is not None:
        adj_close = parse_numbers(raw, columns.adj_close)
        require_positive(raw, columns.adj_close, adj_close)
    return FileBars(
        origin=raw.origin,
        columns=columns,
        lock_entry=raw.lock_entry,
        names=names,
        codes=codes,
        per_symbol=per_symbol,
        date=date,
        prices=prices,
        volume=volume,
        adj_close=adj_close,
        dividend=_optional_factor(raw, columns.dividend, "cash per share; 0 or empty when none"),
        split=_optional_factor(raw, columns.split, "new shares per old; 1, 0 or empty when none"),
        adj_decimals=None if columns.adj_close is None else decimals(raw, columns.adj_close),
        close_decimals=decimals(raw, columns.close),
        notes=_notes(raw, columns, symbol, time_of_day),
    )
