"""The sessions a run trades, held as columns: bars, corporate actions, targets and decisions per day.

At universe scale (2,000 symbols x 2,520 sessions = 5 M bars) one Python
object per bar and one dict per decision cost gigabytes and most of the
run's time, while a session's trading touches a handful of symbols. Each
``Session`` therefore keeps numpy slices of the window's columns: its bars
are a ``SessionBars`` (a ``Bar`` is made only when asked for), its targets
are the non-zero weights, and its decisions are ``DecisionRows``, from which
the loop journals the actionable rows (targets and held symbols) and a
digest of all of them.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from aurora_broker import Bar, CashDividend, CorporateAction, Delisting, SessionBars, Split, session_closes
from aurora_e2d.engine.orderplan import Target

__all__ = ["DecisionRows", "Session", "build_sessions", "trading_days"]


@dataclass(frozen=True, slots=True)
class DecisionRows:
    """One session's decisions (every symbol, weight-0 rows included), sorted by symbol."""

    symbols: Sequence[str] | np.ndarray  # an object array's slice (a view), from build_sessions
    rank: np.ndarray
    prediction: np.ndarray
    target_weight: np.ndarray
    vetoed: np.ndarray
    veto_reason: Sequence[str | None] | np.ndarray

    def rows(self, symbols: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Decision rows as dicts (all, or only ``symbols``), in symbol order."""
        return [
            {
                "symbol": s,
                "rank": int(self.rank[i]),
                "prediction": float(self.prediction[i]),
                "target_weight": float(self.target_weight[i]),
                "vetoed": bool(self.vetoed[i]),
                "veto_reason": self.veto_reason[i],
            }
            for i, s in enumerate(self.symbols)
            if symbols is None or s in symbols
        ]

    def digest(self) -> str:
        """sha256 over every row's key and values: what the session decided, in 64 characters."""
        h = hashlib.sha256("\x1f".join(self.symbols).encode())
        for column in (self.rank, self.prediction, self.target_weight, self.vetoed):
            h.update(np.ascontiguousarray(column).tobytes())
        h.update("\x1f".join("" if r is None else r for r in self.veto_reason).encode())
        return h.hexdigest()


@dataclass(frozen=True)
class Session:
    day: date
    ts_ns: int  # session close, UTC
    bars: Mapping[str, Bar]
    actions: tuple[CorporateAction, ...]
    targets: tuple[Target, ...]  # the non-zero target weights
    decisions: DecisionRows | tuple[dict[str, Any], ...] = ()

    def closes(self) -> dict[str, float]:
        return session_closes(self.bars)

    def decision_rows(self, symbols: Collection[str]) -> list[dict[str, Any]]:
        """The decision rows of ``symbols`` (the actionable ones), in symbol order."""
        if isinstance(self.decisions, DecisionRows):
            return self.decisions.rows(symbols)
        return sorted((dict(r) for r in self.decisions if r["symbol"] in symbols), key=lambda r: r["symbol"])

    def decisions_digest(self) -> str | None:
        return self.decisions.digest() if isinstance(self.decisions, DecisionRows) else None


def _bounds(days_column: np.ndarray, days: Sequence[np.datetime64]) -> dict[np.datetime64, tuple[int, int]]:
    """Row ranges of each day in a date-sorted column."""
    starts = np.searchsorted(days_column, days, side="left")
    ends = np.searchsorted(days_column, days, side="right")
    return {d: (int(s), int(e)) for d, s, e in zip(days, starts, ends, strict=True)}


def _shared_strings(column: pl.Series) -> np.ndarray:
    """A string column as Python strings (None for a null), one object per distinct value: 5 M bars
    name 2,000 symbols, and 5 M separate ``str`` objects would cost ~60 B each for the whole run.
    An object array: a session's slice of it is a view, where a list's or a tuple's slice copies
    its references (3 x 170 MB for the symbols and veto reasons of 5,000 symbols x 20 years)."""
    encoded = column.to_arrow().dictionary_encode()  # a Series gives one Array, however chunked
    names = np.array([*encoded.dictionary.to_pylist(), None], dtype=object)  # the last: a null
    indices = encoded.indices.fill_null(len(names) - 1)
    return names[indices.to_numpy(zero_copy_only=False)]


def _has_bar(symbols: np.ndarray, b0: int, b1: int, symbol: str) -> bool:
    """Whether ``symbol`` is among ``symbols[b0:b1]`` (a session's rows, sorted by symbol): a binary
    search, so that filtering a day's actions does not build the session's symbol index (see
    ``SessionBars``) before the loop trades it. Polars sorts strings by their UTF-8 bytes, which is
    the order of Python's ``<`` on them."""
    i = bisect.bisect_left(symbols, symbol, b0, b1)
    return i < b1 and symbols[i] == symbol


def _actions(actions: pa.Table, bars: pl.DataFrame, days: list[date]) -> dict[date, list[CorporateAction]]:
    by_day: dict[date, list[CorporateAction]] = {}
    for row in actions.to_pylist():
        if row["kind"] == "split":
            action: CorporateAction = Split(
                symbol=row["symbol"], ex_date=row["ex_date"], ratio=row["split_ratio"]
            )
        else:
            action = CashDividend(
                symbol=row["symbol"], ex_date=row["ex_date"], amount_per_share_usd=row["dividend_usd"]
            )
        by_day.setdefault(row["ex_date"], []).append(action)
    # A symbol whose bars stop before the window's end is delisted on its first session without one.
    last_bar = dict(bars.group_by("symbol").agg(pl.col("date").max()).iter_rows())
    for symbol, final in sorted(last_bar.items()):
        first_without = bisect.bisect_right(days, final)
        if first_without < len(days):
            day = days[first_without]
            by_day.setdefault(day, []).append(Delisting(symbol=symbol, ex_date=day))
    return by_day


def trading_days(decisions: pl.DataFrame) -> list[date]:
    """The trading window's sessions: the decision dates, in order."""
    return decisions["date"].unique().sort().to_list()


def _day_ordered(frame: pl.DataFrame, columns: Sequence[str], days: Sequence[date]) -> pl.DataFrame:
    """``columns`` of the rows dated ``days[0]..days[-1]``, ordered by (date, symbol).

    The order is found by sorting the two keys alone and the columns are gathered once: filtering
    every column into a copy and sorting that into another held both copies at once, the run's
    peak at 2,000 symbols x 10 years (the 3.5 M bars of the window and the 3.5 M decisions)."""
    rows = (
        frame.select("date", "symbol")
        .with_row_index("__row")
        .filter(pl.col("date").is_between(days[0], days[-1]))
        .sort("date", "symbol")["__row"]
    )
    return frame.select(columns).select(pl.all().gather(rows))


def build_sessions(
    bars: pl.DataFrame, decisions: pl.DataFrame, actions: pa.Table, *, after: date | None = None
) -> list[Session]:
    """The trading window's sessions (the decision dates) with their bars, actions, targets and
    decisions; with ``after``, only the sessions after it (those the journal has committed are not
    traded again, and an evening need not gather 5 M bars to trade one session)."""
    window_days = trading_days(decisions)
    days = window_days if after is None else [d for d in window_days if d > after]
    if not days:
        return []
    # only the columns a session trades on: the bars' adjusted series are not copied and sorted
    window = _day_ordered(bars, ("symbol", "date", "ts", "open", "high", "low", "close", "volume"), days)
    bar_days = window["date"].to_numpy()
    keys = [np.datetime64(d, "D") for d in days]
    bar_rows = _bounds(bar_days.astype("datetime64[D]"), keys)
    symbols = _shared_strings(window["symbol"])
    columns = {c: window[c].to_numpy() for c in ("open", "high", "low", "close")}
    volume = window["volume"].to_numpy().astype(np.float64)
    ts = window["ts"].dt.epoch("ns").to_numpy()

    # (every decision date is a window day: the days' span is the sessions after ``after``)
    needed = ("date", "symbol", "rank", "prediction", "target_weight", "vetoed", "veto_reason")
    ordered = _day_ordered(decisions, needed, days)
    decision_rows = _bounds(ordered["date"].to_numpy().astype("datetime64[D]"), keys)
    d_symbols = _shared_strings(ordered["symbol"])
    d_rank = ordered["rank"].to_numpy()
    d_prediction = ordered["prediction"].to_numpy()
    d_weight = ordered["target_weight"].to_numpy()
    d_vetoed = ordered["vetoed"].to_numpy()
    d_reason = _shared_strings(ordered["veto_reason"])

    if after is not None:  # an action applies on its own ex-date only
        actions = actions.filter(pc.greater(actions.column("ex_date"), pa.scalar(after)))
    by_day = _actions(actions, bars, window_days)
    sessions = []
    for day, key in zip(days, keys, strict=True):
        b0, b1 = bar_rows[key]
        day_bars = SessionBars(
            cast(Sequence[str], symbols[b0:b1]),  # an object array of str: a view, not a copy
            columns["open"][b0:b1],
            columns["high"][b0:b1],
            columns["low"][b0:b1],
            columns["close"][b0:b1],
            volume[b0:b1],
        )
        r0, r1 = decision_rows[key]
        rows = DecisionRows(
            d_symbols[r0:r1],
            d_rank[r0:r1],
            d_prediction[r0:r1],
            d_weight[r0:r1],
            d_vetoed[r0:r1],
            d_reason[r0:r1],
        )
        held = np.flatnonzero(d_weight[r0:r1] != 0.0) + r0  # NaN is != 0.0 here as it was row by row
        targets = tuple(Target(d_symbols[i], float(d_weight[i])) for i in held.tolist())
        sessions.append(
            Session(
                day=day,
                ts_ns=int(ts[b0]) if b1 > b0 else 0,
                bars=day_bars,
                actions=tuple(
                    a
                    for a in by_day.get(day, [])
                    if isinstance(a, Delisting) or _has_bar(symbols, b0, b1, a.symbol)
                ),
                targets=targets,
                decisions=rows,
            )
        )
    return sessions
