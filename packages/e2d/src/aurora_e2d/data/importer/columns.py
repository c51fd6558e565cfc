"""Which source column means what: Yahoo, zipline csvdir, Quandl WIKI and long tables, any order or case.

A header is compared after dropping case, spaces and punctuation, so
``Adj Close``, ``adj_close`` and ``Adj. Close`` all mean the adjusted close.
Columns that mean nothing here (Quandl's ``Adj. Open`` ..., the unnamed
index column of pandas' ``to_csv``) are ignored; two columns that mean the same thing are an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["REQUIRED", "ColumnMap", "map_columns"]

_ALIASES = {
    "date": ("date", "datetime", "timestamp"),
    "symbol": ("symbol", "ticker", "sym"),
    "open": ("open",),
    "high": ("high",),
    "low": ("low",),
    "close": ("close",),
    "volume": ("volume",),
    "adj_close": ("adjclose", "adjustedclose"),
    "dividend": ("dividend", "dividends", "exdividend", "dividendamount", "cashdividend"),
    "split": ("split", "splits", "splitratio", "splitfactor", "stocksplit", "stocksplits"),
}
_ROLE_OF = {alias: role for role, aliases in _ALIASES.items() for alias in aliases}
REQUIRED = ("date", "open", "high", "low", "close", "volume")
_SHOWN = {"date": "Date", "open": "Open", "high": "High", "low": "Low", "close": "Close", "volume": "Volume"}
_MAX_LISTED = 12


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Source column name of each role present (``None`` for an optional role that is absent)."""

    date: str
    open: str
    high: str
    low: str
    close: str
    volume: str
    symbol: str | None = None
    adj_close: str | None = None
    dividend: str | None = None
    split: str | None = None

    @property
    def actions_from(self) -> str:
        """Where corporate actions come from: explicit ``columns``, the ``adj_close`` ratio, or ``none``."""
        if self.dividend is not None or self.split is not None:
            return "columns"
        return "adj_close" if self.adj_close is not None else "none"


def map_columns(names: list[str]) -> ColumnMap | str:
    """The roles of ``names``, or a one-line problem (the caller adds the file name)."""
    found: dict[str, str] = {}
    for name in names:
        role = _ROLE_OF.get(_key(name))
        if role is None:
            continue
        if role in found:
            return f"columns {found[role]!r} and {name!r} both mean {role}"
        found[role] = name
    missing = [role for role in REQUIRED if role not in found]
    if missing:
        listed = ", ".join(names[:_MAX_LISTED]) + (", ..." if len(names) > _MAX_LISTED else "")
        return f"no {_SHOWN[missing[0]]!r} column (columns: {listed})"
    return ColumnMap(**found)
