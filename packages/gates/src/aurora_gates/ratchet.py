"""The ratchet: a run's metrics may not get worse than the goldens, and goldens only tighten.

`goldens/metrics.json` pins each golden metric with the direction that is
better and an absolute tolerance, plus the sha256 of the flags-off baseline's
decisions and fills. `compare` fails a metric that is worse than its golden
beyond tolerance, missing or null; `update` moves goldens only in the better
direction unless an existing ADR justifies loosening them. The L2 check
`ratchet` applies both to a real run directory.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, assert_never

from aurora_e2d.artifacts import atomic_write_bytes, sha256_file
from aurora_e2d.manifest import MANIFEST
from aurora_gates.registry import REGISTRY, CheckFailed, GateContext, Level
from aurora_safety import AuroraError

__all__ = [
    "BASELINE_ARTIFACTS",
    "GOLDENS",
    "SUMMARY",
    "Direction",
    "GoldenMetric",
    "Goldens",
    "RatchetError",
    "RatchetFinding",
    "Verdict",
    "baseline_mismatches",
    "check_adr",
    "compare",
    "describe_changes",
    "load_goldens",
    "load_summary",
    "run_baseline_hashes",
    "run_flags_on",
    "update",
    "write_goldens",
]

GOLDENS = Path("goldens") / "metrics.json"
SUMMARY = "summary.json"
# Artifacts of the flags-off baseline whose bytes are pinned in the goldens.
BASELINE_ARTIFACTS = ("decisions", "fills")
_ADR_NAME = re.compile(r"(\d{4})-[a-z0-9][a-z0-9-]*\.md")
_METRIC_KEYS = ("value", "direction", "tolerance")
_TOP_KEYS = ("metrics", "baseline_hashes")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_ROUNDING = 1e-12  # relative slack so that golden 0.06, tolerance 0.01, value 0.07 is "within"


class RatchetError(AuroraError, ValueError):
    """Bad goldens, a missing summary, or a refused update; the CLI prints it and exits 2."""


class Direction(StrEnum):
    HIGHER = "higher"  # a larger value is better (sharpe_ratio, max_drawdown: negative, nearer 0)
    LOWER = "lower"  # a smaller value is better (annual_volatility, turnover)


class Verdict(StrEnum):
    OK = "ok"  # equal, better, or worse within tolerance
    WORSE = "worse"  # worse than the golden beyond tolerance
    MISSING = "missing"  # the run has no finite value for the metric
    UNSET = "unset"  # the golden holds no value yet (populate with `aurora ratchet --update`)


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
        match self.direction:
            case Direction.HIGHER:
                shortfall = self.value - candidate
            case Direction.LOWER:
                shortfall = candidate - self.value
            case _:
                assert_never(self.direction)
        return shortfall - self.tolerance > _ROUNDING * max(1.0, abs(self.value))

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "direction": str(self.direction), "tolerance": self.tolerance}


@dataclass(frozen=True, slots=True)
class Goldens:
    metrics: Mapping[str, GoldenMetric]
    baseline_hashes: Mapping[str, str] = field(default_factory=dict)

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
        return cls(metrics, dict(sorted(hashes.items())))

    def as_dict(self) -> dict[str, Any]:
        return {
            "metrics": {name: m.as_dict() for name, m in sorted(self.metrics.items())},
            "baseline_hashes": dict(sorted(self.baseline_hashes.items())),
        }


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


@dataclass(frozen=True, slots=True, kw_only=True)
class RatchetFinding:
    metric: str
    verdict: Verdict
    golden: float | None
    value: float | None
    tolerance: float
    direction: Direction

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.OK

    @property
    def message(self) -> str:
        what = f"{self.direction} is better"
        match self.verdict:
            case Verdict.OK:
                return f"{self.metric}: {self.value!r} vs golden {self.golden!r} (tolerance {self.tolerance!r}, {what})"
            case Verdict.WORSE:
                return (
                    f"{self.metric}: {self.value!r} is worse than golden {self.golden!r} "
                    f"beyond tolerance {self.tolerance!r} ({what})"
                )
            case Verdict.MISSING:
                return f"{self.metric}: missing or null in summary.json (golden {self.golden!r})"
            case Verdict.UNSET:
                return (
                    f"{self.metric}: golden value is unset (null); populate it with `aurora ratchet --update`"
                )
            case _:
                assert_never(self.verdict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "verdict": str(self.verdict),
            "golden": self.golden,
            "value": self.value,
            "tolerance": self.tolerance,
            "direction": str(self.direction),
            "message": self.message,
        }


def _as_goldens(goldens: Goldens | Mapping[str, Any]) -> Goldens:
    return goldens if isinstance(goldens, Goldens) else Goldens.from_dict(goldens)


def _run_value(summary: Mapping[str, Any], metric: str) -> float | None:
    metrics = summary.get("metrics")
    if not isinstance(metrics, Mapping):
        return None
    value = metrics.get(metric)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def compare(summary: Mapping[str, Any], goldens: Goldens | Mapping[str, Any]) -> list[RatchetFinding]:
    """One finding per golden metric, in name order; better or equal always passes."""
    findings = []
    for name, golden in sorted(_as_goldens(goldens).metrics.items()):
        value = _run_value(summary, name)
        if golden.value is None:
            verdict = Verdict.UNSET
        elif value is None:
            verdict = Verdict.MISSING
        elif golden.worse_beyond_tolerance(value):
            verdict = Verdict.WORSE
        else:
            verdict = Verdict.OK
        findings.append(
            RatchetFinding(
                metric=name,
                verdict=verdict,
                golden=golden.value,
                value=value,
                tolerance=golden.tolerance,
                direction=golden.direction,
            )
        )
    return findings


def check_adr(adr: Path) -> Path:
    """An ADR that justifies loosening: an existing docs/adr/NNNN-title.md other than the template."""
    if adr.parent.name != "adr" or adr.parent.parent.name != "docs":
        raise RatchetError(f"'--adr' must name a file under docs/adr/, was '{adr}'")
    match = _ADR_NAME.fullmatch(adr.name)
    if match is None or match.group(1) == "0000":
        raise RatchetError(f"'--adr' must name an ADR docs/adr/NNNN-title.md (not the template), was '{adr}'")
    if not adr.is_file():
        raise RatchetError(f"'--adr' names an ADR that does not exist: '{adr}'")
    return adr


def update(
    goldens: Goldens | Mapping[str, Any],
    summary: Mapping[str, Any],
    *,
    allow_loosen: bool = False,
    adr: Path | None = None,
    baseline: Mapping[str, str] | None = None,
) -> Goldens:
    """New goldens: each metric moves only in its better direction (an unset golden is pinned).

    A worse value replaces its golden only with ``allow_loosen`` and an
    existing ``adr``. ``baseline`` (the flags-off run's artifact hashes, or
    None when the run had a flag on) replaces the pinned baseline hashes.
    Direction and tolerance never change here: edit them in the file, with an ADR.
    """
    current = _as_goldens(goldens)
    if allow_loosen and adr is None:
        raise RatchetError(
            "'--allow-loosen' needs '--adr docs/adr/NNNN-title.md' naming the ADR that justifies it"
        )
    if adr is not None and not allow_loosen:
        raise RatchetError("'--adr' only goes with '--allow-loosen'")
    if adr is not None:
        check_adr(adr)
    metrics: dict[str, GoldenMetric] = {}
    for name, golden in current.metrics.items():
        value = _run_value(summary, name)
        if value is None:
            raise RatchetError(
                f"summary.json: metric '{name}' is missing or null; goldens are not updated from it"
            )
        if golden.value is None or golden.better(value, golden.value) or allow_loosen:
            metrics[name] = replace(golden, value=value)
        else:
            metrics[name] = golden
    hashes = current.baseline_hashes if baseline is None else dict(baseline)
    return Goldens(metrics, dict(sorted(hashes.items())))


def describe_changes(old: Goldens, new: Goldens) -> list[str]:
    """One line per golden that moved, saying which way."""
    lines = []
    for name, before in sorted(old.metrics.items()):
        after = new.metrics[name].value
        if after == before.value:
            continue
        if before.value is None:
            kind = "pinned"
        elif after is not None and before.better(after, before.value):
            kind = "tightened"
        else:
            kind = "LOOSENED"
        lines.append(f"{name}: {kind} {before.value!r} -> {after!r} ({before.direction} is better)")
    for name in sorted(set(old.baseline_hashes) | set(new.baseline_hashes)):
        before_sha, after_sha = old.baseline_hashes.get(name), new.baseline_hashes.get(name)
        if before_sha != after_sha:
            lines.append(f"baseline_hashes.{name}: {before_sha} -> {after_sha}")
    return lines


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


def _load_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RatchetError(f"{path}: {what} does not exist") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise RatchetError(f"{path}: {what} is not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise RatchetError(f"{path}: {what} must be a JSON object")
    return data


def load_summary(run_dir: Path) -> dict[str, Any]:
    summary = _load_json(run_dir / SUMMARY, SUMMARY)
    if not isinstance(summary.get("metrics"), Mapping):
        raise RatchetError(f"{run_dir / SUMMARY}: has no 'metrics' object")
    return summary


def run_flags_on(run_dir: Path) -> list[str]:
    """Names of the flags the run's manifest records as on."""
    flags = _load_json(run_dir / MANIFEST, MANIFEST).get("flags")
    if not isinstance(flags, Mapping):
        raise RatchetError(f"{run_dir / MANIFEST}: has no 'flags' object")
    return sorted(name for name, on in flags.items() if on is not False)


def run_baseline_hashes(run_dir: Path, names: tuple[str, ...] = BASELINE_ARTIFACTS) -> dict[str, str]:
    """sha256 of the run's baseline artifacts, hashed from the files (not trusted from the manifest)."""
    artifacts = _load_json(run_dir / MANIFEST, MANIFEST).get("artifacts", {})
    hashes = {}
    for name in names:
        entry = artifacts.get(name) if isinstance(artifacts, Mapping) else None
        if not isinstance(entry, Mapping) or "path" not in entry:
            raise RatchetError(f"{run_dir / MANIFEST}: artifact '{name}' is not listed")
        path = run_dir / entry["path"]
        if not path.is_file():
            raise RatchetError(f"{path}: artifact '{name}' is missing")
        hashes[name] = sha256_file(path)
    return hashes


def baseline_mismatches(
    pinned: Mapping[str, str], actual: Mapping[str, str]
) -> dict[str, dict[str, str | None]]:
    """Artifacts whose pinned hash is absent or differs from the run's, by name."""
    names = sorted(set(BASELINE_ARTIFACTS) | set(pinned))
    return {
        name: {"golden": pinned.get(name), "run": actual.get(name)}
        for name in names
        if pinned.get(name) is None or pinned.get(name) != actual.get(name)
    }


@REGISTRY.register(
    "ratchet",
    Level.L2,
    "No metric in summary.json is worse than goldens/metrics.json beyond tolerance; "
    "a flags-off run reproduces the pinned baseline decisions and fills byte for byte.",
)
def ratchet_check(ctx: GateContext) -> dict[str, Any]:
    run_dir = ctx.require_run_dir()
    try:
        goldens = load_goldens(ctx.repo_root / GOLDENS)
        summary = load_summary(run_dir)
        flags_on = run_flags_on(run_dir)
    except RatchetError as error:
        raise CheckFailed(str(error)) from None
    findings = compare(summary, goldens)
    failed = [f for f in findings if not f.passed]
    if failed:
        raise CheckFailed(
            failed[0].message + (f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""),
            failed=[f.as_dict() for f in failed],
            goldens=str(GOLDENS),
        )
    evidence: dict[str, Any] = {"metrics": {f.metric: f.as_dict() for f in findings}}
    if flags_on:
        evidence["baseline_hashes"] = f"not compared: the run has flags on {flags_on}"
        return evidence
    names = tuple(sorted(set(BASELINE_ARTIFACTS) | set(goldens.baseline_hashes)))
    try:
        actual = run_baseline_hashes(run_dir, names)
    except RatchetError as error:
        raise CheckFailed(str(error)) from None
    wrong = baseline_mismatches(goldens.baseline_hashes, actual)
    if wrong:
        name = next(iter(wrong))
        if wrong[name]["golden"] is None:
            reason = f"{GOLDENS}: no baseline hash pinned for '{name}' (run `aurora ratchet --update` on a flags-off run)"
        else:
            reason = f"{name}: the flags-off run's sha256 differs from the pinned baseline in {GOLDENS}"
        raise CheckFailed(reason, mismatches=wrong)
    evidence["baseline_hashes"] = actual
    return evidence
