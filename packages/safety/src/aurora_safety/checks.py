"""Pure pre-trade limit checks: each returns a ``Rejection`` or None.

Every comparison is written so that NaN fails closed (``not (x <= limit)``),
and every argument, limits included, must be a finite real number: a check
that cannot evaluate its inputs rejects with its own reason code, carrying
the raw inputs. A limit equal to the value passes: ``max_*`` is the largest
allowed value.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Collection
from numbers import Integral, Real
from typing import TypeGuard

from aurora_safety.events import Rejection, Value
from aurora_safety.reasons import ReasonCode
from aurora_safety.ticks import tick_size

__all__ = [
    "SIDES",
    "check_daily_notional",
    "check_gross_exposure",
    "check_order_notional",
    "check_order_qty",
    "check_position_notional",
    "check_price_band",
    "check_reference",
    "check_short_sale",
    "check_valid",
]

SIDES = frozenset({"BUY", "SELL"})
"""Accepted order sides (compared case-insensitively)."""

_NS_PER_SEC = 1_000_000_000
_FLOAT_MAX = sys.float_info.max


def _real(x: object) -> TypeGuard[float]:
    """A finite real number, not a bool, within the float range (an integer beyond it
    would make mixed arithmetic raise OverflowError: a crash instead of a rejection)."""
    if type(x) is float:  # fast paths: ABC isinstance checks cost ~1 us
        return math.isfinite(x)
    if _is_int(x):
        return True
    if not isinstance(x, Real) or isinstance(x, bool):
        return False
    try:
        return math.isfinite(x)
    except OverflowError:  # a Fraction beyond the float range
        return False


def _product(a: float, b: float) -> float:
    """``a x b``, inf when the integer operand is beyond the float range (fails the limit)."""
    try:
        return a * b
    except OverflowError:
        return math.inf


def _is_int(x: object) -> TypeGuard[int]:
    """An integer (not a bool) within the float range."""
    if type(x) is int:
        return -_FLOAT_MAX <= x <= _FLOAT_MAX
    return isinstance(x, Integral) and not isinstance(x, bool) and -_FLOAT_MAX <= int(x) <= _FLOAT_MAX


def _positive_int(x: object) -> bool:
    """An integer > 0 that is not a bool (numpy integers included)."""
    if type(x) is int:
        return x > 0
    return isinstance(x, Integral) and not isinstance(x, bool) and int(x) > 0


def _v(x: object) -> Value:
    """A value a Rejection can carry: numbers as-is, anything else as its repr."""
    if isinstance(x, bool) or not isinstance(x, int | float | str):
        if isinstance(x, Real) and not isinstance(x, bool):
            try:
                return float(x)  # numpy scalars and friends
            except OverflowError:
                pass
        return repr(x)
    return x


def _all_real(*xs: object) -> bool:
    return all(map(_real, xs))  # map, not a generator expression: no frame per item


def check_valid(
    quantity: object,
    price: object,
    symbol: object,
    side: object,
    known_symbols: Collection[str],
) -> Rejection | None:
    """INVALID_ORDER unless quantity is an integer > 0, price finite > 0, symbol and side known."""
    if not _positive_int(quantity):
        return Rejection.of(ReasonCode.INVALID_ORDER, quantity=_v(quantity), expected="integer > 0")
    if not _real(price) or not price > 0:
        return Rejection.of(ReasonCode.INVALID_ORDER, price=_v(price), expected="finite number > 0")
    if not isinstance(symbol, str) or symbol not in known_symbols:
        return Rejection.of(ReasonCode.INVALID_ORDER, symbol=_v(symbol), expected="known symbol")
    if not isinstance(side, str) or (side not in SIDES and side.upper() not in SIDES):
        return Rejection.of(ReasonCode.INVALID_ORDER, side=_v(side), expected="BUY or SELL")
    return None


def check_short_sale(position_qty: int, open_sell_qty: int, quantity: int) -> Rejection | None:
    """SHORT_SALE if a sell of ``quantity`` could leave a long-only book short.

    Only shares held and not yet committed to open sells may be sold (open
    buys may never fill). Non-integers or negative open sells fail closed.
    """
    if (
        _is_int(position_qty)
        and _is_int(open_sell_qty)
        and _is_int(quantity)
        and open_sell_qty >= 0
        and quantity <= position_qty - open_sell_qty
    ):
        return None
    return Rejection.of(
        ReasonCode.SHORT_SALE,
        position_qty=_v(position_qty),
        open_sell_qty=_v(open_sell_qty),
        quantity=_v(quantity),
    )


def check_reference(
    ref_price: float | None,
    ref_ts_ns: int | None,
    now_ns: int,
    stale_after_secs: float,
) -> Rejection | None:
    """NO_REFERENCE_PRICE if missing/non-finite/non-positive; STALE_REFERENCE if too old.

    A reference stamped after ``now_ns`` is also STALE_REFERENCE: clocks that
    disagree mean the price cannot be trusted.
    """
    if not _real(ref_price) or not ref_price > 0:
        return Rejection.of(ReasonCode.NO_REFERENCE_PRICE, reference_price=_v(ref_price))
    if not _is_int(ref_ts_ns):
        return Rejection.of(ReasonCode.NO_REFERENCE_PRICE, reference_ts_ns=_v(ref_ts_ns))
    if not _is_int(now_ns) or not _real(stale_after_secs) or not stale_after_secs > 0:
        return Rejection.of(
            ReasonCode.STALE_REFERENCE,
            stale_after_secs=_v(stale_after_secs),
            now_ns=_v(now_ns),
        )
    age_ns = int(now_ns) - int(ref_ts_ns)
    if age_ns < 0 or not age_ns <= stale_after_secs * _NS_PER_SEC:
        return Rejection.of(
            ReasonCode.STALE_REFERENCE,
            stale_after_secs=_v(stale_after_secs),
            age_secs=age_ns / _NS_PER_SEC,
        )
    return None


def check_price_band(limit_price: float, reference_price: float, band_bps: float) -> Rejection | None:
    """PRICE_BAND if the raw limit is over ``band_bps`` and over one tick (``tick_size``) off the reference."""
    if not _all_real(limit_price, reference_price, band_bps) or not (
        limit_price > 0 and reference_price > 0 and band_bps > 0
    ):
        return Rejection.of(
            ReasonCode.PRICE_BAND,
            price_band_bps=_v(band_bps),
            limit_price=_v(limit_price),
            reference_price=_v(reference_price),
        )
    # compared without dividing, so a price exactly on the band edge passes
    gap = abs(limit_price - reference_price)
    if not (gap * 10_000.0 <= band_bps * reference_price or gap <= tick_size(reference_price) * (1 + 1e-9)):  # pragma: no mutate  # fmt: skip
        deviation_bps = gap / reference_price * 10_000.0
        return Rejection.of(
            ReasonCode.PRICE_BAND,
            price_band_bps=_v(band_bps),
            deviation_bps=deviation_bps,
            limit_price=_v(limit_price),
            reference_price=_v(reference_price),
        )
    return None


def check_order_qty(quantity: int, max_order_qty_shares: int) -> Rejection | None:
    """MAX_ORDER_QTY if the order's share count exceeds the limit."""
    if not (_all_real(quantity, max_order_qty_shares) and quantity <= max_order_qty_shares):
        return Rejection.of(
            ReasonCode.MAX_ORDER_QTY,
            max_order_qty_shares=_v(max_order_qty_shares),
            quantity=_v(quantity),
        )
    return None


def check_order_notional(quantity: int, price: float, max_order_notional_usd: float) -> Rejection | None:
    """MAX_ORDER_NOTIONAL if ``|quantity| x price`` exceeds the limit."""
    if not _all_real(quantity, price, max_order_notional_usd):
        return Rejection.of(
            ReasonCode.MAX_ORDER_NOTIONAL,
            max_order_notional_usd=_v(max_order_notional_usd),
            quantity=_v(quantity),
            price=_v(price),
        )
    notional = abs(quantity * price)
    if not notional <= max_order_notional_usd:
        return Rejection.of(
            ReasonCode.MAX_ORDER_NOTIONAL,
            max_order_notional_usd=_v(max_order_notional_usd),
            notional=float(notional),
        )
    return None


def check_position_notional(
    current_position_qty: int,
    order_signed_qty: int,
    price: float,
    max_position_notional_usd: float,
) -> Rejection | None:
    """MAX_POSITION_NOTIONAL if the resulting position is over the limit and larger than now.

    An order that shrinks the absolute position always passes, even while
    the position is still over the limit (a price rise must not trap it).
    """
    args = (current_position_qty, order_signed_qty, price, max_position_notional_usd)
    if not _all_real(*args) or not price > 0:
        return Rejection.of(
            ReasonCode.MAX_POSITION_NOTIONAL,
            max_position_notional_usd=_v(max_position_notional_usd),
            position_qty=_v(current_position_qty),
            order_qty=_v(order_signed_qty),
            price=_v(price),
        )
    new_qty = current_position_qty + order_signed_qty
    if abs(new_qty) <= abs(current_position_qty):
        return None
    notional = _product(abs(new_qty), price)
    if not notional <= max_position_notional_usd:
        return Rejection.of(
            ReasonCode.MAX_POSITION_NOTIONAL,
            max_position_notional_usd=_v(max_position_notional_usd),
            position_notional=notional,
            position_qty=_v(new_qty),
        )
    return None


def _check_total(
    reason: ReasonCode,
    limit_name: str,
    total_name: str,
    used: float,
    added: float,
    limit: float,
) -> Rejection | None:
    if not (_all_real(used, added, limit) and used >= 0):
        return Rejection.of(reason, **{limit_name: _v(limit), "used": _v(used), "added": _v(added)})
    if added <= 0:
        return None  # nothing added, or exposure shrinks: never blocked
    total = used + added
    if not total <= limit:
        values = {limit_name: _v(limit), total_name: float(total), "used": _v(used), "added": _v(added)}
        return Rejection.of(reason, **values)
    return None


def check_gross_exposure(
    current_gross_usd: float, added_usd: float, max_gross_exposure_usd: float
) -> Rejection | None:
    """MAX_GROSS_EXPOSURE if gross exposure after the order exceeds the limit."""
    return _check_total(
        ReasonCode.MAX_GROSS_EXPOSURE,
        "max_gross_exposure_usd",
        "gross_exposure",
        current_gross_usd,
        added_usd,
        max_gross_exposure_usd,
    )


def check_daily_notional(
    used_usd: float, added_usd: float, max_daily_notional_usd: float
) -> Rejection | None:
    """MAX_DAILY_NOTIONAL if notional traded this session, this order included, exceeds it."""
    return _check_total(
        ReasonCode.MAX_DAILY_NOTIONAL,
        "max_daily_notional_usd",
        "daily_notional",
        used_usd,
        added_usd,
        max_daily_notional_usd,
    )
