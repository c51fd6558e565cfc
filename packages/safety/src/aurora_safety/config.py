"""Risk limits: frozen, typed, keyword-only, every default finite and positive.

A limit can never be disabled by configuration: 0, negative, inf, NaN, null,
a bool or a string is refused with one line naming the field, the
expectation, the value and the source file (the CLI exits 2 on it).
Every default is declared once, in the ``Field`` below; ``LIMIT_DEFAULTS`` is
derived from them for the pre-commit hook that audits defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aurora_safety.errors import ConfigError
from aurora_safety.state import TradingState

__all__ = ["ACTION_DEFAULTS", "LIMIT_DEFAULTS", "Limits", "load_limits"]

# strict: a bool or a numeric string is a type error, never coerced.
PositiveInt = Annotated[int, Field(strict=True, gt=0)]
PositiveFloat = Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)]
Percent = Annotated[float, Field(strict=True, gt=0, le=100, allow_inf_nan=False)]

_BREAKER_ACTIONS = (TradingState.REDUCING, TradingState.HALTED)


class Limits(BaseModel):
    """Pre-trade limits and breaker thresholds; units are in the field names."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    max_order_qty_shares: PositiveInt = 10_000
    max_order_notional_usd: PositiveFloat = 250_000.0
    max_position_notional_usd: PositiveFloat = 500_000.0
    max_gross_exposure_usd: PositiveFloat = 1_500_000.0
    max_daily_notional_usd: PositiveFloat = 2_000_000.0
    max_session_orders: PositiveInt = 50
    price_band_bps: PositiveFloat = 1_000.0  # 10 % either side of the reference
    stale_after_secs: PositiveFloat = 432_000.0  # 5 days: a weekend plus holidays
    max_messages_per_sec: PositiveFloat = 50.0  # submits and cancels alike
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
    """What a field accepts, in words, derived from its declared type."""
    if name.endswith("_action"):
        return "must be one of 'REDUCING', 'HALTED'"
    if name.endswith("_pct"):
        return "must be a finite number > 0 and <= 100"
    if Limits.model_fields[name].annotation is int:
        return "must be an integer > 0"
    return "must be a finite number > 0"


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
