"""Small argument validators shared by breakers and persisted-state loaders."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from aurora_safety.errors import ConfigError
from aurora_safety.state import TradingState

SOURCE = "breaker state"


def positive_int(field: str, value: Any, source: str = SOURCE) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(field, "must be an integer > 0", value, source)
    return value


def count(field: str, value: Any, source: str = SOURCE) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(field, "must be an integer >= 0", value, source)
    return value


def percent(field: str, value: Any, source: str = SOURCE) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not (ok and math.isfinite(value) and 0 < value <= 100):
        raise ConfigError(field, "must be a finite number > 0 and <= 100", value, source)
    return float(value)


def optional_finite(field: str, value: Any, source: str = SOURCE) -> float | None:
    if value is None:
        return None
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not (ok and math.isfinite(value)):
        raise ConfigError(field, "must be a finite number or null", value, source)
    return float(value)


def optional_str(field: str, value: Any, source: str = SOURCE) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ConfigError(field, "must be a string or null", value, source)
    return value


def action(field: str, value: Any, source: str = SOURCE) -> TradingState:
    if value not in (TradingState.REDUCING.value, TradingState.HALTED.value):
        raise ConfigError(field, "must be one of 'REDUCING', 'HALTED'", value, source)
    return TradingState(value)


def exact_keys(field: str, data: Any, keys: set[str], source: str = SOURCE) -> Mapping[str, Any]:
    """A mapping with exactly ``keys``: persisted state must not be guessed at."""
    if not isinstance(data, Mapping):
        raise ConfigError(field, "must be a mapping", data, source)
    extra = sorted(set(data) - keys)
    if extra:
        raise ConfigError.unknown_field(f"{field}.{extra[0]}", data[extra[0]], source, sorted(keys))
    missing = sorted(keys - set(data))
    if missing:
        raise ConfigError(f"{field}.{missing[0]}", "is required", source=source)
    return data
