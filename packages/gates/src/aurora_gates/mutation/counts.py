"""What mutmut says: its cicd stats, its per-mutant statuses, and our list of equivalent mutants.

Each reader fails closed with ``MutationError``: a stats file that is missing,
malformed or adds up to more than its total cannot be scored.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "EQUIVALENTS_FILE",
    "KNOWN_STATUSES",
    "NOT_COUNTED_AGAINST",
    "STATS_KEYS",
    "STATS_RELPATH",
    "MutationError",
    "MutationStats",
    "load_equivalents",
    "parse_results",
    "parse_stats",
]

STATS_RELPATH = Path("mutants") / "mutmut-cicd-stats.json"
EQUIVALENTS_FILE = "mutation-equivalents.toml"
STATS_KEYS = (
    "killed",
    "survived",
    "total",
    "no_tests",
    "skipped",
    "suspicious",
    "timeout",
    "check_was_interrupted_by_user",
    "segfault",
)
NOT_COUNTED_AGAINST = frozenset({"killed", "timeout", "skipped"})  # every other status lowers the score
KNOWN_STATUSES = (
    "killed",
    "survived",
    "timeout",
    "skipped",
    "no tests",
    "suspicious",
    "segfault",
    "not checked",
    "caught by type check",
    "check was interrupted by user",
)
_RESULT_LINE = re.compile(r"^\s+(\S+): (" + "|".join(re.escape(s) for s in KNOWN_STATUSES) + r")\s*$")


class MutationError(Exception):
    """The mutation run could not produce a trustworthy result (the gate fails with this reason)."""


@dataclass(frozen=True)
class MutationStats:
    """The counts of ``mutmut export-cicd-stats``."""

    killed: int
    survived: int
    total: int
    no_tests: int = 0
    skipped: int = 0
    suspicious: int = 0
    timeout: int = 0
    check_was_interrupted_by_user: int = 0
    segfault: int = 0

    @property
    def denominator(self) -> int:
        return self.total - self.skipped

    @property
    def detected(self) -> int:
        return self.killed + self.timeout

    @property
    def score(self) -> float | None:
        """(killed + timeout) / (total - skipped); None when nothing was tested (vacuous)."""
        if self.denominator <= 0:
            return None
        return self.detected / self.denominator

    def as_dict(self) -> dict[str, int]:
        return {key: getattr(self, key) for key in STATS_KEYS}


def parse_stats(path: Path) -> MutationStats:
    """Read ``mutmut-cicd-stats.json``; ``MutationError`` if missing, malformed or inconsistent."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MutationError(f"mutmut wrote no stats file {path}") from None
    except (OSError, ValueError) as exc:
        raise MutationError(f"unreadable mutmut stats {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise MutationError(f"mutmut stats {path} is not a JSON object")
    missing = [key for key in ("killed", "survived", "total") if key not in raw]
    if missing:
        raise MutationError(f"mutmut stats {path} lack {', '.join(missing)}")
    values: dict[str, int] = {}
    for key in STATS_KEYS:
        value = raw.get(key, 0)
        if type(value) is not int or value < 0:  # bool is not a count either
            raise MutationError(f"mutmut stats {path}: '{key}' must be a count >= 0, was {value!r}")
        values[key] = value
    stats = MutationStats(**values)
    listed = sum(v for k, v in values.items() if k != "total")
    if listed > stats.total:
        raise MutationError(
            f"mutmut stats {path}: the counts add up to {listed}, more than total {stats.total}"
        )
    return stats


def parse_results(text: str) -> dict[str, str]:
    """``mutmut results --all true`` lines (``    name: status``) -> {name: status}."""
    statuses: dict[str, str] = {}
    for line in text.splitlines():
        match = _RESULT_LINE.match(line)
        if match:
            statuses[match.group(1)] = match.group(2)
    return statuses


def load_equivalents(path: Path) -> dict[str, str]:
    """The ``[equivalent]`` map (mutant name -> one-line reason); empty when the file does not exist."""
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MutationError(f"unreadable equivalents file {path}: {exc}") from None
    table = data.get("equivalent", {})
    if not isinstance(table, dict):
        raise MutationError(f"{path}: [equivalent] must be a table of mutant name -> reason")
    for name, reason in table.items():
        if not isinstance(reason, str) or not reason.strip() or "\n" in reason.strip():
            raise MutationError(f"{path}: the reason for {name!r} must be one non-empty line")
    return {name: reason.strip() for name, reason in table.items()}
