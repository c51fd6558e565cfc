"""Corporate actions on the ex-date: splits rescale positions and open orders, dividends pay cash.

Policy (DESIGN.md §3, raw prices everywhere in the broker):
- A split with ``ratio`` new shares per old share applies before the
  ex-date's open, so an order placed before it meets a post-split open with a
  post-split quantity and limit. Positions become ``position × ratio``
  truncated toward zero; the fractional share is paid as cash at the
  ex-date's raw close (cash in lieu, rounded to the cent). Open orders become
  ``floor(quantity × ratio)`` shares at ``limit / ratio``; an order left with
  no whole share expires.
- A cash dividend is credited on its ex-date for every share held at the
  previous close (split-adjusted if a split shares the ex-date, as the source
  quotes dividends in ex-date shares); shorts pay it. Fills of the ex-date
  itself do not earn it.
- A delisting (the symbol's bars stop: its last bar is before this session
  and it has none after) settles the position in cash at its last mark (the
  last raw close), before the session's open, and expires its open orders:
  a run never holds a position it could not sell, and the cash is booked as
  ``DELISTING`` in the ledger so the report can say so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from aurora_broker.money import dec, div, mul

__all__ = ["CashDividend", "CorporateAction", "Delisting", "Split", "split_order", "split_position"]


def _positive(owner: str, name: str, value: object) -> None:
    if not (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    ):
        raise ValueError(f"'{owner}.{name}' must be a finite number > 0, was {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Split:
    """``ratio`` new shares for each old share from ``ex_date`` (2.0 = 2-for-1, 0.5 = 1-for-2)."""

    symbol: str
    ex_date: date
    ratio: float

    def __post_init__(self) -> None:
        _positive("Split", "ratio", self.ratio)


@dataclass(frozen=True, slots=True, kw_only=True)
class CashDividend:
    """``amount_per_share_usd`` paid per share held at the close before ``ex_date``."""

    symbol: str
    ex_date: date
    amount_per_share_usd: float

    def __post_init__(self) -> None:
        _positive("CashDividend", "amount_per_share_usd", self.amount_per_share_usd)


@dataclass(frozen=True, slots=True, kw_only=True)
class Delisting:
    """``symbol`` stopped trading: ``ex_date`` is the first session after its last bar."""

    symbol: str
    ex_date: date


CorporateAction = Split | CashDividend | Delisting


def split_position(quantity: int, ratio: float) -> tuple[int, Decimal]:
    """Whole shares after the split (toward zero) and the signed fractional remainder."""
    exact = mul(Decimal(quantity), dec(float(ratio)))
    whole = int(exact)  # int() truncates toward zero for Decimal
    return whole, exact - whole


def split_order(quantity: int, limit_price: float, ratio: float) -> tuple[int, float]:
    """Open-order quantity rounded down to whole shares, and the limit divided by the ratio."""
    r = dec(float(ratio))
    new_qty = int(mul(Decimal(quantity), r).to_integral_value(rounding=ROUND_FLOOR))
    return new_qty, float(div(dec(float(limit_price)), r))
