"""Price basis and corporate actions: from the combined bars to the snapshot's two tables.

Per symbol, actions come from one place:

- explicit ``dividend``/``split`` columns (zipline csvdir, Quandl WIKI): the
  events as given, and ``adj_close`` back-adjusted from them with the rule of
  the bundled data (``corpactions.normalise``: a dividend D on ex-date e
  scales earlier closes by close_e / (close_e + D), a split by 1 / ratio),
  anchored at the symbol's last raw close;
- else the source's ``Adj Close`` / ``Close`` ratio, derived exactly as the
  bundled build does (``snapshot.derive_corporate_actions``); a column rounded
  to a few decimals (Yahoo writes 6) widens the event tolerance by its own
  rounding step, so rounding noise is not read as events;
- else none (``adj_close`` = ``close``).

``raw``: Close is the traded price; dividends are rounded to the cent as in
the bundled data. ``split_adjusted`` (Yahoo): Close is already split-adjusted,
so no split can appear, and dividends keep full precision (split adjustment
makes them fractions of a cent).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pyarrow as pa

from aurora_e2d.core.errors import InputError
from aurora_e2d.data.importer.combine import Combined
from aurora_e2d.data.snapshot import ACTIONS_SCHEMA, PRICES_SCHEMA, derive_corporate_actions

__all__ = ["PriceBasis", "build_tables"]


class PriceBasis(StrEnum):
    RAW = "raw"  # Close is the raw traded price
    SPLIT_ADJUSTED = "split_adjusted"  # Close is already split-adjusted (Yahoo)

    @classmethod
    def parse(cls, value: str | PriceBasis) -> PriceBasis:
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise InputError.bad_value("--price-basis", f"one of {allowed}", value) from None


def spans(symbol: np.ndarray) -> list[tuple[int, int]]:
    bounds = np.flatnonzero(np.diff(symbol)) + 1
    starts = np.concatenate([[0], bounds]).tolist()
    return list(zip(starts, [*starts[1:], len(symbol)], strict=True))


def _back_adjusted(close: np.ndarray, mult: np.ndarray, symbol: np.ndarray) -> np.ndarray:
    """close / (product of the multipliers of every later bar of the same symbol)."""
    later = np.ones(len(close))
    for start, stop in spans(symbol):
        later[start : stop - 1] = np.cumprod(mult[start + 1 : stop][::-1])[::-1]
    return close / later


def _explicit(c: Combined, rows: np.ndarray, basis: PriceBasis) -> tuple[np.ndarray, pa.Table]:
    """(adj_close of ``rows``, their actions) from dividend/split columns."""
    close, split, dividend = c.prices["close"][rows], c.split[rows], c.dividend[rows]
    is_split = ~np.isnan(split) & (split != 0.0) & (split != 1.0)
    is_dividend = ~np.isnan(dividend) & (dividend > 0.0)
    if basis is PriceBasis.SPLIT_ADJUSTED and is_split.any():
        i = int(rows[np.flatnonzero(is_split)[0]])
        column = c.files[int(c.file[i])].columns.split
        raise InputError(
            f"{c.where(i)} column {column!r}",
            f"{c.split[i]!r} is a split, but --price-basis split_adjusted says Close is already "
            "split-adjusted (use --price-basis raw)",
        )
    mult = np.where(is_dividend, 1.0 + dividend / close, 1.0) * np.where(is_split, split, 1.0)
    adj = _back_adjusted(close, mult, c.symbol[rows])
    events: list[pa.Table] = []
    for mask, kind in ((is_dividend, "dividend"), (is_split, "split")):
        at = rows[mask]
        events.append(
            pa.table(
                {
                    "symbol": pa.array(c.names[c.symbol[at]].tolist(), pa.string()),
                    "ex_date": pa.array(c.date[at], pa.date32()),
                    "kind": pa.array([kind] * len(at), pa.string()),
                    "split_ratio": pa.array(
                        c.split[at] if kind == "split" else [None] * len(at), pa.float64()
                    ),
                    "dividend_usd": pa.array(
                        c.dividend[at] if kind == "dividend" else [None] * len(at), pa.float64()
                    ),
                },
                schema=ACTIONS_SCHEMA,
            )
        )
    return adj, pa.concat_tables(events)


def _tolerance(c: Combined, rows: np.ndarray, basis: PriceBasis) -> np.ndarray:
    """Per row, how far r = f_t / f_(t-1) can move from rounding alone (f = adj_close / close)."""

    def step(decimals: int | None) -> float:
        return 0.0 if decimals is None else 10.0 ** (-decimals)

    file = c.file[rows]
    q_adj = np.array([step(f.adj_decimals) for f in c.files])[file]
    # A raw close is an exact traded price; a split-adjusted one is a rounded quotient.
    q_close = np.array([step(f.close_decimals) for f in c.files])[file]
    if basis is PriceBasis.RAW:
        q_close = np.zeros(len(rows))
    adj, close = c.adj_close[rows], c.prices["close"][rows]
    tol = np.zeros(len(rows))
    tol[1:] = q_adj[1:] * (1 / adj[1:] + 1 / adj[:-1]) + q_close[1:] * (1 / close[1:] + 1 / close[:-1])
    return tol


def _derived(c: Combined, prices: pa.Table, rows: np.ndarray, basis: PriceBasis) -> pa.Table:
    try:
        return derive_corporate_actions(
            prices.take(pa.array(rows, pa.int64())),
            splits=basis is PriceBasis.RAW,
            dividend_decimals=2 if basis is PriceBasis.RAW else None,
            tolerance=_tolerance(c, rows, basis),
        )
    except InputError as exc:  # subject "SYMBOL YYYY-MM-DD": name the file and row instead
        symbol, day = exc.subject.rsplit(" ", 1)
        code = int(np.searchsorted(c.names, symbol))
        i = int(np.flatnonzero((c.symbol == code) & (c.date == np.datetime64(day)))[0])
        hint = (
            "; if Close is the traded price, use --price-basis raw"
            if basis is PriceBasis.SPLIT_ADJUSTED
            else "; Adj Close / Close fell by neither a dividend nor a simple split (if Close is "
            "split-adjusted, as Yahoo's is, use --price-basis split_adjusted)"
        )
        raise InputError(c.where(i), f"{exc.subject}: {exc.problem}{hint}") from None


def build_tables(c: Combined, basis: PriceBasis) -> tuple[pa.Table, pa.Table]:
    """(prices in PRICES_SCHEMA, actions in ACTIONS_SCHEMA), both sorted."""
    kind_of = np.array([c.actions_from[str(n)] for n in c.names], dtype=object)[c.symbol]
    adj = np.where(kind_of == "none", c.prices["close"], c.adj_close)
    explicit_rows = np.flatnonzero(kind_of == "columns")
    events = [pa.table({n: [] for n in ACTIONS_SCHEMA.names}, schema=ACTIONS_SCHEMA)]
    if len(explicit_rows):
        adj[explicit_rows], explicit = _explicit(c, explicit_rows, basis)
        events.append(explicit)
    symbol = pa.DictionaryArray.from_arrays(pa.array(c.symbol, pa.int32()), pa.array(c.names.tolist()))
    prices = pa.Table.from_arrays(
        [
            symbol.cast(pa.string()),
            pa.array(c.date, pa.date32()),
            *(pa.array(c.prices[k], pa.float64()) for k in ("open", "high", "low", "close")),
            pa.array(c.volume, pa.int64()),
            pa.array(adj, pa.float64()),
        ],
        schema=PRICES_SCHEMA,
    )
    derived_rows = np.flatnonzero(kind_of == "adj_close")
    if len(derived_rows):
        events.append(_derived(c, prices, derived_rows, basis))
    actions = pa.concat_tables(events).sort_by(
        [("symbol", "ascending"), ("ex_date", "ascending"), ("kind", "ascending")]
    )
    return prices, actions
