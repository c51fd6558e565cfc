"""What the ratchet reads from a run directory, and the one place a run is assessed.

``assess`` is the whole comparison - metrics against goldens, the flags-off
baseline's hashes against the pinned ones, an optional update first - used by
both `aurora ratchet` and the L2 check, which only format its outcome.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aurora_e2d.rundir.artifacts import sha256_file
from aurora_e2d.rundir.layout import MANIFEST_FILE, SUMMARY_FILE
from aurora_gates.ratchet.compare import RatchetFinding, compare, describe_changes, update
from aurora_gates.ratchet.goldens import Goldens, RatchetError

__all__ = [
    "BASELINE_ARTIFACTS",
    "SUMMARY",
    "RatchetOutcome",
    "assess",
    "baseline_mismatches",
    "load_summary",
    "run_baseline_hashes",
    "run_flags_on",
]

SUMMARY = SUMMARY_FILE
# Artifacts of the flags-off baseline whose bytes are pinned in the goldens.
BASELINE_ARTIFACTS = ("decisions", "fills")


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
    flags = _load_json(run_dir / MANIFEST_FILE, MANIFEST_FILE).get("flags")
    if not isinstance(flags, Mapping):
        raise RatchetError(f"{run_dir / MANIFEST_FILE}: has no 'flags' object")
    return sorted(name for name, on in flags.items() if on is not False)


def run_baseline_hashes(run_dir: Path, names: tuple[str, ...] = BASELINE_ARTIFACTS) -> dict[str, str]:
    """sha256 of the run's baseline artifacts, hashed from the files (not trusted from the manifest)."""
    artifacts = _load_json(run_dir / MANIFEST_FILE, MANIFEST_FILE).get("artifacts", {})
    hashes = {}
    for name in names:
        entry = artifacts.get(name) if isinstance(artifacts, Mapping) else None
        if not isinstance(entry, Mapping) or "path" not in entry:
            raise RatchetError(f"{run_dir / MANIFEST_FILE}: artifact '{name}' is not listed")
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


@dataclass(frozen=True)
class RatchetOutcome:
    """A run assessed against goldens (after an update, against the updated ones)."""

    run_dir: Path
    previous: Goldens  # the goldens as read
    goldens: Goldens  # what the run was compared with: ``previous``, or the update of it
    findings: tuple[RatchetFinding, ...]
    flags_on: tuple[str, ...]
    baseline: Mapping[str, str] | None  # the run's baseline hashes; None: a flag is on, not compared
    mismatches: Mapping[str, Mapping[str, str | None]]  # artifact -> {"golden": sha, "run": sha}

    @property
    def failed(self) -> tuple[RatchetFinding, ...]:
        return tuple(f for f in self.findings if not f.passed)

    @property
    def passed(self) -> bool:
        return not self.failed and not self.mismatches

    @property
    def changes(self) -> list[str]:
        return describe_changes(self.previous, self.goldens)


def assess(
    run_dir: Path,
    goldens: Goldens,
    *,
    updating: bool = False,
    allow_loosen: bool = False,
    adr: Path | None = None,
) -> RatchetOutcome:
    """Compare ``run_dir`` with ``goldens``; with ``updating``, update them from the run first.

    A run with a flag on is not held to the flags-off baseline (and an update
    keeps the pinned one). ``RatchetError`` for an unreadable run or a refused update.
    """
    if (allow_loosen or adr is not None) and not updating:
        raise RatchetError("'--allow-loosen' and '--adr' only go with '--update'")
    summary = load_summary(run_dir)
    flags_on = tuple(run_flags_on(run_dir))
    names = tuple(sorted(set(BASELINE_ARTIFACTS) | set(goldens.baseline_hashes)))
    baseline = None if flags_on else run_baseline_hashes(run_dir, names)
    new = goldens
    if updating:
        new = update(goldens, summary, allow_loosen=allow_loosen, adr=adr, baseline=baseline)
    return RatchetOutcome(
        run_dir=run_dir,
        previous=goldens,
        goldens=new,
        findings=tuple(compare(summary, new)),
        flags_on=flags_on,
        baseline=baseline,
        mismatches={} if baseline is None else baseline_mismatches(new.baseline_hashes, baseline),
    )
