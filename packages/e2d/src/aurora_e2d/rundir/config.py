"""The run configuration: one frozen, typed tree; the default needs no file.

A config file is TOML with the sections below (``[alerts]`` names notification sinks
and is not part of the identity; ``[broker] kind`` picks the broker from
``aurora_broker``'s registry); any unknown field, wrong type
or disabled limit is refused with one line naming the file, the field and
the value (exit 2). The config's identity (its effective trading values,
``identity.py``) is hashed into the manifest and the journal, so a run
directory cannot be resumed under a config that trades differently.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from aurora_broker import DEFAULT_BROKER_KIND, BrokerConfig, broker_kinds
from aurora_e2d.rundir.identity import identity_hash
from aurora_safety import ConfigError, Limits, load_limits
from aurora_safety.config import MAX_COUNT, MAX_NOTIONAL_USD
from aurora_safety.env import FLAG_PREFIX, KILL_VAR, ROLLBACK_VAR

__all__ = [
    "DEFAULT_SOURCE",
    "AlertsConfig",
    "BlessConfig",
    "BrokerKindConfig",
    "RunConfig",
    "UniverseConfig",
    "load_config",
    "validate_config",
]

DEFAULT_SOURCE = "<defaults>"

_FROZEN = ConfigDict(frozen=True, extra="forbid", strict=True)


class DataConfig(BaseModel):
    model_config = _FROZEN
    # The snapshot directory (from `aurora data import` or `data synthetic`); None = the bundled one.
    # Not part of the config hash: a snapshot is identified by its lock hash (in the manifest and
    # every stage key), and `aurora advance` moves a run to a newer snapshot under the same config.
    snapshot: str | None = None
    sanity_mode: Literal["strict", "repair"] = "strict"
    bad_tick_return_threshold: float = Field(0.5, gt=0, le=100, allow_inf_nan=False)


class ModelConfig(BaseModel):
    model_config = _FROZEN
    min_train_years: int = Field(2, gt=0, le=100)
    ridge_alpha: float = Field(1.0, gt=0, le=1e12, allow_inf_nan=False)


class DecisionConfig(BaseModel):
    model_config = _FROZEN
    top_k: int = Field(2, gt=0, le=MAX_COUNT)
    max_weight: float = Field(0.5, gt=0, le=1, allow_inf_nan=False)
    max_gross: float = Field(1.0, gt=0, le=2, allow_inf_nan=False)


class UniverseConfig(BaseModel):
    """`[universe]`: names that fail any of these at a session are kept out of its decisions.

    Each is a limit: finite and > 0 (a filter cannot be disabled, only loosened).
    """

    model_config = _FROZEN
    min_price: float = Field(0.01, gt=0, allow_inf_nan=False)  # USD, raw close
    min_dollar_volume: float = Field(100_000.0, gt=0, allow_inf_nan=False)  # USD a session, median
    dollar_volume_window_sessions: int = Field(21, gt=0)  # the median's window, sessions up to t
    min_history_sessions: int = Field(63, gt=0)  # bars up to t; the features' warm-up is 63


_BROKER = BrokerConfig()  # the paper broker declares the cost and cash defaults once


class ExecutionConfig(BaseModel):
    """How decisions become orders, and the paper broker's costs (defaults: the broker's own)."""

    model_config = _FROZEN
    limit_offset_bps: float = Field(50.0, gt=0, lt=10_000, allow_inf_nan=False)  # limit = close ± offset
    commission_per_share_usd: float = Field(
        _BROKER.commission_per_share_usd, ge=0, le=100, allow_inf_nan=False
    )
    min_commission_usd: float = Field(_BROKER.min_commission_usd, ge=0, le=1e6, allow_inf_nan=False)
    slippage_bps: float = Field(_BROKER.slippage_bps, ge=0, lt=10_000, allow_inf_nan=False)
    starting_cash_usd: float = Field(
        _BROKER.starting_cash_usd, gt=0, le=MAX_NOTIONAL_USD, allow_inf_nan=False
    )
    allow_short: bool = False  # long-only book: a sell beyond the held shares is SHORT_SALE


class BrokerKindConfig(BaseModel):
    """`[broker]`: which registered broker the run trades through; its costs stay in `[execution]`.

    Left out of the config's dump at the default, so config.json, the manifest and the
    identity of a paper run read as they did before the section existed.
    """

    model_config = _FROZEN
    kind: str = DEFAULT_BROKER_KIND

    @field_validator("kind")
    @classmethod
    def _registered(cls, kind: str) -> str:
        if kind not in broker_kinds():
            raise ValueError(f"must be a registered broker kind ({', '.join(broker_kinds())})")
        return kind


_DEFAULT_BROKER = BrokerKindConfig()


class BlessConfig(BaseModel):
    """`aurora bless` thresholds: what a candidate must show to replace the champion (ADR 0006)."""

    model_config = _FROZEN
    champion_sharpe_tolerance: float = Field(0.05, ge=0, allow_inf_nan=False)  # Sharpe units, as the ratchet
    champion_drawdown_tolerance_frac: float = Field(0.01, ge=0, le=1, allow_inf_nan=False)
    champion_turnover_tolerance_frac: float = Field(0.01, ge=0, allow_inf_nan=False)  # of equity per session
    baseline_sharpe_margin: float = Field(0.10, ge=0, allow_inf_nan=False)  # below a baseline by at most this
    baseline_drawdown_margin_frac: float = Field(0.0, ge=0, le=1, allow_inf_nan=False)
    max_slice_loss_frac: float = Field(0.10, ge=0, le=1, allow_inf_nan=False)  # a year, or a group's P&L
    slice_groups: int = Field(4, gt=0, le=MAX_COUNT)  # symbol groups: sha256(symbol) mod this
    skew_sessions: int = Field(10, gt=0, le=MAX_COUNT)  # sessions advanced through the daily path
    drift_window_sessions: int = Field(
        63, gt=1, le=MAX_COUNT
    )  # the latest window compared with the training window
    drift_bins: int = Field(10, ge=2, le=MAX_COUNT)  # quantile bins of the training window (Jensen-Shannon)
    drift_threshold: float = Field(0.1, gt=0, allow_inf_nan=False)  # TFDV / Evidently default
    drift_envelope_quantile: float = Field(0.95, gt=0, le=1, allow_inf_nan=False)
    max_model_age_sessions: int = Field(260, gt=0, le=MAX_COUNT)  # a yearly refit plus its purge


_ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"
_SAFETY_ENV = (KILL_VAR, ROLLBACK_VAR, FLAG_PREFIX)  # aurora_safety's alone (KILL_VAR covers KILL_FILE_VAR)


class AlertsConfig(BaseModel):
    """Where alerts are pushed (run/notify.py). Not part of the config identity: it changes no trade.

    The webhook's URL is a secret, so the config names the environment variable that holds it
    (``webhook_url_env``), never the URL. ``command`` is an argv (no shell) run with the alert
    JSON on stdin. Delivery runs beside trading with bounded retries; a command waits at most
    ``exit_wait_secs`` at its end for deliveries still in flight.
    """

    model_config = _FROZEN
    webhook_url_env: str | None = Field(None, pattern=_ENV_NAME)
    command: list[str] | None = Field(None, min_length=1)
    timeout_secs: float = Field(5.0, gt=0, le=60, allow_inf_nan=False)  # per attempt
    max_attempts: int = Field(4, ge=1, le=10)
    backoff_secs: float = Field(1.0, gt=0, le=60, allow_inf_nan=False)  # doubled after each failed attempt
    exit_wait_secs: float = Field(10.0, ge=0, le=120, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_secrets_in_files(cls, data: Any) -> Any:
        if isinstance(data, dict) and "webhook_url" in data:
            raise ValueError(
                "webhook_url is a secret and does not belong in a config file: put it in an environment "
                "variable and name that variable with webhook_url_env"
            )
        return data

    @field_validator("webhook_url_env")
    @classmethod
    def _not_a_safety_variable(cls, name: str | None) -> str | None:
        if name is not None and name.startswith(_SAFETY_ENV):
            raise ValueError(f"must not name a kill/rollback/flag variable ({name})")
        return name


class RunConfig(BaseModel):
    """Everything a run depends on besides the snapshot and the code."""

    model_config = _FROZEN
    start: date | None = None
    end: date | None = None
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    decisions: DecisionConfig = DecisionConfig()
    universe: UniverseConfig = UniverseConfig()
    execution: ExecutionConfig = ExecutionConfig()
    broker: BrokerKindConfig = _DEFAULT_BROKER
    limits: Limits = Limits()
    flags: dict[str, bool] = Field(default_factory=dict)
    bless: BlessConfig = BlessConfig()
    alerts: AlertsConfig = AlertsConfig()

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.broker == _DEFAULT_BROKER:
            del data["broker"]  # the default paper broker dumps as before [broker] existed
        return data

    def config_hash(self) -> str:
        """The run's identity: effective trading values only (``identity.py``, ADR 0011)."""
        return identity_hash(self.model_dump(mode="json"))

    def with_snapshot(self, snapshot: Path | None) -> RunConfig:
        """The same config reading another snapshot directory (absolute path), hash unchanged."""
        value = None if snapshot is None else str(Path(snapshot).absolute())
        return self.model_copy(update={"data": self.data.model_copy(update={"snapshot": value})})


def load_config(path: Path | None, *, snapshot: Path | None = None, **overrides: Any) -> RunConfig:
    """Read a TOML config (or the defaults) and apply CLI overrides; one-line errors.

    A relative ``[data] snapshot`` is taken relative to the config file; ``snapshot``
    (``--snapshot DIR``) overrides it, relative to the working directory.
    """
    source = str(path) if path is not None else DEFAULT_SOURCE
    data: dict[str, Any] = {}
    if path is not None and path.suffix == ".json":
        data = _frozen_json(path, source)
    elif path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError("config", "must be a readable TOML file", "missing", source) from None
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(
                "config", "must be a readable TOML file", type(error).__name__, source
            ) from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError("config", "must be valid TOML", str(error), source) from None
    data.update({key: value for key, value in overrides.items() if value is not None})
    section = data.get("data")
    if path is not None and isinstance(section, dict) and isinstance(section.get("snapshot"), str):
        data["data"] = {**section, "snapshot": str((path.parent / section["snapshot"]).absolute())}
    config = validate_config(data, source)
    return config if snapshot is None else config.with_snapshot(snapshot)


def _frozen_json(path: Path, source: str) -> dict[str, Any]:
    """A run directory's config.json: rerun exactly what another run ran."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        config = data["config"]
    except FileNotFoundError:
        raise ConfigError("config", "must be a readable file", "missing", source) from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError("config", "must be a run's config.json", type(error).__name__, source) from None
    if not isinstance(config, dict):
        raise ConfigError("config", "must be a table", type(config).__name__, source)
    return dict(config)


def validate_config(data: Mapping[str, Any], source: str) -> RunConfig:
    """A config from plain data (a TOML table or a run's frozen config.json)."""
    sections = dict(data)
    limits = load_limits(sections.pop("limits", {}), source)
    for key in sections:
        if key not in RunConfig.model_fields:
            raise ConfigError.unknown_field(key, sections[key], source, list(RunConfig.model_fields))
    try:
        config = RunConfig.model_validate({**sections, "limits": limits}, strict=False)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        value = first.get("input")
        raise ConfigError(field, first["msg"].lower(), value, source) from None
    if config.start is not None and config.end is not None and config.start > config.end:
        raise ConfigError("start", f"must not be after end ({config.end})", str(config.start), source)
    band = config.limits.price_band_bps
    if config.execution.limit_offset_bps > band:  # every order would be refused PRICE_BAND
        offset = config.execution.limit_offset_bps
        raise ConfigError(
            "execution.limit_offset_bps", f"must be <= limits.price_band_bps ({band})", offset, source
        )
    return config
