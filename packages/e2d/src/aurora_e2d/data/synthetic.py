"""SYNTHETIC universe generator: benchmark and test data only, never real prices.

DESIGN.md §4: larger universes are for benchmarks only and are always
labelled synthetic. Everything this module returns says so: symbols are
named ``SYN0000``, ``SYN0001``, ...; the tables carry ``aurora.data =
SYNTHETIC`` schema metadata; ``SyntheticUniverse.label`` is ``"SYNTHETIC"``.

N symbols x Y years of real sessions of an exchange calendar (XNYS by
default, exchange-calendars), from one seeded ``numpy.random.Generator``
(same arguments -> same bytes):

- close: a geometric random walk per symbol, in cents. Each day's
  log-return is an overnight gap plus an intraday move drawn independently
  (open = previous close x exp(gap), close = open x exp(intraday), both in
  today's share units), so the open-to-close move does not revert the gap:
  drawing the open around the previous close independently of the close
  made it revert (corr -0.27), a free edge for a limit order just above the
  close. The intraday part has a common market factor plus a fat-tailed
  idiosyncratic part; the day's log-return is clipped to +-0.2;
- high/low around the body, volume log-normal around a per-symbol level
  and higher on big moves, all OHLC-consistent and positive;
- corporate actions, with a matching ``ACTIONS_SCHEMA`` table: forward
  splits (2:1, 3:1, 3:2) injected at random and triggered by a high price,
  1:5 reverse splits triggered by a low price, quarterly cash dividends (a
  whole number of cents, the close drops by the dividend on the ex-date); at
  most one event per symbol and session;
- ``adj_close`` back-adjusted exactly as the source's rule (a dividend D on
  ex-date e scales earlier prices by close_e / (close_e + D), a split by
  1 / ratio), anchored at the last raw close, so
  ``snapshot.derive_corporate_actions(prices)`` recovers the actions table
  and ``corpactions.normalise``'s ``close_tr`` matches ``adj_close``.

Every symbol trades every session of the window, so sanity in ``strict``
mode passes and a universe has exactly N x sessions symbol-days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from aurora_e2d.core.errors import InputError
from aurora_e2d.data.sessions import DEFAULT_CALENDAR, SessionCloses, session_closes
from aurora_e2d.data.snapshot import ACTIONS_SCHEMA, PRICES_SCHEMA

__all__ = ["DEFAULT_END", "LABEL", "SYMBOL_PREFIX", "SyntheticUniverse", "generate_universe"]

LABEL = "SYNTHETIC"
SYMBOL_PREFIX = "SYN"
DEFAULT_END = dt.date(2019, 12, 31)
_METADATA = {b"aurora.data": b"SYNTHETIC (aurora_e2d.data.synthetic); not market data"}

_QUARTER = 63  # sessions between dividends of a payer
_MAX_LOG_RETURN = 0.2  # keeps every non-event return far below sanity's bad-tick threshold
_REVERSE_SPLIT_BELOW = 3.0  # a close under this triggers a 1:5 reverse split
_REVERSE_RATIO = 0.2
_MIN_PRICE = 0.05
_MIN_DIVIDEND_PRICE = 2.0  # no dividend on a penny price (it would be a large share of it)


@dataclass(frozen=True, slots=True)
class SyntheticUniverse:
    """A SYNTHETIC universe: ``prices`` (PRICES_SCHEMA), ``actions`` (ACTIONS_SCHEMA), its sessions."""

    prices: pa.Table
    actions: pa.Table
    sessions: SessionCloses
    n_symbols: int
    years: float
    seed: int
    calendar: str = DEFAULT_CALENDAR
    label: str = LABEL

    @property
    def symbol_days(self) -> int:
        return self.prices.num_rows

    def describe(self) -> str:
        kinds = self.actions.column("kind").to_numpy(zero_copy_only=False)
        return (
            f"{LABEL} universe seed={self.seed}: {self.n_symbols} symbols x {len(self.sessions.dates)} "
            f"{self.calendar} sessions ({self.sessions.dates[0]}..{self.sessions.dates[-1]}) = "
            f"{self.symbol_days:,} symbol-days, {int((kinds == 'split').sum())} splits, "
            f"{int((kinds == 'dividend').sum())} dividends"
        )


def _window(years: float, end: dt.date, calendar: str) -> SessionCloses:
    start = end - dt.timedelta(days=round(years * 365.25) - 1)
    return session_closes(start, end, calendar)


def _cents(x: np.ndarray) -> np.ndarray:
    return np.round(x, 2)


def generate_universe(
    n_symbols: int,
    years: float,
    *,
    seed: int = 0,
    end: dt.date = DEFAULT_END,
    calendar: str = DEFAULT_CALENDAR,
) -> SyntheticUniverse:
    """A deterministic SYNTHETIC universe of ``n_symbols`` x ``years`` of ``calendar`` sessions ending at ``end``."""
    if not isinstance(n_symbols, int) or n_symbols < 1:
        raise InputError.bad_value("n_symbols", "an integer >= 1", n_symbols)
    if not years > 0:
        raise InputError.bad_value("years", "> 0", years)
    sessions = _window(years, end, calendar)
    n_t, n = len(sessions.dates), n_symbols
    if n_t < 2:
        raise InputError.bad_value("years", "a window with at least 2 sessions", years)
    rng = np.random.default_rng(seed)

    # Per-symbol parameters.
    p0 = _cents(np.exp(rng.uniform(np.log(10.0), np.log(200.0), n)))
    sigma = rng.uniform(0.008, 0.03, n)
    beta = rng.uniform(0.5, 1.5, n)
    drift = rng.normal(0.0002, 0.0003, n)
    base_volume = np.exp(rng.uniform(np.log(2e4), np.log(5e6), n))
    payer = rng.random(n) < 0.6
    quarterly_yield = rng.uniform(0.002, 0.012, n)
    phase = rng.integers(0, _QUARTER, n)
    split_above = rng.uniform(150.0, 600.0, n)
    triggered_ratio = rng.choice([2.0, 3.0, 1.5], size=n, p=[0.6, 0.25, 0.15])

    # Daily draws, (sessions x symbols).
    market = rng.normal(0.0, 0.009, n_t)
    idio = rng.standard_t(5, (n_t, n)) * np.sqrt(3.0 / 5.0)  # unit variance, fat tails
    intraday = drift + beta * market[:, None] * 0.8 + sigma * idio
    gap = rng.normal(0.0, 1.0, (n_t, n)) * (0.3 * sigma)  # overnight, independent of the intraday move
    log_ret = np.clip(gap + intraday, -_MAX_LOG_RETURN, _MAX_LOG_RETURN)  # the day's close-to-close
    wick_hi = np.abs(rng.normal(0.0, 1.0, (n_t, n))) * (0.5 * sigma)
    wick_lo = np.abs(rng.normal(0.0, 1.0, (n_t, n))) * (0.5 * sigma)
    volume_noise = rng.normal(0.0, 0.4, (n_t, n))
    # Injected splits: about a third of the symbols get one at a random session.
    injected = np.ones((n_t, n))
    chosen = np.flatnonzero(rng.random(n) < 0.35)
    injected[rng.integers(1, n_t, chosen.size), chosen] = rng.choice([2.0, 3.0, 1.5], size=chosen.size)

    close = np.empty((n_t, n))
    ref = np.empty((n_t, n))  # the previous close in today's share units, before any dividend
    ratio = np.ones((n_t, n))
    dividend = np.zeros((n_t, n))
    close[0] = ref[0] = p0
    t_index = np.arange(n_t)
    for t in range(1, n_t):
        prev = close[t - 1]
        r = injected[t].copy()
        r = np.where((r == 1.0) & (prev > split_above), triggered_ratio, r)
        r = np.where((r == 1.0) & (prev < _REVERSE_SPLIT_BELOW), _REVERSE_RATIO, r)
        ref[t] = prev / r
        pre = np.maximum(_cents(ref[t] * np.exp(log_ret[t])), _MIN_PRICE)
        pays = payer & ((t_index[t] - phase) % _QUARTER == 0) & (r == 1.0) & (pre >= _MIN_DIVIDEND_PRICE)
        d = np.where(pays, np.maximum(_cents(quarterly_yield * pre), 0.01), 0.0)
        close[t] = np.where(pays, _cents(pre - d), pre)
        ratio[t], dividend[t] = r, d

    # OHLC around the body, all in cents, consistent by construction. The open is the gap part of the
    # same log-return that made the close (ex-dividend on an ex-date, like the close).
    ex_div = np.where(dividend > 0, close / (close + dividend), 1.0)
    open_ = np.maximum(_cents(ref * np.exp(gap) * ex_div), _MIN_PRICE)
    open_[0] = _cents(
        p0 * np.exp(-intraday[0])
    )  # the first close is p0: its open is one intraday move earlier
    body_hi, body_lo = np.maximum(open_, close), np.minimum(open_, close)
    high = np.maximum(_cents(body_hi * np.exp(wick_hi)), body_hi)
    low = np.maximum(np.minimum(_cents(body_lo * np.exp(-wick_lo)), body_lo), 0.01)
    shares = np.cumprod(ratio, axis=0)  # volume scales with the share count
    move = np.abs(log_ret)
    volume = np.maximum(np.rint(base_volume * shares * np.exp(volume_noise) * (1.0 + 20.0 * move)), 1.0)

    # adj_close: the source's back-adjustment (same expressions as corpactions.normalise).
    mult = np.where(ratio != 1.0, ratio, np.where(dividend > 0, 1.0 + dividend / close, 1.0))
    later = np.ones((n_t, n))
    later[:-1] = np.cumprod(mult[::-1], axis=0)[::-1][1:]
    adj_close = close / later

    prices = _prices_table(sessions.dates, n, open_, high, low, close, volume.astype(np.int64), adj_close)
    actions = _actions_table(sessions.dates, n, ratio, dividend)
    return SyntheticUniverse(prices, actions, sessions, n, years, seed, calendar)


def symbol_names(n: int) -> list[str]:
    """``SYN0000`` ... in sort order (zero-padded to a common width)."""
    width = max(4, len(str(n - 1)))
    return [f"{SYMBOL_PREFIX}{i:0{width}d}" for i in range(n)]


def _symbol_column(n: int, n_t: int) -> pa.Array:
    codes = pa.array(np.repeat(np.arange(n, dtype=np.int32), n_t))
    return pa.DictionaryArray.from_arrays(codes, pa.array(symbol_names(n))).cast(pa.string())


def _prices_table(dates: np.ndarray, n: int, *matrices: np.ndarray) -> pa.Table:
    n_t = len(dates)
    columns = [_symbol_column(n, n_t), pa.array(np.tile(dates, n), type=pa.date32())]
    # (sessions x symbols) -> symbol-major rows, i.e. sorted by (symbol, date).
    columns += [pa.array(np.ascontiguousarray(m.T).reshape(-1)) for m in matrices]
    table = pa.Table.from_arrays(columns, schema=PRICES_SCHEMA)
    return table.replace_schema_metadata(_METADATA)


def _actions_table(dates: np.ndarray, n: int, ratio: np.ndarray, dividend: np.ndarray) -> pa.Table:
    names = np.array(symbol_names(n))
    is_split, is_div = (ratio != 1.0).T, (dividend > 0).T  # symbol-major: sorted by (symbol, date)
    sym, t = np.nonzero(is_split | is_div)
    split = is_split[sym, t]
    table = pa.table(
        {
            "symbol": pa.array(names[sym].tolist(), pa.string()),
            "ex_date": pa.array(dates[t], pa.date32()),
            "kind": pa.array(np.where(split, "split", "dividend").tolist(), pa.string()),
            "split_ratio": pa.array(np.where(split, ratio.T[sym, t], np.nan), mask=~split),
            "dividend_usd": pa.array(np.where(split, np.nan, dividend.T[sym, t]), mask=split),
        },
        schema=ACTIONS_SCHEMA,
    )
    return table.replace_schema_metadata(_METADATA)
