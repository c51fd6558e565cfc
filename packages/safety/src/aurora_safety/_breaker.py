"""Shared machinery of circuit breakers: trip, explicit reset, persistence."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from aurora_safety import _validate as check
from aurora_safety.errors import ConfigError
from aurora_safety.events import BreakerReset, BreakerTripped, json_value
from aurora_safety.state import TradingState


class Breaker:
    """Common trip/reset/persistence behaviour; subclasses define what trips them."""

    name: ClassVar[str]
    _PARAMS: ClassVar[tuple[str, ...]]
    _STATE: ClassVar[tuple[str, ...]]
    _FIXED_ACTION: ClassVar[TradingState | None] = None  # set when the action is not configurable

    def __init__(self, action: TradingState) -> None:
        self.action = check.action(f"{self.name}.action", str(action))
        self._trip: BreakerTripped | None = None

    @property
    def tripped(self) -> bool:
        return self._trip is not None

    @property
    def trip(self) -> BreakerTripped | None:
        """The event that opened this breaker, if it is open."""
        return self._trip

    def _open(self, reason: str, ts_ns: int, /, **values: float | int | str) -> BreakerTripped:
        event = BreakerTripped(
            breaker=self.name,
            reason=reason,
            values=tuple((k, json_value(v)) for k, v in values.items()),
            ts_ns=int(ts_ns),
            action=self.action,
        )
        self._trip = event
        return event

    def reset(self, operator_reason: str, ts_ns: int) -> BreakerReset:
        """Close the breaker; only an operator with a stated reason may do this."""
        if not isinstance(operator_reason, str) or not operator_reason.strip():
            raise ConfigError(
                f"{self.name}.reset", "needs a non-empty operator reason", operator_reason, "operator"
            )
        cleared = "was not tripped" if self._trip is None else self._trip.reason
        self._trip = None
        self._rebase()
        return BreakerReset(self.name, cleared, int(ts_ns), operator_reason)

    def _rebase(self) -> None:
        """Restart measuring after a reset, so it does not re-trip on the same loss."""

    def to_dict(self) -> dict[str, Any]:
        params = {key: getattr(self, key) for key in self._PARAMS}
        params["action"] = str(self.action)
        return {
            "breaker": self.name,
            "params": params,
            "state": {key: getattr(self, "_" + key) for key in self._STATE},
            "trip": None if self._trip is None else self._trip.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Breaker:
        """Rebuild from ``to_dict`` output; anything unexpected is a ConfigError."""
        data = check.exact_keys(cls.name, data, {"breaker", "params", "state", "trip"})
        if data["breaker"] != cls.name:
            raise ConfigError(f"{cls.name}.breaker", f"must be {cls.name!r}", data["breaker"], check.SOURCE)
        params = dict(check.exact_keys(f"{cls.name}.params", data["params"], {*cls._PARAMS, "action"}))
        if cls._FIXED_ACTION is None:
            breaker = cls(**params)
        else:
            action = params.pop("action")
            if action != cls._FIXED_ACTION.value:
                raise ConfigError(
                    f"{cls.name}.params.action", f"must be {cls._FIXED_ACTION.value!r}", action, check.SOURCE
                )
            breaker = cls(**params)
        state = check.exact_keys(f"{cls.name}.state", data["state"], set(cls._STATE))
        breaker._load_state(state)
        trip = data["trip"]
        if trip is not None:
            try:
                breaker._trip = BreakerTripped.from_dict(trip)
            except (KeyError, TypeError, ValueError) as exc:
                raise ConfigError(
                    f"{cls.name}.trip", "must be a BreakerTripped record", trip, check.SOURCE
                ) from exc
        return breaker

    def _load_state(self, state: Mapping[str, Any]) -> None:
        raise NotImplementedError


def finite(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def num(x: object) -> float | str:
    return json_value(x) if isinstance(x, float) else repr(x)
