"""Immutable values and events: rejections, state changes, breaker trips and resets.

A refused order is a ``Rejection`` value (a reason code plus the numbers that
caused it), never an exception. Every ``as_dict`` is JSON-able and
deterministic so the journal can store it and tests can compare it exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from aurora_safety.reasons import ReasonCode

if TYPE_CHECKING:  # state.py imports this module; avoid the import cycle at runtime
    from aurora_safety.state import TradingState

__all__ = [
    "BreakerReset",
    "BreakerTripped",
    "Rejection",
    "StateChanged",
    "TransitionCause",
    "Value",
    "Values",
    "json_value",
]

Value = float | int | str
Values = tuple[tuple[str, Value], ...]


def json_value(value: Value) -> Value:
    """Return a strict-JSON value: non-finite floats become ``'nan'``/``'inf'``/``'-inf'``."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def _values_list(values: Values) -> list[list[Value]]:
    """``[[key, value], ...]``: keeps the order even when dumped with ``sort_keys``."""
    return [[key, json_value(value)] for key, value in values]


def _format_values(values: Values) -> str:
    return ", ".join(
        f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}" for key, value in values
    )


@dataclass(frozen=True, slots=True)
class Rejection:
    """An order refused for one reason, with the offending values in a fixed order."""

    reason: ReasonCode
    values: Values = ()

    @classmethod
    def of(cls, reason: ReasonCode, /, **values: Value) -> Rejection:
        """Build a rejection; keyword order is kept (limit first, then what broke it)."""
        return cls(reason, tuple(values.items()))

    @property
    def message(self) -> str:
        """``MAX_ORDER_NOTIONAL: max_order_notional_usd=100000.0, notional=120000.0``."""
        if not self.values:
            return str(self.reason)
        return f"{self.reason}: {_format_values(self.values)}"

    def value(self, key: str) -> Value:
        """The value recorded under ``key`` (KeyError if absent)."""
        for name, value in self.values:
            if name == key:
                return value
        raise KeyError(key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "reason": str(self.reason),
            "values": _values_list(self.values),
            "message": self.message,
        }


class TransitionCause(StrEnum):
    """Why the trading state moved; exactly one per ``StateChanged``."""

    KILL_SWITCH = "kill_switch"  # a kill trigger was seen: HALTED
    BREAKER_TRIP = "breaker_trip"  # a breaker opened: its action (REDUCING or HALTED)
    RECONCILIATION = "reconciliation"  # journal and broker disagree: HALTED
    OPERATOR_RESUME = "operator_resume"  # an operator resumed: back to what the breakers require


@dataclass(frozen=True, slots=True)
class StateChanged:
    """The trading state moved; journalled with its cause, reason and event time."""

    from_state: TradingState
    to_state: TradingState
    reason: str
    ts_ns: int
    cause: TransitionCause | None = None  # None only for events of the bare TradingStateMachine

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": "StateChanged",
            "from_state": str(self.from_state),
            "to_state": str(self.to_state),
            "reason": self.reason,
            "ts_ns": self.ts_ns,
            "cause": None if self.cause is None else str(self.cause),
        }


@dataclass(frozen=True, slots=True)
class BreakerTripped:
    """A circuit breaker opened and requires ``action`` until an operator resets it."""

    breaker: str
    reason: str
    values: Values
    ts_ns: int
    action: TradingState

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": "BreakerTripped",
            "breaker": self.breaker,
            "reason": self.reason,
            "values": _values_list(self.values),
            "ts_ns": self.ts_ns,
            "action": str(self.action),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BreakerTripped:
        """Inverse of ``as_dict`` (used when breaker state is restored from the journal)."""
        from aurora_safety.state import TradingState

        return cls(
            breaker=str(data["breaker"]),
            reason=str(data["reason"]),
            values=tuple((str(k), v) for k, v in data["values"]),
            ts_ns=int(data["ts_ns"]),
            action=TradingState(data["action"]),
        )


@dataclass(frozen=True, slots=True)
class BreakerReset:
    """An operator explicitly closed a breaker; ``reason`` is what was cleared."""

    breaker: str
    reason: str
    ts_ns: int
    operator_reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": "BreakerReset",
            "breaker": self.breaker,
            "reason": self.reason,
            "ts_ns": self.ts_ns,
            "operator_reason": self.operator_reason,
        }
