"""A run's config identity: a hash over what the run means (its effective trading values), not over the file.

Rule (ADR 0011): the identity is sha256 over the canonical JSON of the
config's effective values, where

- ``data.snapshot`` (where the data lies) and every section in
  ``NON_TRADING_SECTIONS`` (thresholds that judge or report a run, never change
  an order) are left out;
- every field of ``IDENTITY_V1_FIELDS`` (the fields that existed when the
  identity was introduced) is always in, at its effective value;
- a field added later is in only when its effective value differs from its
  legacy-neutral value in ``NEUTRAL`` (the value that trades exactly as before
  the field existed). A new trading field must be registered there, or in
  ``NON_TRADING_SECTIONS`` for a new non-trading section; a test refuses one
  that is in neither.

So a release that adds a field whose default keeps the old behaviour does not
orphan a run directory, while any value that changes trading changes the
identity and is refused. ``legacy_config_hash`` is the rule before identities
(a hash over every field of the file), kept to vouch for older directories.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = [
    "IDENTITY_V1_FIELDS",
    "IDENTITY_VERSION",
    "NEUTRAL",
    "NON_TRADING_SECTIONS",
    "config_identity",
    "identity_hash",
    "legacy_config_hash",
]

IDENTITY_VERSION = 1

NON_TRADING_SECTIONS = frozenset({"bless", "alerts", "gates", "metrics", "notifications"})

IDENTITY_V1_FIELDS = frozenset(
    {
        "start",
        "end",
        "data.sanity_mode",
        "data.bad_tick_return_threshold",
        "model.min_train_years",
        "model.ridge_alpha",
        "decisions.top_k",
        "decisions.max_weight",
        "decisions.max_gross",
        "execution.limit_offset_bps",
        "execution.commission_per_share_usd",
        "execution.min_commission_usd",
        "execution.slippage_bps",
        "execution.starting_cash_usd",
        "execution.allow_short",
        "limits.max_order_qty_shares",
        "limits.max_order_notional_usd",
        "limits.max_position_notional_usd",
        "limits.max_gross_exposure_usd",
        "limits.max_daily_notional_usd",
        "limits.max_session_orders",
        "limits.price_band_bps",
        "limits.stale_after_secs",
        "limits.max_messages_per_sec",
        "limits.message_burst",
        "limits.max_drawdown_pct",
        "limits.max_daily_loss_pct",
        "limits.max_consecutive_rejects",
        "limits.drawdown_action",
        "limits.daily_loss_action",
        "flags",
    }
)

# Trading fields added after identity v1, each with the value that trades exactly as
# before it existed (for example ``"universe.min_price": 0.0``: no name filtered out).
NEUTRAL: dict[str, Any] = {
    # [universe] (ADR 0013): no filter traded as before; the section's limits must be > 0, so a
    # config always differs from these and the universe is always part of a new identity (a run
    # made before it existed is upgraded by `aurora migrate`, which vouches for its legacy hash).
    "universe.min_price": 0.0,
    "universe.min_dollar_volume": 0.0,
    "universe.dollar_volume_window_sessions": 0,
    "universe.min_history_sessions": 0,
    # [broker]: the paper broker is what every run traded through before the section existed
    # (the config's dump leaves the section out at that value, so config.json reads as before).
    "broker.kind": "paper",
}

_NOT_IDENTITY = frozenset({"data.snapshot"})  # located by its lock hash, moved by `aurora advance`


def _leaves(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of every setting; ``flags`` is one setting (a name -> bool table)."""
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and path != "flags":
            yield from _leaves(value, f"{path}.")
        else:
            yield path, value


def config_identity(dumped: Mapping[str, Any]) -> dict[str, Any]:
    """The identity's content from a config's JSON dump (``RunConfig.model_dump(mode="json")``)."""
    values: dict[str, Any] = {}
    for path, value in _leaves(dumped):
        if path in _NOT_IDENTITY or path.split(".", 1)[0] in NON_TRADING_SECTIONS:
            continue
        if path not in IDENTITY_V1_FIELDS and path in NEUTRAL and value == NEUTRAL[path]:
            continue
        values[path] = value
    return {"identity_version": IDENTITY_VERSION, "values": values}


def identity_hash(dumped: Mapping[str, Any]) -> str:
    text = json.dumps(config_identity(dumped), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def legacy_config_hash(stored: Mapping[str, Any]) -> str:
    """The hash a run directory made before identities recorded: every field as stored but the snapshot."""
    data = json.loads(json.dumps(stored))
    if isinstance(data.get("data"), dict):
        data["data"].pop("snapshot", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
