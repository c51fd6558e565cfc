"""Operator actions on a run directory, each journaled with its reason."""

from __future__ import annotations

import time
from pathlib import Path

from aurora_broker import Journal
from aurora_e2d.runtime.job import load_run_config
from aurora_safety import BreakerBoard, BreakerReset, ConfigError, UnknownBreakerError


def reset_breaker(run_dir: Path, name: str, reason: str) -> BreakerReset:
    """Reset one tripped breaker; the trading state is restored by the next `aurora resume`."""
    if not reason.strip():
        raise ConfigError("--reason", "must say why it is safe to trade again", reason, "command line")
    config = load_run_config(run_dir)
    journal = Journal.open(run_dir, config.config_hash(), create=False)
    try:
        saved = journal.load_breaker_state()
        board = BreakerBoard.from_dict(saved) if saved else BreakerBoard.from_limits(config.limits)
        try:
            event = board.reset(name, reason, time.time_ns())
        except UnknownBreakerError as error:
            raise ConfigError(
                "NAME",
                "must be one of drawdown, daily_loss, consecutive_rejects, order_rate",
                name,
                "command line",
            ) from error
        with journal.session_transaction():
            journal.record_breaker_event(event)
            journal.save_breaker_state(board.to_dict())
    finally:
        journal.close()
    return event
