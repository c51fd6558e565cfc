"""Stage 2: data sanity checks, failing (``strict``) or repairing (``repair``).

Pure numpy/pyarrow and no polars: mutation testing forks per mutant, and a
forked process that has used polars can hang (TOOLING.md). Checks run in one
fixed order; ``strict`` raises ``InputError`` at the first failing check with
its first offending rows, ``repair`` applies every repair and counts it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import assert_never

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aurora_e2d.core.errors import InputError
from aurora_e2d.data.snapshot import PRICES_SCHEMA

__all__ = ["BAD_TICK_THRESHOLD", "MAX_LISTED_ROWS", "Check", "SanityMode", "SanityReport", "run_sanity"]

# |close_t / close_{t-1} - 1| above this, on a date without a corporate action, is a bad tick.
# Not 0.5: AAPL really fell 51.9% on 2000-09-29.
BAD_TICK_THRESHOLD = 0.6
MAX_LISTED_ROWS = 5  # offending rows quoted in a strict failure
PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close")


class SanityMode(StrEnum):
    STRICT = "strict"  # any finding is an InputError
    REPAIR = "repair"  # drop or fix rows, count every change

    @classmethod
    def parse(cls, value: str | SanityMode) -> SanityMode:
        """Fail closed on an unknown mode instead of silently picking one."""
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise InputError.bad_value("sanity.mode", f"one of {allowed}", value) from None


class Check(StrEnum):
    """Checks in the order they run; the repair of each is in its comment."""

    NON_FINITE = "non_finite"  # NaN/inf in a price: drop the row
    NON_POSITIVE_PRICE = "non_positive_price"  # a price <= 0: drop
    NON_MONOTONIC = "non_monotonic"  # a date before its symbol's previous one: sort
    DUPLICATE_KEY = "duplicate_key"  # (symbol, date) seen before: keep the first in input order
    OHLC_INCONSISTENT = "ohlc_inconsistent"  # low > min(open, close) or high < max(...): widen
    ZERO_VOLUME = "zero_volume"  # volume <= 0: drop
    NOT_A_SESSION = "not_a_session"  # date is not an XNYS session: drop
    BAD_TICK = "bad_tick"  # unexplained return beyond BAD_TICK_THRESHOLD: drop (vs the last kept bar)
    MISSING_SESSION = "missing_session"  # a session inside a symbol's span has no row: counted, not invented


@dataclass(frozen=True, slots=True)
class SanityReport:
    """What sanity found or changed, for the trace; every check has a count, zero included."""

    mode: SanityMode
    rows_in: int
    rows_out: int
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"mode": self.mode.value, "rows_in": self.rows_in, "rows_out": self.rows_out, **self.counts}


@dataclass
class _Frame:
    """Column arrays of the rows still kept; ``row`` maps back to the input row."""

    symbol: np.ndarray  # int codes, ordered like the symbol strings
    names: np.ndarray  # code -> symbol string
    date: np.ndarray  # datetime64[D]
    cols: dict[str, np.ndarray]
    row: np.ndarray

    def keep(self, mask: np.ndarray) -> None:
        """Keep rows by boolean mask or reorder them by an index array."""
        self.symbol, self.date, self.row = self.symbol[mask], self.date[mask], self.row[mask]
        self.cols = {k: v[mask] for k, v in self.cols.items()}

    def describe(self, i: int) -> str:
        values = " ".join(
            f"{k}={self.cols[k][i].item()!r}" for k in ("open", "high", "low", "close", "volume")
        )
        return f"{self.names[self.symbol[i]]} {self.date[i]} {values}"


def _check_schema(prices: pa.Table) -> None:
    if prices.schema.names != PRICES_SCHEMA.names:
        raise InputError("sanity check 'schema'", f"columns {prices.schema.names} != {PRICES_SCHEMA.names}")
    for expected in PRICES_SCHEMA:
        column = prices.column(expected.name)
        if column.type != expected.type:
            raise InputError(
                "sanity check 'schema'",
                f"column '{expected.name}': expected {expected.type}, actual {column.type}",
            )
        if column.null_count:
            raise InputError(
                "sanity check 'schema'", f"column '{expected.name}' has {column.null_count} nulls"
            )


def _to_frame(prices: pa.Table) -> _Frame:
    # Hash-encode in pyarrow (linear); only the distinct names are sorted, so codes order like the strings.
    names = np.sort(pc.unique(prices.column("symbol")).to_numpy(zero_copy_only=False).astype(str))
    codes = pc.index_in(prices.column("symbol"), value_set=pa.array(names, pa.string())).to_numpy()
    cols = {k: prices.column(k).to_numpy() for k in (*PRICE_COLUMNS, "volume")}
    date = prices.column("date").to_numpy().astype("datetime64[D]")
    return _Frame(codes, names, date, cols, np.arange(prices.num_rows))


def _same_symbol_as_previous(f: _Frame) -> np.ndarray:
    same = np.zeros(len(f.symbol), dtype=bool)
    same[1:] = f.symbol[1:] == f.symbol[:-1]
    return same


def _find(check: Check, f: _Frame, sessions: np.ndarray, event_keys: set[tuple[str, dt.date]]) -> np.ndarray:
    """Boolean mask of offending rows of ``f`` for a row-level check."""
    c = f.cols
    match check:
        case Check.NON_FINITE:
            return ~np.logical_and.reduce([np.isfinite(c[k]) for k in PRICE_COLUMNS])
        case Check.NON_POSITIVE_PRICE:
            return np.logical_or.reduce([c[k] <= 0 for k in PRICE_COLUMNS])
        case Check.NON_MONOTONIC:
            order = np.argsort(f.symbol, kind="stable")  # input order within each symbol
            bad = np.zeros(len(order), dtype=bool)
            s, d = f.symbol[order], f.date[order]
            bad[order[1:]] = (s[1:] == s[:-1]) & (d[1:] < d[:-1])
            return bad
        case Check.DUPLICATE_KEY:  # f is sorted by (symbol, date) here
            return _same_symbol_as_previous(f) & np.concatenate([[False], f.date[1:] == f.date[:-1]])
        case Check.OHLC_INCONSISTENT:
            lo, hi = np.minimum(c["open"], c["close"]), np.maximum(c["open"], c["close"])
            return (c["low"] > lo) | (c["high"] < hi)
        case Check.ZERO_VOLUME:
            return c["volume"] <= 0
        case Check.NOT_A_SESSION:
            return ~np.isin(f.date, sessions)
        case Check.BAD_TICK:
            ret = np.zeros(len(f.symbol))
            ret[1:] = c["close"][1:] / c["close"][:-1] - 1.0
            jump = _same_symbol_as_previous(f) & (np.abs(ret) > BAD_TICK_THRESHOLD)
            explained = np.array(
                [
                    (f.names[f.symbol[i]], f.date[i].astype(dt.date)) in event_keys
                    for i in np.flatnonzero(jump)
                ],
                dtype=bool,
            )
            jump[np.flatnonzero(jump)[explained]] = False
            return jump
        case Check.MISSING_SESSION:
            raise AssertionError("MISSING_SESSION is not a row-level check")
        case _:
            assert_never(check)


def _missing_sessions(f: _Frame, sessions: np.ndarray) -> list[tuple[str, np.datetime64]]:
    """(symbol, session) pairs inside each symbol's first..last span without a row.

    Runs after the sort and the duplicate and not-a-session checks, so each
    symbol's dates are distinct sessions in ascending order: the sessions a
    symbol misses are exactly those strictly between two of its consecutive
    rows. One searchsorted over all rows, linear in rows plus gaps.
    """
    pos = np.searchsorted(sessions, f.date)
    gap = np.zeros(len(pos), dtype=np.int64)  # sessions missing just before each row
    gap[1:] = pos[1:] - pos[:-1] - 1
    gap[~_same_symbol_as_previous(f)] = 0
    rows = np.repeat(np.arange(len(pos)), gap)
    first = np.repeat(pos - gap, gap)  # index of the first session of each row's gap
    within = np.arange(len(rows)) - np.repeat(np.cumsum(gap) - gap, gap)
    return [(str(f.names[f.symbol[r]]), d) for r, d in zip(rows, sessions[first + within], strict=True)]


def _fail(check: Check, count: int, examples: list[str]) -> InputError:
    return InputError(
        f"sanity check '{check.value}'", f"{count} offending rows; first: " + "; ".join(examples)
    )


def _sort(f: _Frame) -> None:
    f.keep(np.lexsort((f.date, f.symbol)))  # lexsort is stable: duplicates keep input order


def run_sanity(
    prices: pa.Table,
    mode: SanityMode | str,
    *,
    sessions: np.ndarray,
    actions: pa.Table | None = None,
) -> tuple[pa.Table, SanityReport]:
    """Stage 2 on raw prices (``PRICES_SCHEMA``); ``sessions`` are the calendar's dates, ascending.

    ``actions`` (``ACTIONS_SCHEMA``) explain large returns on ex-dates. The
    result is sorted by (symbol, date). A schema violation always raises.
    """
    mode = SanityMode.parse(mode)
    _check_schema(prices)
    sessions = np.asarray(sessions, dtype="datetime64[D]")
    event_keys: set[tuple[str, dt.date]] = set()
    if actions is not None:
        event_keys = set(
            zip(actions.column("symbol").to_pylist(), actions.column("ex_date").to_pylist(), strict=True)
        )
    f = _to_frame(prices)
    counts: dict[str, int] = {}
    for check in Check:
        if check is Check.DUPLICATE_KEY:
            _sort(f)  # from here on rows are in (symbol, date) order
        if check is Check.MISSING_SESSION:
            missing = _missing_sessions(f, sessions)
            counts[check.value] = len(missing)
            if missing and mode is SanityMode.STRICT:
                raise _fail(check, len(missing), [f"{s} {d} (no row)" for s, d in missing[:MAX_LISTED_ROWS]])
            continue
        bad = _find(check, f, sessions, event_keys)
        counts[check.value] = int(bad.sum())
        if not counts[check.value]:
            continue
        match mode:
            case SanityMode.STRICT:
                raise _fail(
                    check, counts[check.value], [f.describe(i) for i in np.flatnonzero(bad)[:MAX_LISTED_ROWS]]
                )
            case SanityMode.REPAIR:
                counts[check.value] = _repair(check, f, bad)
            case _:
                assert_never(mode)
    _sort(f)
    return _assemble(prices, f), SanityReport(mode, prices.num_rows, len(f.row), counts)


def _repair(check: Check, f: _Frame, bad: np.ndarray) -> int:
    """Apply the repair of ``check``; return how many rows it changed or dropped."""
    if check is Check.NON_MONOTONIC:
        _sort(f)
    elif check is Check.OHLC_INCONSISTENT:
        c = f.cols
        c["low"] = np.minimum.reduce([c["low"], c["open"], c["close"]])
        c["high"] = np.maximum.reduce([c["high"], c["open"], c["close"]])
    elif check is Check.BAD_TICK:
        bad = _confirm_ticks(f, bad)
        f.keep(~bad)
    else:
        f.keep(~bad)
    return int(bad.sum())


def _confirm_ticks(f: _Frame, flagged: np.ndarray) -> np.ndarray:
    """Re-test each flagged bar against the last kept bar, so a spike's reversal is not dropped too.

    Loops over flagged rows only (rare), in order, because each drop changes
    the next row's reference price.
    """
    drop = np.zeros_like(flagged)
    close = f.cols["close"]
    for i in np.flatnonzero(flagged):
        ref = i - 1
        while ref >= 0 and drop[ref]:
            ref -= 1
        if (
            ref >= 0
            and f.symbol[ref] == f.symbol[i]
            and abs(close[i] / close[ref] - 1.0) > BAD_TICK_THRESHOLD
        ):
            drop[i] = True
    return drop


def _assemble(prices: pa.Table, f: _Frame) -> pa.Table:
    table = prices.take(pa.array(f.row, type=pa.int64()))
    for name in ("low", "high"):  # the only columns a repair rewrites
        table = table.set_column(
            table.schema.get_field_index(name), PRICES_SCHEMA.field(name), pa.array(f.cols[name])
        )
    return table.cast(PRICES_SCHEMA)
