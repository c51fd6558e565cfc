"""Immutable messages between the router, the broker and the run loop.

``SubmitOrder`` is a command; ``Order``, ``Fill`` and ``Account`` are
snapshots of state. A command is not validated on construction: validity is
a pre-trade check that answers with an INVALID_ORDER rejection value, so a
bad row in ORDERS.csv becomes a result, not a traceback.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from aurora_broker.money import cents_to_usd, dec, mul
from aurora_safety import Rejection

__all__ = [
    "Account",
    "Bar",
    "Fill",
    "MassStatus",
    "Order",
    "OrderStatus",
    "Position",
    "SessionBars",
    "Side",
    "SubmitOrder",
    "session_closes",
]


class Side(StrEnum):
    """Order side; ``sign`` turns a quantity into a signed position change."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1


class OrderStatus(StrEnum):
    """Life cycle of a day order that has exactly one fill opportunity.

    PARTIALLY_FILLED is final here: part filled at the next open and the
    remainder expired with it (the events say both).
    """

    NEW = "NEW"
    ACCEPTED = "ACCEPTED"
    FILLED = "FILLED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"

    @property
    def is_open(self) -> bool:
        """True while the order may still fill (and counts as in-flight exposure)."""
        return self in (OrderStatus.NEW, OrderStatus.ACCEPTED)


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitOrder:
    """Place a limit day order created at ``session``; it may fill at the next session's open.

    ``strategy`` is set for orders from decisions: with ``session`` and
    ``symbol`` it forms the decision key; hand-written orders leave it None.
    """

    client_order_id: str
    symbol: str
    side: Side
    quantity: int
    limit_price: float
    session: date
    strategy: str | None = None

    def __post_init__(self) -> None:
        # Accept "buy"/"Sell" from callers; anything else stays as given for check_valid.
        if not isinstance(self.side, Side) and isinstance(self.side, str):
            upper = self.side.strip().upper()
            if upper in Side.__members__:
                object.__setattr__(self, "side", Side(upper))

    @property
    def decision_key(self) -> tuple[str, date, str] | None:
        return None if self.strategy is None else (self.strategy, self.session, self.symbol)

    @property
    def notional_usd(self) -> float:
        """Most the order can trade for: quantity × limit price."""
        return self.quantity * self.limit_price


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    """Current state of one order; quantity and limit price are split-adjusted."""

    client_order_id: str
    symbol: str
    side: Side
    quantity: int
    limit_price: float
    session: date
    status: OrderStatus
    filled_quantity: int = 0
    strategy: str | None = None
    rejection: Rejection | None = None

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.filled_quantity if self.status.is_open else 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Fill:
    """One execution. ``gross_cents`` and ``commission_cents`` are what cash moved by."""

    fill_id: str
    client_order_id: str
    symbol: str
    side: Side
    quantity: int
    price: float
    gross_cents: int
    commission_cents: int
    session: date

    @property
    def cash_delta_cents(self) -> int:
        """Signed effect on cash: buys pay gross plus commission, sells receive gross minus it."""
        return -self.side.sign * self.gross_cents - self.commission_cents


@dataclass(frozen=True, slots=True)
class Bar:
    """One session's raw OHLCV for a symbol; a broken bar is a broken contract (ValueError)."""

    open: float
    high: float
    low: float
    close: float
    volume: float

    def __post_init__(self) -> None:
        for name in ("open", "high", "low", "close"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"'Bar.{name}' must be a finite number > 0, was {value!r}")
        if not (isinstance(self.volume, int | float) and math.isfinite(self.volume) and self.volume >= 0):
            raise ValueError(f"'Bar.volume' must be a finite number >= 0, was {self.volume!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Position:
    """Shares held (negative = short) and the raw price they were last marked at."""

    symbol: str
    quantity: int
    mark_price: float | None

    @property
    def market_value_usd(self) -> Decimal:
        """Exact quantity × mark (not rounded: the account rounds the sum once)."""
        return Decimal(0) if self.mark_price is None else mul(Decimal(self.quantity), dec(self.mark_price))


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """Cash, marked positions and equity; equity_cents = cash_cents + market_value_cents exactly."""

    cash_cents: int
    market_value_cents: int
    positions: tuple[Position, ...]
    session: date | None = None

    @property
    def equity_cents(self) -> int:
        return self.cash_cents + self.market_value_cents

    @property
    def cash_usd(self) -> Decimal:
        return cents_to_usd(self.cash_cents)

    @property
    def equity_usd(self) -> Decimal:
        return cents_to_usd(self.equity_cents)

    def position(self, symbol: str) -> int:
        """Shares held in ``symbol`` (0 when flat)."""
        for position in self.positions:
            if position.symbol == symbol:
                return position.quantity
        return 0


@dataclass(frozen=True, slots=True, kw_only=True)
class MassStatus:
    """Everything a broker says it holds, in one answer: what reconciliation compares the journal with.

    Real brokers offer the same in one call or a few (IB syncs positions, open
    orders and executions on connect; Alpaca lists positions, open orders and
    the account). ``as_of`` is the last session the broker has processed.
    """

    as_of: date | None
    positions: tuple[Position, ...]  # non-zero positions, by symbol
    open_orders: tuple[Order, ...]  # in submission order
    cash_cents: int


class FloatColumn(Protocol):
    """A column of numbers read by position: a list, a tuple or a NumPy array (no import of NumPy here)."""

    def __getitem__(self, index: int, /) -> Any: ...

    def __len__(self) -> int: ...


class SessionBars(Mapping[str, Bar]):
    """One session's bars held as columns; a ``Bar`` is built only for a symbol that is asked for.

    A universe of 2,000 symbols has 2,000 bars a session, of which a day's
    trading touches a handful (held positions, open orders, targets): building
    and validating every ``Bar`` object cost more than the session itself.
    ``closes`` gives every close at once for marks and reference prices.
    """

    __slots__ = ("_close", "_high", "_index", "_low", "_open", "_symbols", "_volume")

    def __init__(
        self,
        symbols: Sequence[str],
        open_: FloatColumn,
        high: FloatColumn,
        low: FloatColumn,
        close: FloatColumn,
        volume: FloatColumn,
    ) -> None:
        self._symbols = symbols  # kept as given, not copied: a run's sessions share one column's slices
        self._index: dict[str, int] | None = None  # built on the first lookup (see ``_positions``)
        self._open, self._high, self._low, self._close, self._volume = open_, high, low, close, volume

    def _positions(self) -> dict[str, int]:
        """Each symbol's row. Built when first asked, not with the session: a run builds every
        session of its window before trading the first, and 1,762 sessions x 2,000 symbols of
        dictionaries held 230 MB at once (2,000 SYNTHETIC symbols x 10 years)."""
        if self._index is None:
            self._index = {symbol: i for i, symbol in enumerate(self._symbols)}
        return self._index

    def __getitem__(self, symbol: str) -> Bar:
        i = self._positions()[symbol]
        return Bar(
            open=float(self._open[i]),
            high=float(self._high[i]),
            low=float(self._low[i]),
            close=float(self._close[i]),
            volume=float(self._volume[i]),
        )

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._positions()

    def __iter__(self) -> Iterator[str]:
        return iter(self._symbols)

    def __len__(self) -> int:
        return len(self._symbols)

    def closes(self) -> dict[str, float]:
        """Every symbol's raw close this session."""
        close = self._close
        tolist = getattr(close, "tolist", None)  # a NumPy array converts in one call
        values = tolist() if tolist is not None else [close[i] for i in range(len(close))]
        return dict(zip(self._symbols, values, strict=True))


def session_closes(bars: Mapping[str, Bar]) -> dict[str, float]:
    """The closes of a session's bars, columnar (``SessionBars``) or a plain mapping."""
    if isinstance(bars, SessionBars):
        return bars.closes()
    return {symbol: bar.close for symbol, bar in bars.items()}
