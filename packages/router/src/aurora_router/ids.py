"""Deterministic client order ids derived from the decision key and the leg.

Same (strategy, session, symbol, leg) => same id, in every process and on
every resume, so a re-sent order is recognised instead of placed twice. The
readable prefix helps operators; the hash makes ids unique even when parts
contain the separator.
"""

from __future__ import annotations

import hashlib
from datetime import date

__all__ = ["client_order_id"]

_HASH_HEX = 8


def client_order_id(strategy: str, session: date, symbol: str, leg: int | str = 0) -> str:
    """``xs_momo_v1-20120103-AAPL-0-1a2b3c4d``: prefix plus 8 hex of sha256 of the full key."""
    if not isinstance(strategy, str) or not strategy:
        raise ValueError(f"'strategy' must be a non-empty string, was {strategy!r}")
    if not isinstance(symbol, str) or not symbol:
        raise ValueError(f"'symbol' must be a non-empty string, was {symbol!r}")
    if not isinstance(session, date):
        raise ValueError(f"'session' must be a date, was {session!r}")
    if isinstance(leg, bool) or not ((isinstance(leg, int) and leg >= 0) or (isinstance(leg, str) and leg)):
        raise ValueError(f"'leg' must be an integer >= 0 or a non-empty string, was {leg!r}")
    # The key is length-prefixed so ("a-b", "c") and ("a", "b-c") cannot collide.
    parts = (strategy, session.isoformat(), symbol, str(leg))
    key = "\x1f".join(f"{len(p)}:{p}" for p in parts).encode("utf-8")
    digest = hashlib.sha256(key).hexdigest()[:_HASH_HEX]
    return f"{strategy}-{session:%Y%m%d}-{symbol}-{leg}-{digest}"
