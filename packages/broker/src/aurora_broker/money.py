"""Money: cash in integer cents, prices as the raw floats of the data.

Every cash flow (fill, commission, dividend, cash in lieu) is computed
exactly in ``Decimal`` from the float's shortest repr (``123.45`` is exactly
123.45, not 123.4500000000000028…) and rounded once, half-even, to a whole
cent when it is posted. Cash is therefore an exact integer, the ledger sums
exactly, and equity = cash + round(Σ position × raw close) holds to the cent.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Context, Decimal

__all__ = ["cents_to_usd", "dec", "div", "mul", "to_cents", "usd_to_cents"]

# Enough digits for shares (int64) times a 17-significant-digit price, exactly.
_CTX = Context(prec=60)


def dec(x: float | int | str | Decimal) -> Decimal:
    """Exact decimal of a price or amount; floats go through their shortest repr."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"amount must be finite, was {x!r}")
        return Decimal(repr(x))
    return Decimal(x)


def to_cents(amount: Decimal) -> int:
    """Round an exact amount in USD to whole cents, half-even (banker's rounding)."""
    return int(_CTX.multiply(amount, Decimal(100)).to_integral_value(rounding=ROUND_HALF_EVEN))


def mul(a: Decimal, b: Decimal) -> Decimal:
    """Exact product (the default context would round past 28 digits)."""
    return _CTX.multiply(a, b)


def div(a: Decimal, b: Decimal) -> Decimal:
    """Quotient to 60 significant digits (split-adjusted prices)."""
    return _CTX.divide(a, b)


def usd_to_cents(x: float | int | str | Decimal) -> int:
    """Whole cents of an amount; alias of ``to_cents(dec(x))``."""
    return to_cents(dec(x))


def cents_to_usd(cents: int) -> Decimal:
    """Exact USD value of an integer number of cents."""
    return Decimal(cents).scaleb(-2)
