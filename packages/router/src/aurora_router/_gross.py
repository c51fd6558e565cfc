"""Worst-case gross exposure kept incrementally: the router reads it before every order.

Gross = sum over symbols of ``worst_abs x reference price`` (in-flight orders
included, see ``aurora_broker.SymbolExposure``). Summing it per order costs
O(symbols held); here each symbol's term is kept, and a change of one
symbol's exposure moves the total by that term's difference.

Terms are kept exactly (``worst_abs`` times the price's exact binary
fraction, as an integer over a power of two), so adding and removing them
never drifts: ``usd`` is the exact sum rounded once to a float, the same
float a from-scratch ``float(sum(Fraction(w) * Fraction(p)))`` gives, after
any sequence of changes. A symbol held without a usable price (missing,
non-finite or <= 0) makes the total ``inf``: unpriced exposure fails closed.

The broker owns exposures; this class only knows what it is told. It is told
by the router (``refresh`` after each accepted submit and each cancel) and
re-syncs from scratch in ``sync``; ``PreTrade`` decides when: a reference
price update, a session processed by the broker (fills, expiries, splits),
a new order session, or the order's own symbol changed behind the router's
back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from aurora_broker import SymbolExposure
from aurora_router.reference import ReferenceBook

__all__ = ["GrossExposure"]

_Term = tuple[int, int]  # exact value numerator / 2**shift
_ZERO: _Term = (0, 0)


def _term(worst_abs: int, price: object) -> _Term | None:
    """``worst_abs x price`` exactly, or None when the price cannot value the exposure."""
    if worst_abs == 0:
        return _ZERO
    if isinstance(price, int | float) and not isinstance(price, bool) and math.isfinite(price) and price > 0:
        numerator, denominator = price.as_integer_ratio()
        return worst_abs * numerator, denominator.bit_length() - 1
    return None


class GrossExposure:
    """The running gross exposure in USD of one broker's exposures at one book's prices."""

    __slots__ = (
        "_book",
        "_exposures",
        "_num",
        "_shift",
        "_terms",
        "_unpriced",
        "processed",
        "seen",
        "session",
        "usd",
        "version",
    )

    def __init__(self, exposures: Mapping[str, SymbolExposure], book: ReferenceBook) -> None:
        self._exposures = exposures
        self._book = book
        self._terms: dict[str, _Term] = {}
        self._unpriced: set[str] = set()
        self._num = 0
        self._shift = 0
        self.seen: dict[str, SymbolExposure] = {}
        """The exposure object of each symbol when its term was taken (the broker replaces, never mutates)."""
        self.session: object = None
        """The order session of the last sync: orders of a new session come after fills."""
        self.processed: object = None
        """The broker's last processed session at the last sync (None if it does not say)."""
        self.version = -1
        """The reference book's version at the last sync."""
        self.usd = 0.0
        """Gross exposure now: the exact sum of the terms rounded once; inf if anything is unpriced."""
        self.sync(None, None)

    def sync(self, session: object, processed: object) -> None:
        """Rebuild every term from the broker's exposures and the book's prices."""
        self._terms.clear()
        self._unpriced.clear()
        self.seen.clear()
        self._num = self._shift = 0
        self.version = self._book.version
        self.session = session
        self.processed = processed
        for symbol in list(self._exposures):
            self._take(symbol)
        self._settle()

    def refresh(self, symbol: str) -> None:
        """Retake one symbol's term after its exposure (or price) changed."""
        self._take(symbol)
        self._settle()

    def _take(self, symbol: str) -> None:
        exposure = self._exposures.get(symbol)
        old = self._terms.pop(symbol, None)
        if old is not None:
            self._add(old, -1)
        self._unpriced.discard(symbol)
        self.seen.pop(symbol, None)
        if exposure is not None:
            self.seen[symbol] = exposure
            found = self._book.prices.get(symbol)
            term = _term(exposure.worst_abs, None if found is None else found[0])
            if term is None:
                self._unpriced.add(symbol)
            elif term[0]:
                self._terms[symbol] = term
                self._add(term, 1)

    def _add(self, term: _Term, sign: int) -> None:
        numerator, shift = term
        if shift > self._shift:
            self._num <<= shift - self._shift
            self._shift = shift
        self._num += sign * (numerator << (self._shift - shift))

    def _settle(self) -> None:
        # int / int is correctly rounded in CPython: one rounding of the exact sum
        self.usd = math.inf if self._unpriced else self._num / (1 << self._shift)
