"""Aurora safety: kill switch, trading state, circuit breakers, limits config and feature flags.

Depends on nothing else in Aurora; every other package builds on it. The
names below are the public API; modules starting with ``_`` are private.
"""

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
