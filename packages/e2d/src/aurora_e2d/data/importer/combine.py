"""All files' bars as one table sorted by (symbol, date), checked across files.

A symbol may come from several files (a long table split by year), but one
(symbol, date) may appear only once, every date must be a session of the
calendar, and all files of a symbol must carry its corporate actions the same
way (explicit columns, the Adj Close ratio, or not at all). Symbols may start
and stop at different dates; gaps inside a span are kept as they are (sanity
reports them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aurora_e2d.core.errors import InputError
from aurora_e2d.data.importer.bars import PRICE_ROLES, FileBars
from aurora_e2d.data.sessions import session_closes

__all__ = ["Combined", "combine"]


@dataclass(frozen=True, slots=True)
class Combined:
    """Every row, sorted by (symbol, date); ``file``/``row`` say where each came from."""

    files: list[FileBars]
    names: np.ndarray  # sorted symbols (str)
    symbol: np.ndarray  # int32 code per row, ordered like the names
    date: np.ndarray  # datetime64[D]
    prices: dict[str, np.ndarray]  # open, high, low, close
    volume: np.ndarray
    adj_close: np.ndarray  # NaN for symbols whose files have none
    dividend: np.ndarray  # NaN where none
    split: np.ndarray  # NaN where none
    file: np.ndarray  # index into ``files``
    row: np.ndarray  # data row index within its file
    actions_from: dict[str, str]  # symbol -> columns | adj_close | none
    sessions: np.ndarray  # the calendar's sessions from the first to the last date

    def where(self, i: int) -> str:
        """``data/AAPL.csv: row 17`` for combined row ``i``."""
        origin = self.files[int(self.file[i])].origin
        return f"{origin.source.display}: row {origin.row_of(int(self.row[i]))}"


def _optional(bars: FileBars, values: np.ndarray | None) -> np.ndarray:
    return np.full(bars.rows, np.nan) if values is None else values


def _actions_from(files: list[FileBars], names: np.ndarray, codes: list[np.ndarray]) -> dict[str, str]:
    chosen: dict[str, tuple[str, FileBars]] = {}
    for bars, global_codes in zip(files, codes, strict=True):
        kind = bars.columns.actions_from
        for code in np.unique(global_codes).tolist():
            symbol = str(names[code])
            if symbol not in chosen:
                chosen[symbol] = (kind, bars)
            elif chosen[symbol][0] != kind:
                first = chosen[symbol][1]
                raise InputError(
                    bars.origin.source.display,
                    f"{symbol}: corporate actions from {kind.replace('_', ' ')} here but from "
                    f"{chosen[symbol][0].replace('_', ' ')} in {first.origin.source.display}; "
                    "one symbol's files must carry them the same way",
                )
    return {symbol: kind for symbol, (kind, _) in chosen.items()}


def _check_sessions(c: Combined, calendar: str) -> None:
    pos = np.searchsorted(c.sessions, c.date)
    bad = (pos >= len(c.sessions)) | (c.sessions[np.minimum(pos, len(c.sessions) - 1)] != c.date)
    if bad.any():
        first = np.flatnonzero(bad)
        i = int(first[np.lexsort((c.row[first], c.file[first]))[0]])  # the first in input order
        raise InputError(
            c.where(i),
            f"{c.names[c.symbol[i]]} {c.date[i]} is not a session of {calendar} "
            f"({int(bad.sum())} such rows in this import)",
        )


def _check_duplicates(c: Combined) -> None:
    same = (c.symbol[1:] == c.symbol[:-1]) & (c.date[1:] == c.date[:-1])
    if not same.any():
        return
    j = int(np.flatnonzero(same)[0]) + 1
    i = j - 1
    symbol, day = c.names[c.symbol[j]], c.date[j]
    values = [c.prices[k] for k in PRICE_ROLES] + [c.volume]
    differ = any(v[i] != v[j] for v in values)
    files = c.files[int(c.file[i])], c.files[int(c.file[j])]
    if files[0] is files[1] and files[0].per_symbol and differ:
        raise InputError(
            c.where(j),
            f"{symbol} {day} also on row {files[0].origin.row_of(int(c.row[i]))} with other prices: "
            "two series read as one symbol?",
        )
    first = c.where(i) if files[0] is not files[1] else f"row {files[0].origin.row_of(int(c.row[i]))}"
    raise InputError(c.where(j), f"duplicate date: {symbol} {day} is also on {first}")


def combine(files: list[FileBars], calendar: str) -> Combined:
    """One sorted table of every file's rows; ``InputError`` naming the file, row, symbol and date."""
    names = np.unique(np.concatenate([np.asarray(f.names, dtype=str) for f in files]))
    codes = [np.searchsorted(names, np.asarray(f.names, dtype=str))[f.codes] for f in files]
    actions_from = _actions_from(files, names, codes)
    date = np.concatenate([f.date for f in files])
    start, end = date.min().astype(object), date.max().astype(object)
    unsorted = Combined(
        files=files,
        names=names,
        symbol=np.concatenate(codes).astype(np.int32),
        date=date,
        prices={k: np.concatenate([f.prices[k] for f in files]) for k in PRICE_ROLES},
        volume=np.concatenate([f.volume for f in files]),
        adj_close=np.concatenate([_optional(f, f.adj_close) for f in files]),
        dividend=np.concatenate([_optional(f, f.dividend) for f in files]),
        split=np.concatenate([_optional(f, f.split) for f in files]),
        file=np.concatenate([np.full(f.rows, n, dtype=np.int32) for n, f in enumerate(files)]),
        row=np.concatenate([np.arange(f.rows) for f in files]),
        actions_from=actions_from,
        sessions=session_closes(start, end, calendar).dates,
    )
    _check_sessions(unsorted, calendar)
    order = np.lexsort((unsorted.date, unsorted.symbol))  # stable: ties keep input order
    result = Combined(
        files=files,
        names=names,
        symbol=unsorted.symbol[order],
        date=unsorted.date[order],
        prices={k: v[order] for k, v in unsorted.prices.items()},
        volume=unsorted.volume[order],
        adj_close=unsorted.adj_close[order],
        dividend=unsorted.dividend[order],
        split=unsorted.split[order],
        file=unsorted.file[order],
        row=unsorted.row[order],
        actions_from=actions_from,
        sessions=unsorted.sessions,
    )
    _check_duplicates(result)
    return result
