"""The one place in Aurora that reads safety environment variables.

A pre-commit hook refuses code outside ``aurora_safety`` that mentions
``AURORA_KILL``, ``AURORA_KILL_FILE``, ``AURORA_ROLLBACK`` or ``AURORA_FLAG_*``,
so every parse (truthy values, fail-closed handling of odd values) lives here
and cannot drift between packages.

Truthy: ``1``, ``true``, ``yes``; falsy: ``0``, ``false``, ``no``; any case,
surrounding whitespace stripped.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from aurora_safety.errors import ConfigError

__all__ = [
    "FALSY",
    "FLAG_PREFIX",
    "KILL_FILE_VAR",
    "KILL_VAR",
    "ROLLBACK_VAR",
    "TRUTHY",
    "environment",
    "flag_env_values",
    "flag_var",
    "kill_env_trigger",
    "kill_file_env",
    "parse_bool",
    "rollback_env",
]

KILL_VAR = "AURORA_KILL"
KILL_FILE_VAR = "AURORA_KILL_FILE"
ROLLBACK_VAR = "AURORA_ROLLBACK"
FLAG_PREFIX = "AURORA_FLAG_"

TRUTHY = frozenset({"1", "true", "yes"})
FALSY = frozenset({"0", "false", "no"})


def environment(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    """``environ`` if given (tests inject one), else the process environment."""
    return os.environ if environ is None else environ


def parse_bool(raw: str) -> bool | None:
    """True for a truthy word, False for a falsy one, None when it is neither."""
    word = raw.strip().lower()
    if word in TRUTHY:
        return True
    if word in FALSY:
        return False
    return None


def kill_env_trigger(environ: Mapping[str, str] | None = None) -> str | None:
    """The trigger text if ``AURORA_KILL`` asks for a kill, else None.

    Unset, empty or falsy means no kill. Any other value (``on``, ``2``,
    ``kill``) fails closed: someone set the kill variable, so honour it.
    """
    raw = environment(environ).get(KILL_VAR)
    if raw is None or raw.strip() == "":
        return None
    parsed = parse_bool(raw)
    if parsed is True:
        return f"env:{KILL_VAR}={raw.strip()}"
    if parsed is False:
        return None
    return f"env:{KILL_VAR}={raw.strip()!r} (unrecognised value, fail closed)"


def kill_file_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The ``AURORA_KILL_FILE`` path, or None when unset or blank."""
    raw = environment(environ).get(KILL_FILE_VAR)
    if raw is None or raw.strip() == "":
        return None
    return raw.strip()


def rollback_env(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``AURORA_ROLLBACK`` forces every flag off.

    Unset, empty or falsy means no rollback; an unrecognised value counts as
    rollback, the safe direction (flags off is the reviewed baseline).
    """
    raw = environment(environ).get(ROLLBACK_VAR)
    if raw is None or raw.strip() == "":
        return False
    return parse_bool(raw) is not False


def flag_var(name: str) -> str:
    """Environment variable that overrides flag ``name``: ``AURORA_FLAG_HGB_MODEL``."""
    return FLAG_PREFIX + name.upper()


def flag_env_values(environ: Mapping[str, str] | None = None) -> dict[str, bool]:
    """Every ``AURORA_FLAG_<NAME>`` as ``{name.lower(): bool}``, sorted by name.

    A value that is neither truthy nor falsy (including empty) is a
    ConfigError: a flag must never be switched by a guess.
    """
    found: dict[str, bool] = {}
    env = environment(environ)
    for var in sorted(env):
        if not var.startswith(FLAG_PREFIX):
            continue
        raw = env[var]
        parsed = parse_bool(raw)
        if parsed is None:
            raise ConfigError(var, "must be one of 1/true/yes or 0/false/no", raw, "environment")
        found[var[len(FLAG_PREFIX) :].lower()] = parsed
    return found
