"""Risk limits: frozen, typed, keyword-only, every default finite and positive.

A limit can never be disabled by configuration: 0, negative, inf, NaN, null,
a bool, a string, or a value beyond its documented upper bound (the
``MAX_*`` constants) is refused with one line naming the field, the
expectation and bound, the value and the source file (the CLI exits 2 on it).
Every default is declared once, in the ``Field`` below; ``LIMIT_DEFAULTS`` is
derived from them for the pre-commit hook that audits defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aurora_safety.errors import ConfigError
from aurora_safety.state import TradingState

__all__ = [
    "ACTION_DEFAULTS",
    "LIMIT_DEFAULTS",
    "MAX_BPS",
    "MAX_COUNT",
    "MAX_NOTIONAL_USD",
    "MAX_ORDER_SHARES",
    "MAX_RATE_PER_SEC",
    "MAX_SECONDS",
    "Limits",
    "load_limits",
]

# Upper bounds, declared once: a "limit" beyond them limits nothing (and an integer beyond int64
# cannot even be journaled). Documented in docs/architecture.md ("Limits and their bounds").
MAX_ORDER_SHARES = 1_000_000_000  # shares in one order: more than any listed stock trades in a day
MAX_COUNT = 1_000_000  # orders per session, a burst, consecutive rejects
MAX_NOTIONAL_USD = (
    1_000_000_000_000  # USD 1 trillion: beyond any book this desk runs (int64 cents hold 9.2e16)
)
MAX_SECONDS = 31_622_400  # 366 days: a reference older than a year is stale, whatever the config says
MAX_BPS = 100_000  # 1,000 %
MAX_RATE_PER_SEC = 1_000_000

# strict: a bool or a numeric string is a type error, never coerced.
PositiveInt = Annotated[int, Field(strict=True, gt=0, le=MAX_COUNT)]
Shares = Annotated[int, Field(strict=True, gt=0, le=MAX_ORDER_SHARES)]
NotionalUsd = Annotated[float, Field(strict=True, gt=0, le=MAX_NOTIONAL_USD, allow_inf_nan=False)]
Seconds = Annotated[float, Field(strict=True, gt=0, le=MAX_SECONDS, allow_inf_nan=False)]
Bps = Annotated[float, Field(strict=True, gt=0, le=MAX_BPS, allow_inf_nan=False)]
PerSecond = Annotated[float, Field(strict=True, gt=0, le=MAX_RATE_PER_SEC, allow_inf_nan=False)]
Percent = Annotated[float, Field(strict=True, gt=0, le=100, allow_inf_nan=False)]

_BREAKER_ACTIONS = (TradingState.REDUCING, TradingState.HALTED)


class Limits(BaseModel):
    """Pre-trade limits and breaker thresholds; units are in the field names."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    max_order_qty_shares: Shares = 10_000
    max_order_notional_usd: NotionalUsd = 250_000.0
    max_position_notional_usd: NotionalUsd = 500_000.0
    max_gross_exposure_usd: NotionalUsd = 1_500_000.0
    max_daily_notional_usd: NotionalUsd = 2_000_000.0
    max_session_orders: PositiveInt = 50
    price_band_bps: Bps = 1_000.0  # 10 % either side of the reference
    stale_after_secs: Seconds = 432_000.0  # 5 days: a weekend plus holidays
    max_messages_per_sec: PerSecond = 50.0  # submits and cancels alike
    message_burst: PositiveInt = 100
    max_drawdown_pct: Percent = 25.0
    max_daily_loss_pct: Percent = 10.0
    max_consecutive_rejects: PositiveInt = 20
    drawdown_action: TradingState = TradingState.HALTED
    daily_loss_action: TradingState = TradingState.REDUCING

    @field_validator("drawdown_action", "daily_loss_action", mode="before")
    @classmethod
    def _breaker_action(cls, value: Any) -> TradingState:
        # A breaker whose action is ACTIVE would do nothing: refuse it.
        if isinstance(value, str) and value in {s.value for s in _BREAKER_ACTIONS}:
            return TradingState(value)
        raise ValueError("must be REDUCING or HALTED")


def _expectation(name: str) -> str:
    """What a field accepts, in words, derived from its declared type and bound."""
    if name.endswith("_action"):
        return "must be one of 'REDUCING', 'HALTED'"
    info = Limits.model_fields[name]
    bound = next((m.le for m in info.metadata if getattr(m, "le", None) is not None), None)
    kind = "an integer" if info.annotation is int else "a finite number"
    return f"must be {kind} > 0" + ("" if bound is None else f" and <= {bound}")


LIMIT_DEFAULTS: dict[str, int | float] = {
    name: info.default for name, info in Limits.model_fields.items() if not name.endswith("_action")
}
"""Every numeric limit and its default; the unsafe-defaults hook checks these."""

ACTION_DEFAULTS: dict[str, TradingState] = {
    name: info.default for name, info in Limits.model_fields.items() if name.endswith("_action")
}


def load_limits(data: Mapping[str, Any], source: str, *, section: str = "limits") -> Limits:
    """Validate a ``[limits]`` table into ``Limits`` or raise one ``ConfigError`` line.

    Keys absent from ``data`` take their defaults; an explicit ``None`` is
    refused (it would mean "no limit"). The first problem in declaration
    order is reported, so the message is deterministic.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(section, "must be a table of limits", data, source)
    known = list(Limits.model_fields)
    for key in data:
        if key not in Limits.model_fields:
            raise ConfigError.unknown_field(f"{section}.{key}", data[key], source, known)
    try:
        return Limits(**dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0])
        raise ConfigError(f"{section}.{name}", _expectation(name), data.get(name), source) from None
