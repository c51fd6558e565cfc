"""Broker configuration: frozen, keyword-only, units in names, each default declared once."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from aurora_broker.money import dec, usd_to_cents
from aurora_safety import ConfigError

__all__ = ["BrokerConfig", "load_broker_config"]


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerConfig:
    """Fill-model costs and the starting account of a paper run."""

    commission_per_share_usd: float = 0.005  # USD per share traded
    min_commission_usd: float = 1.0  # USD per fill, at least
    slippage_bps: float = 2.0  # basis points of the open, always against the trader
    participation_cap_pct: float | None = None  # % of the session's volume; None = no cap
    starting_cash_usd: float = 1_000_000.0  # USD, whole cents

    def __post_init__(self) -> None:
        self._require(
            "commission_per_share_usd",
            self.commission_per_share_usd >= 0 if _number(self.commission_per_share_usd) else False,
            "a finite number >= 0",
        )
        self._require(
            "min_commission_usd",
            self.min_commission_usd >= 0 if _number(self.min_commission_usd) else False,
            "a finite number >= 0",
        )
        self._require(
            "slippage_bps",
            0 <= self.slippage_bps < 10_000 if _number(self.slippage_bps) else False,
            "a finite number >= 0 and < 10000",
        )
        cap = self.participation_cap_pct
        if cap is not None:
            self._require(
                "participation_cap_pct",
                0 < cap <= 100 if _number(cap) else False,
                "null or a finite number > 0 and <= 100",
            )
        cash = self.starting_cash_usd
        ok = _number(cash) and cash > 0 and dec(float(cash)) == dec(usd_to_cents(float(cash))).scaleb(-2)
        self._require("starting_cash_usd", ok, "a finite number > 0 in whole cents")

    def _require(self, field: str, ok: bool, expected: str) -> None:
        if not ok:
            raise ConfigError(f"broker.{field}", f"must be {expected}", getattr(self, field))

    @property
    def starting_cash_cents(self) -> int:
        return usd_to_cents(float(self.starting_cash_usd))

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for the run's config hash and manifest."""
        return asdict(self)


def load_broker_config(data: Mapping[str, Any], source: str) -> BrokerConfig:
    """Build a config from a ``[broker]`` table; unknown keys are refused, never ignored."""
    known = [f.name for f in fields(BrokerConfig)]
    for key in data:
        if key not in known:
            raise ConfigError.unknown_field(f"broker.{key}", data[key], source, known)
    try:
        return BrokerConfig(**dict(data))
    except ConfigError as err:
        raise ConfigError(err.field, err.expectation, err.value, source) from None
