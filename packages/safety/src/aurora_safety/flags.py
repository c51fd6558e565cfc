"""Feature flags: declared once in ``flags.toml``, off by default, forced off by rollback.

The effective values are computed from the declarations, the run config and
the environment, in that order of precedence (environment wins), except that
``AURORA_ROLLBACK`` turns every flag off whatever the rest says - even when
the config or environment holds an invalid flag setting, because rollback is
the emergency lever and must always work.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from aurora_safety import env
from aurora_safety.errors import ConfigError

__all__ = [
    "DECLARATIONS_SOURCE",
    "FlagDeclaration",
    "FlagStatus",
    "declared_flags",
    "effective_flags",
    "load_declarations",
    "missing_adrs",
    "rollback_active",
]

DECLARATIONS_SOURCE = "aurora_safety/flags.toml"
_NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
_KEYS = ("name", "default", "description", "adr", "status")


class FlagStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class FlagDeclaration:
    """One ``[[flag]]`` entry; ``default`` is always False (validated on load)."""

    name: str
    default: bool
    description: str
    adr: str
    status: FlagStatus


def _entry(index: int, raw: Any, source: str) -> FlagDeclaration:
    where = f"flag[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(where, "must be a table", raw, source)
    for key in raw:
        if key not in _KEYS:
            raise ConfigError.unknown_field(f"{where}.{key}", raw[key], source, list(_KEYS))
    for key in _KEYS:
        if key not in raw:
            raise ConfigError(f"{where}.{key}", "is required", source=source)
    name = raw["name"]
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(f"{where}.name", "must be a lowercase snake_case name", name, source)
    where = f"flag.{name}"
    if raw["default"] is not False:
        raise ConfigError(f"{where}.default", "must be false", raw["default"], source)
    description = raw["description"]
    if not isinstance(description, str) or not description.strip():
        raise ConfigError(f"{where}.description", "must be a non-empty string", description, source)
    adr = raw["adr"]
    parts = PurePosixPath(adr).parts if isinstance(adr, str) else ()
    if not (len(parts) > 2 and parts[:2] == ("docs", "adr") and ".." not in parts and adr.endswith(".md")):
        raise ConfigError(f"{where}.adr", "must be a relative path docs/adr/<file>.md", adr, source)
    status = raw["status"]
    if status not in {s.value for s in FlagStatus}:
        raise ConfigError(f"{where}.status", "must be one of 'active', 'retired'", status, source)
    return FlagDeclaration(name, False, description, adr, FlagStatus(status))


def load_declarations(
    text: str | None = None, source: str = DECLARATIONS_SOURCE
) -> tuple[FlagDeclaration, ...]:
    """Parse and validate a declaration file (the packaged ``flags.toml`` by default).

    Names are unique across active *and* retired flags: declaring a retired
    name again, under any status, is refused.
    """
    if text is None:
        text = resources.files("aurora_safety").joinpath("flags.toml").read_text("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("flags", f"must be valid TOML ({exc})", source=source) from None
    for key in data:
        if key != "flag":
            raise ConfigError.unknown_field(key, data[key], source, ["flag"])
    entries = data.get("flag", [])
    if not isinstance(entries, list):
        raise ConfigError("flag", "must be an array of tables [[flag]]", entries, source)
    declarations: list[FlagDeclaration] = []
    seen: dict[str, FlagDeclaration] = {}
    for index, raw in enumerate(entries):
        decl = _entry(index, raw, source)
        if decl.name in seen:
            first = seen[decl.name]
            raise ConfigError(
                f"flag.{decl.name}",
                f"is already declared ({first.status}); a flag name can never be reused",
                decl.name,
                source,
            )
        seen[decl.name] = decl
        declarations.append(decl)
    return tuple(declarations)


@cache
def declared_flags() -> tuple[FlagDeclaration, ...]:
    """The packaged declarations, parsed once per process."""
    return load_declarations()


def rollback_active(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``AURORA_ROLLBACK`` is set: every flag is forced off."""
    return env.rollback_env(environ)


def _apply(
    result: dict[str, bool],
    by_name: Mapping[str, FlagDeclaration],
    overrides: Mapping[str, bool],
    from_env: bool,
    source: str,
) -> None:
    for name, value in overrides.items():
        field = env.flag_var(name) if from_env else f"flags.{name}"
        decl = by_name.get(name)
        if decl is None:
            known = ", ".join(sorted(n for n, d in by_name.items() if d.status is FlagStatus.ACTIVE))
            raise ConfigError(
                field,
                "names no declared flag",
                value,
                source,
                message=f"unknown flag {name!r} in {field} (declared: {known}) ({source})",
            )
        if not isinstance(value, bool):
            raise ConfigError(field, "must be true or false", value, source)
        if decl.status is FlagStatus.RETIRED:
            if value:
                raise ConfigError(field, "is a retired flag and can never be enabled", value, source)
            continue
        result[name] = value


def effective_flags(
    config_overrides: Mapping[str, bool] | None = None,
    environ: Mapping[str, str] | None = None,
    declarations: tuple[FlagDeclaration, ...] | None = None,
    source: str = "config",
) -> dict[str, bool]:
    """Effective value of every active flag, sorted by name (what the manifest records).

    Defaults (all False), then ``config_overrides``, then ``AURORA_FLAG_<NAME>``.
    Unknown names, non-bool values and enabling a retired flag are
    ConfigErrors. ``AURORA_ROLLBACK`` forces all to False, first.
    """
    decls = declared_flags() if declarations is None else declarations
    result = {d.name: d.default for d in sorted(decls, key=lambda d: d.name) if d.status is FlagStatus.ACTIVE}
    if rollback_active(environ):
        return {name: False for name in result}
    by_name = {d.name: d for d in decls}
    _apply(result, by_name, dict(config_overrides or {}), False, source)
    _apply(result, by_name, env.flag_env_values(environ), True, "environment")
    return result


def missing_adrs(
    root: Path, declarations: tuple[FlagDeclaration, ...] | None = None
) -> tuple[FlagDeclaration, ...]:
    """Declarations whose ADR file does not exist under the repository ``root``."""
    decls = declared_flags() if declarations is None else declarations
    return tuple(d for d in decls if not (Path(root) / d.adr).is_file())
