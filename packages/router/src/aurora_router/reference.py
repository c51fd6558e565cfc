"""Reference prices: the raw price and event time each symbol is checked against.

The universe is fixed at construction: a symbol outside it is INVALID_ORDER,
a symbol inside it without a price is NO_REFERENCE_PRICE. Prices are raw
(unadjusted), like limit prices, so a split day does not trip the band.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

__all__ = ["ReferenceBook"]


class ReferenceBook:
    """Latest raw reference price and its event timestamp (UTC ns) per symbol."""

    __slots__ = ("_prices", "_symbols", "_view", "version")

    def __init__(self, symbols: Iterable[str]) -> None:
        self._symbols = frozenset(symbols)
        self._prices: dict[str, tuple[float, int]] = {}
        self._view = MappingProxyType(self._prices)
        self.version = 0
        """Bumped by every update: the router re-values its gross exposure when it moves."""

    @property
    def symbols(self) -> frozenset[str]:
        return self._symbols

    def update(self, symbol: str, price: float, ts_ns: int) -> None:
        """Store a price; the checks judge its value and age, so any float is kept as given."""
        if symbol not in self._symbols:
            raise KeyError(f"symbol {symbol!r} is not in the reference universe")
        self._prices[symbol] = (price, ts_ns)
        self.version += 1

    def update_many(self, prices: Mapping[str, float], ts_ns: int) -> None:
        """Typically a session's raw closes, stamped with the session close (one bulk update)."""
        unknown = prices.keys() - self._symbols
        if unknown:
            raise KeyError(f"symbol {min(unknown)!r} is not in the reference universe")
        self._prices.update({symbol: (price, ts_ns) for symbol, price in prices.items()})
        self.version += len(prices)

    @property
    def prices(self) -> Mapping[str, tuple[float, int]]:
        """Live read-only view symbol -> (price, ts_ns), for hot loops."""
        return self._view

    def get(self, symbol: str) -> tuple[float, int] | None:
        return self._prices.get(symbol)

    def price(self, symbol: str) -> float | None:
        found = self._prices.get(symbol)
        return None if found is None else found[0]
