"""Circuit breakers: drawdown from peak, daily loss, consecutive rejects, order rate.

A breaker trips once and stays tripped - across restarts, via ``to_dict`` /
``from_dict`` - until an operator calls ``reset`` with a reason. Each ``max_*``
is the largest tolerated value: exceeding it trips. A non-finite equity trips
at once (fail closed): a broken valuation must not keep trading.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from aurora_safety import _validate as check
from aurora_safety._breaker import Breaker, finite, num
from aurora_safety.events import BreakerTripped, Rejection
from aurora_safety.reasons import ReasonCode
from aurora_safety.state import TradingState

__all__ = [
    "DEFAULT_MAX_RATE_LIMITED",
    "GATE_REASONS",
    "Breaker",
    "ConsecutiveRejectsBreaker",
    "DailyLossBreaker",
    "DrawdownBreaker",
    "RateBreaker",
]

DEFAULT_MAX_RATE_LIMITED = 10
"""RATE_LIMIT rejections tolerated per session before ``order_rate`` halts.

A daily strategy sends a handful of orders per session; more than ten
throttled submits in one session means a runaway loop, not bad luck.
"""

GATE_REASONS = frozenset({ReasonCode.KILL_SWITCH, ReasonCode.BREAKER_OPEN, ReasonCode.REDUCE_ONLY})
"""Rejections caused by an existing halt; they neither count nor clear consecutive rejects."""


class DrawdownBreaker(Breaker):
    """Trips when equity falls more than ``max_drawdown_pct`` below its running peak."""

    name = "drawdown"
    _PARAMS = ("max_drawdown_pct",)
    _STATE = ("peak_equity", "last_equity")

    def __init__(self, max_drawdown_pct: float, action: TradingState = TradingState.HALTED):
        super().__init__(action)
        self.max_drawdown_pct = check.percent("drawdown.max_drawdown_pct", max_drawdown_pct)
        self._peak_equity: float | None = None
        self._last_equity: float | None = None

    def update(self, equity: float, ts_ns: int) -> BreakerTripped | None:
        """Feed the latest equity; returns the trip event the first time it opens."""
        if not finite(equity):
            return (
                None
                if self.tripped
                else self._open("equity is not a finite number", ts_ns, equity=num(equity))
            )
        equity = float(equity)
        self._last_equity = equity
        self._peak_equity = equity if self._peak_equity is None else max(self._peak_equity, equity)
        if self.tripped:
            return None
        peak = self._peak_equity
        drawdown_pct = (peak - equity) / peak * 100.0 if peak > 0 else math.inf
        if not drawdown_pct <= self.max_drawdown_pct:
            return self._open(
                f"drawdown {drawdown_pct:.4g}% exceeds max_drawdown_pct {self.max_drawdown_pct:g}%",
                ts_ns,
                max_drawdown_pct=self.max_drawdown_pct,
                drawdown_pct=drawdown_pct,
                peak_equity=peak,
                equity=equity,
            )
        return None

    def _rebase(self) -> None:
        self._peak_equity = self._last_equity

    def _load_state(self, state: Mapping[str, Any]) -> None:
        self._peak_equity = check.optional_finite("drawdown.state.peak_equity", state["peak_equity"])
        self._last_equity = check.optional_finite("drawdown.state.last_equity", state["last_equity"])


class DailyLossBreaker(Breaker):
    """Trips when equity falls more than ``max_daily_loss_pct`` below the session's start.

    A session starts from the last equity seen in the previous session (its
    close), so one update per session measures the session's loss correctly.
    """

    name = "daily_loss"
    _PARAMS = ("max_daily_loss_pct",)
    _STATE = ("session", "day_start_equity", "last_equity")

    def __init__(self, max_daily_loss_pct: float, action: TradingState = TradingState.REDUCING):
        super().__init__(action)
        self.max_daily_loss_pct = check.percent("daily_loss.max_daily_loss_pct", max_daily_loss_pct)
        self._session: str | None = None
        self._day_start_equity: float | None = None
        self._last_equity: float | None = None

    def update(self, equity: float, session: object, ts_ns: int) -> BreakerTripped | None:
        """Feed the latest equity of ``session`` (an event-time session key such as a date)."""
        if not finite(equity):
            return (
                None
                if self.tripped
                else self._open("equity is not a finite number", ts_ns, equity=num(equity))
            )
        equity = float(equity)
        if str(session) != self._session:
            self._session = str(session)
            self._day_start_equity = equity if self._last_equity is None else self._last_equity
        self._last_equity = equity
        if self.tripped:
            return None
        start = self._day_start_equity
        assert start is not None
        loss_pct = (start - equity) / start * 100.0 if start > 0 else math.inf
        if not loss_pct <= self.max_daily_loss_pct:
            return self._open(
                f"daily loss {loss_pct:.4g}% exceeds max_daily_loss_pct {self.max_daily_loss_pct:g}%",
                ts_ns,
                max_daily_loss_pct=self.max_daily_loss_pct,
                daily_loss_pct=loss_pct,
                day_start_equity=start,
                equity=equity,
                session=self._session,
            )
        return None

    def _rebase(self) -> None:
        self._day_start_equity = self._last_equity

    def _load_state(self, state: Mapping[str, Any]) -> None:
        self._session = check.optional_str("daily_loss.state.session", state["session"])
        self._day_start_equity = check.optional_finite(
            "daily_loss.state.day_start_equity", state["day_start_equity"]
        )
        self._last_equity = check.optional_finite("daily_loss.state.last_equity", state["last_equity"])


class ConsecutiveRejectsBreaker(Breaker):
    """Halts after more than ``max_rejects`` rejections in a row; an acceptance clears the run.

    Rejections in ``GATE_REASONS`` are ignored: they follow from a halt that
    is already in force and must not stack a second breaker on top.
    """

    name = "consecutive_rejects"
    _PARAMS = ("max_rejects",)
    _STATE = ("count",)
    _FIXED_ACTION = TradingState.HALTED

    def __init__(self, max_rejects: int) -> None:
        super().__init__(TradingState.HALTED)
        self.max_rejects = check.positive_int("consecutive_rejects.max_rejects", max_rejects)
        self._count = 0

    def update(self, rejection: Rejection | None, ts_ns: int) -> BreakerTripped | None:
        """Feed each order outcome: None for accepted, the Rejection otherwise."""
        if rejection is None:
            self._count = 0
            return None
        if rejection.reason in GATE_REASONS:
            return None
        self._count += 1
        if not self.tripped and self._count > self.max_rejects:
            return self._open(
                f"{self._count} consecutive rejections exceed max_consecutive_rejects {self.max_rejects}",
                ts_ns,
                max_consecutive_rejects=self.max_rejects,
                consecutive_rejects=self._count,
                last_reason=str(rejection.reason),
            )
        return None

    def _rebase(self) -> None:
        self._count = 0

    def _load_state(self, state: Mapping[str, Any]) -> None:
        self._count = check.count("consecutive_rejects.state.count", state["count"])


class RateBreaker(Breaker):
    """Halts a throttle storm: more than ``max_rate_limited`` RATE_LIMIT rejections in a session."""

    name = "order_rate"
    _PARAMS = ("max_rate_limited",)
    _STATE = ("session", "count")
    _FIXED_ACTION = TradingState.HALTED

    def __init__(self, max_rate_limited: int = DEFAULT_MAX_RATE_LIMITED) -> None:
        super().__init__(TradingState.HALTED)
        self.max_rate_limited = check.positive_int("order_rate.max_rate_limited", max_rate_limited)
        self._session: str | None = None
        self._count = 0

    def update(self, rejection: Rejection | None, session: object, ts_ns: int) -> BreakerTripped | None:
        """Feed each order outcome of ``session``; only RATE_LIMIT rejections count."""
        if str(session) != self._session:
            self._session, self._count = str(session), 0
        if rejection is None or rejection.reason is not ReasonCode.RATE_LIMIT:
            return None
        self._count += 1
        if not self.tripped and self._count > self.max_rate_limited:
            return self._open(
                f"{self._count} RATE_LIMIT rejections in session {self._session} exceed "
                f"{self.max_rate_limited}",
                ts_ns,
                max_rate_limited=self.max_rate_limited,
                rate_limited=self._count,
                session=self._session,
            )
        return None

    def _rebase(self) -> None:
        self._count = 0

    def _load_state(self, state: Mapping[str, Any]) -> None:
        self._session = check.optional_str("order_rate.state.session", state["session"])
        self._count = check.count("order_rate.state.count", state["count"])


def __getattr__(name: str) -> Any:
    """``breakers.BreakerBoard`` still works; the board lives in ``board.py`` (no import cycle)."""
    if name == "BreakerBoard":
        from aurora_safety.board import BreakerBoard

        return BreakerBoard
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
