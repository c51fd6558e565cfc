"""Reason codes carried by every rejection (DESIGN.md §3).

A rejection names exactly one code, so journals, CSV output and tests can
match on the code instead of substring-matching free text.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ReasonCode"]


class ReasonCode(StrEnum):
    """Why an order was refused. The value equals the name, so it serialises as-is."""

    KILL_SWITCH = "KILL_SWITCH"
    BREAKER_OPEN = "BREAKER_OPEN"
    INVALID_ORDER = "INVALID_ORDER"
    NO_REFERENCE_PRICE = "NO_REFERENCE_PRICE"
    STALE_REFERENCE = "STALE_REFERENCE"
    PRICE_BAND = "PRICE_BAND"
    MAX_ORDER_QTY = "MAX_ORDER_QTY"
    MAX_ORDER_NOTIONAL = "MAX_ORDER_NOTIONAL"
    MAX_POSITION_NOTIONAL = "MAX_POSITION_NOTIONAL"
    MAX_GROSS_EXPOSURE = "MAX_GROSS_EXPOSURE"
    MAX_DAILY_NOTIONAL = "MAX_DAILY_NOTIONAL"
    MAX_SESSION_ORDERS = "MAX_SESSION_ORDERS"
    RATE_LIMIT = "RATE_LIMIT"
    DUPLICATE_ORDER = "DUPLICATE_ORDER"
    REDUCE_ONLY = "REDUCE_ONLY"
    SHORT_SALE = "SHORT_SALE"  # a sell larger than the position not yet committed to open sells
