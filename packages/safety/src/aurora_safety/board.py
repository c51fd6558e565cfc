"""The board of all circuit breakers, by name, with persistence for the journal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aurora_safety import _validate as check
from aurora_safety._breaker import Breaker
from aurora_safety.breakers import (
    DEFAULT_MAX_RATE_LIMITED,
    ConsecutiveRejectsBreaker,
    DailyLossBreaker,
    DrawdownBreaker,
    RateBreaker,
)
from aurora_safety.config import Limits
from aurora_safety.errors import ConfigError, UnknownBreakerError
from aurora_safety.events import BreakerReset, BreakerTripped, Rejection
from aurora_safety.state import TradingState, strictest

__all__ = ["BreakerBoard"]

_BOARD_ORDER = ("drawdown", "daily_loss", "consecutive_rejects", "order_rate")
_KINDS: dict[str, type[Breaker]] = {
    "drawdown": DrawdownBreaker,
    "daily_loss": DailyLossBreaker,
    "consecutive_rejects": ConsecutiveRejectsBreaker,
    "order_rate": RateBreaker,
}


class BreakerBoard:
    """All four breakers by name; the trading state they require is the most severe trip."""

    __slots__ = ("consecutive_rejects", "daily_loss", "drawdown", "order_rate")

    def __init__(
        self,
        drawdown: DrawdownBreaker,
        daily_loss: DailyLossBreaker,
        consecutive_rejects: ConsecutiveRejectsBreaker,
        order_rate: RateBreaker,
    ) -> None:
        self.drawdown = drawdown
        self.daily_loss = daily_loss
        self.consecutive_rejects = consecutive_rejects
        self.order_rate = order_rate

    @classmethod
    def from_limits(cls, limits: Limits) -> BreakerBoard:
        return cls(
            DrawdownBreaker(limits.max_drawdown_pct, limits.drawdown_action),
            DailyLossBreaker(limits.max_daily_loss_pct, limits.daily_loss_action),
            ConsecutiveRejectsBreaker(limits.max_consecutive_rejects),
            RateBreaker(DEFAULT_MAX_RATE_LIMITED),
        )

    @property
    def names(self) -> tuple[str, ...]:
        return _BOARD_ORDER

    def __getitem__(self, name: str) -> Breaker:
        if name not in _KINDS:
            raise UnknownBreakerError(name, sorted(_KINDS))
        breaker: Breaker = getattr(self, name)
        return breaker

    def tripped(self) -> tuple[BreakerTripped, ...]:
        """Trip events of the breakers that are open, in board order."""
        return tuple(b.trip for b in map(self.__getitem__, _BOARD_ORDER) if b.trip is not None)

    def state_required(self) -> TradingState:
        """ACTIVE when nothing is tripped, else the most severe action of the open breakers."""
        return strictest(trip.action for trip in self.tripped())

    def on_equity(self, equity: float, session: object, ts_ns: int) -> list[BreakerTripped]:
        """Feed a new equity value to the drawdown and daily-loss breakers."""
        events = [self.drawdown.update(equity, ts_ns), self.daily_loss.update(equity, session, ts_ns)]
        return [e for e in events if e is not None]

    def on_order_result(
        self, rejection: Rejection | None, session: object, ts_ns: int
    ) -> list[BreakerTripped]:
        """Feed an order outcome (None = accepted) to the reject and rate breakers."""
        events = [
            self.consecutive_rejects.update(rejection, ts_ns),
            self.order_rate.update(rejection, session, ts_ns),
        ]
        return [e for e in events if e is not None]

    def reset(self, name: str, operator_reason: str, ts_ns: int) -> BreakerReset:
        """Explicit operator reset of one breaker; an unknown name raises UnknownBreakerError."""
        return self[name].reset(operator_reason, ts_ns)

    def to_dict(self) -> dict[str, Any]:
        return {"version": 1, "breakers": {n: self[n].to_dict() for n in _BOARD_ORDER}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BreakerBoard:
        data = check.exact_keys("board", data, {"version", "breakers"})
        if data["version"] != 1:
            raise ConfigError("board.version", "must be 1", data["version"], check.SOURCE)
        saved = check.exact_keys("board.breakers", data["breakers"], set(_KINDS))
        built = {name: kind.from_dict(saved[name]) for name, kind in _KINDS.items()}
        # Each field gets its own kind (_KINDS), which one dict value type cannot say.
        return cls(**built)  # type: ignore[arg-type]
