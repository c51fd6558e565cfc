"""Aurora safety: kill switch, trading state, circuit breakers, limits config and feature flags.

Depends on nothing else in Aurora; every other package builds on it. The
names below are the public API; modules starting with ``_`` are private.
Names load on first use (PEP 562): `aurora kill` needs the kill switch, not
the pydantic limits config, and a command's latency is mostly its imports.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aurora_safety.board import BreakerBoard
    from aurora_safety.breakers import (
        DEFAULT_MAX_RATE_LIMITED,
        GATE_REASONS,
        Breaker,
        ConsecutiveRejectsBreaker,
        DailyLossBreaker,
        DrawdownBreaker,
        RateBreaker,
    )
    from aurora_safety.checks import (
        SIDES,
        check_daily_notional,
        check_gross_exposure,
        check_order_notional,
        check_order_qty,
        check_position_notional,
        check_price_band,
        check_reference,
        check_short_sale,
        check_valid,
    )
    from aurora_safety.clock import Clock, SystemClock, TestClock
    from aurora_safety.config import ACTION_DEFAULTS, LIMIT_DEFAULTS, Limits, load_limits
    from aurora_safety.errors import AuroraError, ConfigError, StorageError, UnknownBreakerError
    from aurora_safety.events import (
        BreakerReset,
        BreakerTripped,
        Rejection,
        StateChanged,
        TransitionCause,
    )
    from aurora_safety.flags import (
        FlagDeclaration,
        FlagStatus,
        declared_flags,
        effective_flags,
        load_declarations,
        missing_adrs,
        rollback_active,
    )
    from aurora_safety.governor import (
        BoardStore,
        BreakerStillOpenError,
        GovernorListener,
        NotTrippedError,
        TradingGovernor,
    )
    from aurora_safety.guard import gate_order
    from aurora_safety.killswitch import (
        KILL_FILE_NAME,
        KillStatus,
        KillSwitch,
        describe_trigger,
        disengage,
        engage,
        kill_file_candidates,
        kill_file_path,
    )
    from aurora_safety.reasons import ReasonCode
    from aurora_safety.room import BOOK_LIMITS, Cap, limit_label, order_cap, order_count_cap
    from aurora_safety.standing import Standing
    from aurora_safety.state import OrderEffect, TradingState, TradingStateMachine, severity, strictest
    from aurora_safety.throttle import SessionOrderCounter, TokenBucket
    from aurora_safety.ticks import on_tick_grid, round_to_tick, tick_size
    from aurora_safety.views import BoardView, BreakerView

_ORIGIN = {
    "BreakerBoard": "aurora_safety.board",
    "DEFAULT_MAX_RATE_LIMITED": "aurora_safety.breakers",
    "GATE_REASONS": "aurora_safety.breakers",
    "Breaker": "aurora_safety.breakers",
    "ConsecutiveRejectsBreaker": "aurora_safety.breakers",
    "DailyLossBreaker": "aurora_safety.breakers",
    "DrawdownBreaker": "aurora_safety.breakers",
    "RateBreaker": "aurora_safety.breakers",
    "SIDES": "aurora_safety.checks",
    "check_daily_notional": "aurora_safety.checks",
    "check_gross_exposure": "aurora_safety.checks",
    "check_order_notional": "aurora_safety.checks",
    "check_order_qty": "aurora_safety.checks",
    "check_position_notional": "aurora_safety.checks",
    "check_price_band": "aurora_safety.checks",
    "check_reference": "aurora_safety.checks",
    "check_short_sale": "aurora_safety.checks",
    "check_valid": "aurora_safety.checks",
    "Clock": "aurora_safety.clock",
    "SystemClock": "aurora_safety.clock",
    "TestClock": "aurora_safety.clock",
    "ACTION_DEFAULTS": "aurora_safety.config",
    "LIMIT_DEFAULTS": "aurora_safety.config",
    "Limits": "aurora_safety.config",
    "load_limits": "aurora_safety.config",
    "AuroraError": "aurora_safety.errors",
    "ConfigError": "aurora_safety.errors",
    "StorageError": "aurora_safety.errors",
    "UnknownBreakerError": "aurora_safety.errors",
    "BreakerReset": "aurora_safety.events",
    "BreakerTripped": "aurora_safety.events",
    "Rejection": "aurora_safety.events",
    "StateChanged": "aurora_safety.events",
    "TransitionCause": "aurora_safety.events",
    "FlagDeclaration": "aurora_safety.flags",
    "FlagStatus": "aurora_safety.flags",
    "declared_flags": "aurora_safety.flags",
    "effective_flags": "aurora_safety.flags",
    "load_declarations": "aurora_safety.flags",
    "missing_adrs": "aurora_safety.flags",
    "rollback_active": "aurora_safety.flags",
    "BoardStore": "aurora_safety.governor",
    "BreakerStillOpenError": "aurora_safety.governor",
    "GovernorListener": "aurora_safety.governor",
    "NotTrippedError": "aurora_safety.governor",
    "TradingGovernor": "aurora_safety.governor",
    "gate_order": "aurora_safety.guard",
    "KILL_FILE_NAME": "aurora_safety.killswitch",
    "KillStatus": "aurora_safety.killswitch",
    "KillSwitch": "aurora_safety.killswitch",
    "describe_trigger": "aurora_safety.killswitch",
    "disengage": "aurora_safety.killswitch",
    "engage": "aurora_safety.killswitch",
    "kill_file_candidates": "aurora_safety.killswitch",
    "kill_file_path": "aurora_safety.killswitch",
    "ReasonCode": "aurora_safety.reasons",
    "BOOK_LIMITS": "aurora_safety.room",
    "Cap": "aurora_safety.room",
    "limit_label": "aurora_safety.room",
    "order_cap": "aurora_safety.room",
    "order_count_cap": "aurora_safety.room",
    "Standing": "aurora_safety.standing",
    "OrderEffect": "aurora_safety.state",
    "TradingState": "aurora_safety.state",
    "TradingStateMachine": "aurora_safety.state",
    "severity": "aurora_safety.state",
    "strictest": "aurora_safety.state",
    "SessionOrderCounter": "aurora_safety.throttle",
    "TokenBucket": "aurora_safety.throttle",
    "on_tick_grid": "aurora_safety.ticks",
    "round_to_tick": "aurora_safety.ticks",
    "tick_size": "aurora_safety.ticks",
    "BoardView": "aurora_safety.views",
    "BreakerView": "aurora_safety.views",
}

__all__ = [
    "ACTION_DEFAULTS",
    "BOOK_LIMITS",
    "DEFAULT_MAX_RATE_LIMITED",
    "GATE_REASONS",
    "KILL_FILE_NAME",
    "LIMIT_DEFAULTS",
    "SIDES",
    "AuroraError",
    "BoardStore",
    "BoardView",
    "Breaker",
    "BreakerBoard",
    "BreakerReset",
    "BreakerStillOpenError",
    "BreakerTripped",
    "BreakerView",
    "Cap",
    "Clock",
    "ConfigError",
    "ConsecutiveRejectsBreaker",
    "DailyLossBreaker",
    "DrawdownBreaker",
    "FlagDeclaration",
    "FlagStatus",
    "GovernorListener",
    "KillStatus",
    "KillSwitch",
    "Limits",
    "NotTrippedError",
    "OrderEffect",
    "RateBreaker",
    "ReasonCode",
    "Rejection",
    "SessionOrderCounter",
    "Standing",
    "StateChanged",
    "StorageError",
    "SystemClock",
    "TestClock",
    "TokenBucket",
    "TradingGovernor",
    "TradingState",
    "TradingStateMachine",
    "TransitionCause",
    "UnknownBreakerError",
    "check_daily_notional",
    "check_gross_exposure",
    "check_order_notional",
    "check_order_qty",
    "check_position_notional",
    "check_price_band",
    "check_reference",
    "check_short_sale",
    "check_valid",
    "declared_flags",
    "describe_trigger",
    "disengage",
    "effective_flags",
    "engage",
    "gate_order",
    "kill_file_candidates",
    "kill_file_path",
    "limit_label",
    "load_declarations",
    "load_limits",
    "missing_adrs",
    "on_tick_grid",
    "order_cap",
    "order_count_cap",
    "rollback_active",
    "round_to_tick",
    "severity",
    "strictest",
    "tick_size",
]


def __getattr__(name: str) -> Any:
    origin = _ORIGIN.get(name)
    if origin is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(origin), name)
    globals()[name] = value  # once loaded, a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
