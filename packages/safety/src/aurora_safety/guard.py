"""The first gate every order passes: kill switch, then trading state.

Pure and ordered so "kill always wins" is a property one can test: with the
kill switch active nothing but a cancel passes, whatever the state says.
"""

from __future__ import annotations

from typing import assert_never

from aurora_safety.events import Rejection
from aurora_safety.killswitch import KillStatus
from aurora_safety.reasons import ReasonCode
from aurora_safety.state import OrderEffect, TradingState, TradingStateMachine

__all__ = ["gate_order"]


def gate_order(
    kill: KillStatus,
    state: TradingStateMachine | TradingState,
    effect: OrderEffect,
) -> Rejection | None:
    """None if the request may proceed to the limit checks, else the rejection.

    Order: CANCEL always passes (no switch may block a cancel); then
    KILL_SWITCH; then BREAKER_OPEN when HALTED; then REDUCE_ONLY when
    REDUCING and the order would grow exposure.
    """
    effect = OrderEffect(effect)
    current = state.state if isinstance(state, TradingStateMachine) else TradingState(state)
    if effect is OrderEffect.CANCEL:
        return None
    if kill.active:
        return Rejection.of(ReasonCode.KILL_SWITCH, trigger=kill.trigger or "unknown")
    match current:
        case TradingState.ACTIVE:
            return None
        case TradingState.HALTED:
            return Rejection.of(ReasonCode.BREAKER_OPEN, state=str(current), effect=str(effect))
        case TradingState.REDUCING:
            if effect is OrderEffect.INCREASES:
                return Rejection.of(ReasonCode.REDUCE_ONLY, state=str(current), effect=str(effect))
            return None
        case _:
            assert_never(current)
