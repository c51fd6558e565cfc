"""The config identity (ADR 0011): what changes trading changes it, nothing else does, and every
config field is classified so a new one cannot silently orphan (or silently join) a run."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from _runs import REPO_ROOT
from aurora_e2d.rundir import identity
from aurora_e2d.rundir.config import RunConfig, validate_config
from aurora_e2d.rundir.identity import (
    IDENTITY_V1_FIELDS,
    NEUTRAL,
    NON_TRADING_SECTIONS,
    identity_hash,
    legacy_config_hash,
)

FIXTURE_CONFIG = REPO_ROOT / "tests" / "fixtures" / "releases" / "cd38524-run" / "config.json"


def _paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    found = []
    for name, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            found += _paths(kind, f"{prefix}{name}.")
        else:
            found.append(f"{prefix}{name}")
    return found


def test_every_config_field_is_classified_for_the_identity() -> None:
    unclassified = [
        path
        for path in _paths(RunConfig)
        if path not in IDENTITY_V1_FIELDS
        and path not in NEUTRAL
        and path != "data.snapshot"
        and path.split(".", 1)[0] not in NON_TRADING_SECTIONS
    ]
    assert not unclassified, (
        f"config fields {unclassified} are neither identity-v1, registered in identity.NEUTRAL with their "
        "legacy-neutral value, nor in a NON_TRADING_SECTIONS section: see docs/adr/0011"
    )


def _with(section: str, **values: Any) -> RunConfig:
    data = RunConfig().model_dump(mode="json")
    data[section] = {**data[section], **values}
    return validate_config(data, "test")


def test_trading_values_change_the_identity_and_nothing_else_does() -> None:
    base = RunConfig().config_hash()
    assert _with("decisions", top_k=3).config_hash() != base
    assert _with("execution", slippage_bps=7.0).config_hash() != base
    assert _with("limits", max_session_orders=7).config_hash() != base
    assert _with("bless", slice_groups=9).config_hash() == base  # judges runs, never trades
    assert RunConfig().with_snapshot(REPO_ROOT).config_hash() == base


def test_a_new_field_at_its_neutral_value_keeps_the_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    dumped = RunConfig().model_dump(mode="json")
    before = identity_hash(dumped)
    # a section a later release might add (a hypothetical one: [universe] already exists)
    newer = {**dumped, "hedging": {"beta_cap": 0.0}, "alerts": {"webhook_url": "https://x"}}
    assert identity_hash(newer) != before  # unregistered: counted, never silently ignored
    monkeypatch.setitem(NEUTRAL, "hedging.beta_cap", 0.0)
    assert identity_hash(newer) == before  # neutral value: an older run continues
    assert identity_hash({**newer, "hedging": {"beta_cap": 5.0}}) != before  # trades differently


def test_the_identity_is_versioned_and_canonical() -> None:
    content = identity.config_identity(RunConfig().model_dump(mode="json"))
    assert content["identity_version"] == identity.IDENTITY_VERSION
    assert "bless.slice_groups" not in content["values"]
    assert "data.snapshot" not in content["values"]
    # v1's fields, and the later ones whose value differs from their neutral one ([universe]'s
    # defaults filter names out, so they always count: ADR 0013)
    later = {path for path in NEUTRAL if path.split(".", 1)[0] == "universe"}
    assert set(content["values"]) == IDENTITY_V1_FIELDS | later


def test_the_legacy_hash_reproduces_what_the_previous_release_recorded() -> None:
    frozen = json.loads(FIXTURE_CONFIG.read_text())
    assert legacy_config_hash(frozen["config"]) == frozen["config_hash"]
    edited = json.loads(json.dumps(frozen["config"]))
    edited["decisions"]["top_k"] += 1
    assert legacy_config_hash(edited) != frozen["config_hash"]
