"""The US equity price grid (Reg NMS Rule 612): $0.01 at or above $1, $0.0001 below.

Limit prices are computed on this grid, and the price band never asks for
less than one tick of room: at $0.0005 a 10 % band is a fifth of a tick, so
without that floor no price on the grid could pass it.
Prices are handled as integer counts of the finest tick (1e-4 USD) so that
rounding never depends on binary float residue.
"""

from __future__ import annotations

import math

__all__ = ["DOLLAR", "SUB_DOLLAR_TICK_USD", "TICK_USD", "on_tick_grid", "round_to_tick", "tick_size"]

TICK_USD = 0.01  # USD, prices at or above DOLLAR
SUB_DOLLAR_TICK_USD = 0.0001  # USD, prices below DOLLAR
DOLLAR = 1.0
_UNITS_PER_USD = 10_000  # finest ticks per dollar
_CENT_UNITS = 100  # finest ticks per cent
_EPS = 1e-6  # in finest ticks: float residue of a price that is on the grid


def tick_size(price: float) -> float:
    """The grid step at ``price``: a cent at or above $1, a hundredth of a cent below."""
    return TICK_USD if price >= DOLLAR else SUB_DOLLAR_TICK_USD


def round_to_tick(price: float, *, up: bool) -> float:
    """``price`` rounded to the grid, up (ceiling) or down (floor); 0.0 when below one tick down.

    The grid at the result decides the step: a value in [$1, $1.01) rounded down is $1.00,
    a value just under $1 rounded up may land on $1.0000, which is on both grids.
    """
    if not math.isfinite(price) or price <= 0.0:
        raise ValueError(f"'price' must be a finite number > 0, was {price!r}")
    units = price * _UNITS_PER_USD
    step = _CENT_UNITS if price >= DOLLAR else 1
    if up:
        ticks = math.ceil(units / step - _EPS / step)
    else:
        ticks = math.floor(units / step + _EPS / step)
    return round(ticks * step / _UNITS_PER_USD, 4)


def on_tick_grid(price: float) -> bool:
    """True when ``price`` is a multiple of its own tick (float residue tolerated)."""
    if not math.isfinite(price) or price <= 0.0:
        return False
    units = price * _UNITS_PER_USD
    step = _CENT_UNITS if price >= DOLLAR else 1
    return abs(units / step - round(units / step)) <= _EPS
