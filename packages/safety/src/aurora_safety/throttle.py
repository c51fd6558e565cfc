"""Message throttle (token bucket) and per-session order counter.

The bucket keeps its credit as an exact integer (nano-tokens) refilled with
integer arithmetic from the rate's exact binary fraction, so it can never
admit more than ``capacity + rate x elapsed``, not even by a rounding error.
It only mints credit when the monotonic clock passes its previous high-water
mark: a clock that jumps backwards mints nothing, and the bucket stays
conservative until the clock has caught up again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Mapping
from datetime import date
from fractions import Fraction
from typing import Any

from aurora_safety.clock import Clock, SystemClock
from aurora_safety.events import Rejection
from aurora_safety.reasons import ReasonCode

__all__ = ["SessionOrderCounter", "TokenBucket"]

_NANO = 1_000_000_000


def _check_n(n: object) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ValueError(f"'n' must be an integer > 0, was {n!r}")


class TokenBucket:
    """``capacity`` tokens at most, refilled at ``refill_per_sec``; starts full.

    Submits use ``try_acquire``; cancels, which must never be blocked but do
    count as messages, use ``record`` (it may drive the balance negative, so
    a cancel storm delays the next submits instead of being refused).
    """

    __slots__ = ("_capacity_nt", "_clock", "_credit_nt", "_den", "_high_ns", "_now_ns", "_num", "_rem")

    def __init__(self, capacity: int, refill_per_sec: float, clock: Clock) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity <= 0:
            raise ValueError(f"'capacity' must be an integer > 0, was {capacity!r}")
        if (
            isinstance(refill_per_sec, bool)
            or not isinstance(refill_per_sec, int | float)
            or not math.isfinite(refill_per_sec)
            or refill_per_sec <= 0
        ):
            raise ValueError(f"'refill_per_sec' must be a finite number > 0, was {refill_per_sec!r}")
        rate = Fraction(refill_per_sec)  # exact: nano-tokens per ns == tokens per sec
        self._num, self._den = rate.numerator, rate.denominator
        self._rem = 0  # fractional nano-tokens carried between refills (numerator units)
        self._capacity_nt = capacity * _NANO
        self._credit_nt = self._capacity_nt
        self._clock = clock
        # bound once (the system clock's own function: no wrapper call per message)
        self._now_ns = time.monotonic_ns if type(clock) is SystemClock else clock.monotonic_ns
        self._high_ns = clock.monotonic_ns()

    @property
    def capacity(self) -> int:
        return self._capacity_nt // _NANO

    @property
    def tokens(self) -> float:
        """Current balance (after refilling), for status displays; may be negative."""
        self._refill()
        return self._credit_nt / _NANO

    def _refill(self) -> None:
        now = self._now_ns()
        if now <= self._high_ns:
            return  # no time passed, or the clock went backwards: mint nothing
        self._mint(now)

    def _mint(self, now: int) -> None:
        total = (now - self._high_ns) * self._num + self._rem
        self._high_ns = now
        minted, self._rem = divmod(total, self._den)
        self._credit_nt += minted
        if self._credit_nt >= self._capacity_nt:
            self._credit_nt = self._capacity_nt
            self._rem = 0

    def try_acquire(self, n: int = 1) -> bool:
        """Take ``n`` tokens if all are available; otherwise take none and return False."""
        _check_n(n)
        self._refill()
        need = n * _NANO
        if self._credit_nt < need:
            return False
        self._credit_nt -= need
        return True

    def acquire_one(self) -> bool:
        """``try_acquire(1)``, for the router's per-order call: the refill inlined, one clock
        reading, no ``divmod`` for a whole-number rate, nothing the GC tracks."""
        now = self._now_ns()
        credit = self._credit_nt
        if now > self._high_ns:  # else no time passed, or the clock went backwards: mint nothing
            if self._den == 1:  # a whole number of tokens per second: no remainder to carry
                credit += (now - self._high_ns) * self._num
            else:
                minted, self._rem = divmod((now - self._high_ns) * self._num + self._rem, self._den)
                credit += minted
            self._high_ns = now
            if credit >= self._capacity_nt:
                credit = self._capacity_nt
                self._rem = 0
        if credit < _NANO:
            self._credit_nt = credit
            return False
        self._credit_nt = credit - _NANO
        return True

    def record(self, n: int = 1) -> None:
        """Count ``n`` messages that must pass anyway (cancels); the balance may go negative."""
        _check_n(n)
        self._refill()
        self._credit_nt -= n * _NANO

    def rejection(self) -> Rejection:
        """The RATE_LIMIT rejection for a submit that ``try_acquire`` refused."""
        return Rejection.of(
            ReasonCode.RATE_LIMIT,
            message_burst=self.capacity,
            max_messages_per_sec=self._num / self._den,
            tokens=self._credit_nt / _NANO,
        )


class SessionOrderCounter:
    """Accepted orders per trading session (keyed by the event-time session, not wall time).

    An order counts the moment it is accepted, in-flight ones included.
    Counts are keyed by ``str(session)`` (a date and its ISO text are one
    session); the text of a ``date`` is remembered, as ``str(date)`` costs
    about 1 µs and ``check`` runs before every order.
    """

    __slots__ = ("_counts", "_keys", "_max")

    def __init__(self, max_orders: int) -> None:
        if isinstance(max_orders, bool) or not isinstance(max_orders, int) or max_orders <= 0:
            raise ValueError(f"'max_orders' must be an integer > 0, was {max_orders!r}")
        self._max = max_orders
        self._counts: dict[str, int] = {}
        self._keys: dict[date, str] = {}

    @property
    def max_orders(self) -> int:
        return self._max

    def _key(self, session: Hashable) -> str:
        if type(session) is not date:  # datetimes and anything else: no memo
            return str(session)
        key = self._keys.get(session)
        if key is None:
            key = self._keys[session] = str(session)
        return key

    def count(self, session: Hashable) -> int:
        if type(session) is date:  # the memo inlined: this runs before every order
            key = self._keys.get(session)
            if key is not None:
                return self._counts.get(key, 0)
        return self._counts.get(self._key(session), 0)

    def check(self, session: Hashable) -> Rejection | None:
        """MAX_SESSION_ORDERS if one more order would exceed the limit; counts nothing."""
        used = self.count(session)
        if used + 1 > self._max:
            return Rejection.of(
                ReasonCode.MAX_SESSION_ORDERS,
                max_session_orders=self._max,
                session_orders=used,
                session=str(session),
            )
        return None

    def count_order(self, session: Hashable) -> Rejection | None:
        """Count one accepted order, or return the rejection and count nothing."""
        rejection = self.check(session)
        if rejection is None:
            key = self._key(session)
            self._counts[key] = self._counts.get(key, 0) + 1
        return rejection

    def to_dict(self) -> dict[str, Any]:
        return {"max_orders": self._max, "counts": dict(sorted(self._counts.items()))}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionOrderCounter:
        counter = cls(data["max_orders"])
        for key, value in dict(data["counts"]).items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"'counts.{key}' must be an integer >= 0, was {value!r}")
            counter._counts[str(key)] = value
        return counter
