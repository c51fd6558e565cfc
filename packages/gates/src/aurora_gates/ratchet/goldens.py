"""goldens/metrics.json: each golden metric with its better direction and tolerance, the
sha256 of the flags-off baseline's decisions and fills, and the reference they belong to
(the snapshot's lock hash and the config); validated strictly when read.

A file without ``reference`` (written before it existed) belongs to the bundled snapshot.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, assert_never

from aurora_e2d.report.golden import Direction, worse_beyond_tolerance
from aurora_e2d.rundir.artifacts import atomic_write_bytes
from aurora_safety import AuroraError

__all__ = [
    "GOLDENS",
    "Direction",
    "GoldenMetric",
    "Goldens",
    "GoldensReference",
    "RatchetError",
    "load_goldens",
    "write_goldens",
]

GOLDENS = Path("goldens") / "metrics.json"
_METRIC_KEYS = ("value", "direction", "tolerance")
_TOP_KEYS = ("metrics", "baseline_hashes", "reference")
_REFERENCE_KEYS = ("snapshot_lock_sha256", "snapshot", "config", "config_hash")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class RatchetError(AuroraError, ValueError):
    """Bad goldens, a missing summary, or a refused update; the CLI prints it and exits 2."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GoldenMetric:
    value: float | None  # None: a placeholder that fails every comparison until populated
    direction: Direction
    tolerance: float  # absolute, in the metric's own unit

    def better(self, candidate: float, than: float) -> bool:
        match self.direction:
            case Direction.HIGHER:
                return candidate > than
            case Direction.LOWER:
                return candidate < than
            case _:
                assert_never(self.direction)

    def worse_beyond_tolerance(self, candidate: float) -> bool:
        """Worse by more than the tolerance; a shortfall equal to it (to float rounding) passes."""
        assert self.value is not None
        return worse_beyond_tolerance(self.value, candidate, self.direction, self.tolerance)

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "direction": str(self.direction), "tolerance": self.tolerance}


@dataclass(frozen=True, slots=True, kw_only=True)
class GoldensReference:
    """The snapshot and config the goldens were measured on; runs of any other are refused."""

    snapshot_lock_sha256: str
    snapshot: str | None = None  # relative to the goldens directory; None: the bundled snapshot
    config: str | None = None  # a run config.json in the goldens directory; None: this revision's defaults
    config_hash: str | None = None  # that config's hash, its window aside; None with config None

    @classmethod
    def from_dict(cls, raw: Any, source: str) -> GoldensReference:
        where = f"{source}: 'reference'"
        if not isinstance(raw, Mapping):
            raise RatchetError(f"{where} must be an object, was {raw!r}")
        for key in raw:
            if key not in _REFERENCE_KEYS:
                raise RatchetError(f"{where}: unknown key {key!r} (allowed: {', '.join(_REFERENCE_KEYS)})")
        for key in ("snapshot_lock_sha256", "config_hash"):
            value = raw.get(key)
            if (value is not None or key == "snapshot_lock_sha256") and (
                not isinstance(value, str) or not _SHA256.fullmatch(value)
            ):
                raise RatchetError(f"{where}.{key} must be a sha256 hex digest, was {value!r}")
        for key in ("snapshot", "config"):
            value = raw.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise RatchetError(f"{where}.{key} must be a path or null, was {value!r}")
        if (raw.get("config") is None) != (raw.get("config_hash") is None):
            raise RatchetError(f"{where}: 'config' and 'config_hash' go together (both set or both null)")
        return cls(
            snapshot_lock_sha256=raw["snapshot_lock_sha256"],
            snapshot=raw.get("snapshot"),
            config=raw.get("config"),
            config_hash=raw.get("config_hash"),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshot_lock_sha256": self.snapshot_lock_sha256,
            "snapshot": self.snapshot,
            "config": self.config,
            "config_hash": self.config_hash,
        }


@dataclass(frozen=True, slots=True)
class Goldens:
    metrics: Mapping[str, GoldenMetric]
    baseline_hashes: Mapping[str, str] = field(default_factory=dict)
    reference: GoldensReference | None = None  # None: a file from before references (the bundled snapshot)

    @classmethod
    def from_dict(cls, data: Any, source: str = str(GOLDENS)) -> Goldens:
        """Validate strictly: unknown keys, bad directions and bad tolerances are refused."""
        if not isinstance(data, Mapping):
            raise RatchetError(f"{source}: must be a JSON object, was {type(data).__name__}")
        for key in data:
            if key not in _TOP_KEYS:
                raise RatchetError(f"{source}: unknown key {key!r} (allowed: {', '.join(_TOP_KEYS)})")
        raw_metrics = data.get("metrics")
        if not isinstance(raw_metrics, Mapping) or not raw_metrics:
            raise RatchetError(f"{source}: 'metrics' must be a non-empty object, was {raw_metrics!r}")
        metrics = {name: _metric(name, raw, source) for name, raw in sorted(raw_metrics.items())}
        hashes = data.get("baseline_hashes", {})
        if not isinstance(hashes, Mapping):
            raise RatchetError(f"{source}: 'baseline_hashes' must be an object, was {hashes!r}")
        for name, sha in hashes.items():
            if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
                raise RatchetError(
                    f"{source}: 'baseline_hashes.{name}' must be a sha256 hex digest, was {sha!r}"
                )
        reference = data.get("reference")
        return cls(
            metrics,
            dict(sorted(hashes.items())),
            None if reference is None else GoldensReference.from_dict(reference, source),
        )

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "metrics": {name: m.as_dict() for name, m in sorted(self.metrics.items())},
            "baseline_hashes": dict(sorted(self.baseline_hashes.items())),
        }
        if self.reference is not None:
            data["reference"] = self.reference.as_dict()
        return data


def _metric(name: str, raw: Any, source: str) -> GoldenMetric:
    where = f"{source}: 'metrics.{name}'"
    if not isinstance(raw, Mapping):
        raise RatchetError(f"{where} must be an object, was {raw!r}")
    for key in raw:
        if key not in _METRIC_KEYS:
            raise RatchetError(f"{where}: unknown key {key!r} (allowed: {', '.join(_METRIC_KEYS)})")
    value = raw.get("value")
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
    ):
        raise RatchetError(f"{where}.value must be a finite number or null, was {value!r}")
    direction = raw.get("direction")
    if direction not in {d.value for d in Direction}:
        raise RatchetError(f"{where}.direction must be 'higher' or 'lower', was {direction!r}")
    tolerance = raw.get("tolerance")
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, int | float)
        or not (0 <= tolerance < math.inf)
    ):
        raise RatchetError(f"{where}.tolerance must be a finite number >= 0, was {tolerance!r}")
    return GoldenMetric(
        value=None if value is None else float(value),
        direction=Direction(direction),
        tolerance=float(tolerance),
    )


def load_goldens(path: Path) -> Goldens:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RatchetError(f"{path}: goldens file does not exist") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise RatchetError(f"{path}: not valid JSON ({error})") from None
    return Goldens.from_dict(data, str(path))


def write_goldens(path: Path, goldens: Goldens) -> None:
    atomic_write_bytes(path, (json.dumps(goldens.as_dict(), indent=2, sort_keys=True) + "\n").encode())
