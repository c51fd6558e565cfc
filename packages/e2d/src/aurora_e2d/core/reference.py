"""Where a team's goldens live: ``[gates] goldens`` in the project file, else the bundled ``goldens/``.

The goldens directory holds the reference the gates judge runs against
(``metrics.json``: golden metrics, baseline hashes and the snapshot and config
they belong to) and the ledger of blessings recorded for that reference. It
lives here, below the gates, because `aurora bless` counts its trials there.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from aurora_safety import ConfigError

__all__ = [
    "BLESSINGS_LEDGER",
    "BUNDLED_GOLDENS",
    "GOLDENS_METRICS",
    "PROJECT_FILE",
    "GoldensLocation",
    "find_goldens",
    "locate_goldens",
]

PROJECT_FILE = "aurora.toml"  # at the repository root
BUNDLED_GOLDENS = Path("goldens")  # the demo's goldens: the default when the project file names none
GOLDENS_METRICS = "metrics.json"  # the goldens file inside a goldens directory
BLESSINGS_LEDGER = "blessings.jsonl"  # one line per recorded blessing, beside metrics.json
_GATES_KEYS = ("goldens",)


@dataclass(frozen=True, slots=True)
class GoldensLocation:
    directory: Path  # absolute
    source: str  # "aurora.toml [gates] goldens" or "bundled"

    @property
    def bundled(self) -> bool:
        return self.source == "bundled"

    @property
    def ledger(self) -> Path:
        return self.directory / BLESSINGS_LEDGER


def locate_goldens(root: Path) -> GoldensLocation:
    """The goldens directory named by ``root/aurora.toml``, or ``root/goldens``; one-line errors."""
    path = root / PROJECT_FILE
    if not path.is_file():
        return GoldensLocation((root / BUNDLED_GOLDENS).absolute(), "bundled")
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(
            "project file", "must be a readable TOML file", type(error).__name__, source
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError("project file", "must be valid TOML", str(error), source) from None
    gates = data.get("gates")
    if gates is None:
        return GoldensLocation((root / BUNDLED_GOLDENS).absolute(), "bundled")
    if not isinstance(gates, dict):
        raise ConfigError("gates", "must be a table", type(gates).__name__, source)
    for key in gates:
        if key not in _GATES_KEYS:
            raise ConfigError(
                f"gates.{key}", f"is not a known field (allowed: {', '.join(_GATES_KEYS)})", source=source
            )
    goldens = gates.get("goldens")
    if not isinstance(goldens, str) or not goldens.strip():
        raise ConfigError(
            "gates.goldens", "must be a directory path (relative to aurora.toml)", goldens, source
        )
    return GoldensLocation((root / goldens).absolute(), f"{PROJECT_FILE} [gates] goldens")


def find_goldens(start: Path | None = None) -> GoldensLocation:
    """The goldens of the nearest repository above ``start`` (the cwd), else of the installed one."""
    from aurora_e2d.core.paths import repo_root

    here = (start or Path.cwd()).absolute()
    for base in (here, *here.parents):
        if (base / PROJECT_FILE).is_file() or (base / BUNDLED_GOLDENS / GOLDENS_METRICS).is_file():
            return locate_goldens(base)
    return locate_goldens(repo_root())
