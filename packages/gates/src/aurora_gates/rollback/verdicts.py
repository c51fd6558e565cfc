"""The rollback-test's verdicts, from the files of finished runs (pure: no process is started).

A flag must change what the run decides; with ``AURORA_ROLLBACK=1`` on top,
every Parquet artifact must equal the flags-off baseline's byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aurora_e2d.rundir.artifacts import sha256_file
from aurora_e2d.rundir.layout import MANIFEST_FILE
from aurora_gates.ratchet import BASELINE_ARTIFACTS, GOLDENS
from aurora_safety import AuroraError
from aurora_safety.env import ROLLBACK_VAR

__all__ = [
    "DIFFER_ARTIFACTS",
    "RollbackError",
    "RunRecord",
    "Verdict",
    "flag_differs",
    "golden_matches",
    "manifest_flags",
    "parquet_hashes",
    "rollback_identical",
]

# A flag must change at least one of these, or it does nothing we can see.
DIFFER_ARTIFACTS = ("predictions", "decisions")


class RollbackError(AuroraError, ValueError):
    """A run directory that cannot be read as a run (no manifest, a listed artifact missing)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """One `aurora run` of the test and what it produced."""

    name: str  # baseline, flag-<name>, rollback-<name>
    env: Mapping[str, str]  # the AURORA_* variables set for this run
    run_dir: str
    exit_code: int
    duration_s: float
    flags: Mapping[str, bool] = field(default_factory=dict)  # as recorded in manifest.json
    hashes: Mapping[str, str] = field(default_factory=dict)  # Parquet artifact -> sha256 of the file
    error: str | None = None  # why the run or reading its directory failed


@dataclass(frozen=True, slots=True)
class Verdict:
    name: str
    passed: bool
    reason: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


def _manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RollbackError(f"{path}: manifest.json does not exist") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise RollbackError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("artifacts"), dict):
        raise RollbackError(f"{path}: has no 'artifacts' object")
    return data


def parquet_hashes(run_dir: Path) -> dict[str, str]:
    """sha256 of every Parquet artifact the manifest lists, hashed from the files themselves.

    Only Parquet artifacts are content-hashed products; config.json carries the
    run id and model files are covered by the predictions they produce.
    """
    hashes = {}
    for name, entry in sorted(_manifest(run_dir)["artifacts"].items()):
        rel = entry.get("path", "") if isinstance(entry, Mapping) else ""
        if not str(rel).endswith(".parquet"):
            continue
        path = run_dir / rel
        if not path.is_file():
            raise RollbackError(f"{path}: artifact '{name}' is listed in manifest.json but missing")
        hashes[name] = sha256_file(path)
    if not hashes:
        raise RollbackError(f"{run_dir / MANIFEST_FILE}: lists no Parquet artifact")
    return hashes


def manifest_flags(run_dir: Path) -> dict[str, bool]:
    flags = _manifest(run_dir).get("flags")
    if not isinstance(flags, dict):
        raise RollbackError(f"{run_dir / MANIFEST_FILE}: has no 'flags' object")
    return flags


def _broken(*records: RunRecord) -> str | None:
    for record in records:
        if record.error is not None:
            return f"run '{record.name}' failed: {record.error}"
    return None


def flag_differs(flag: str, baseline: RunRecord, flagged: RunRecord) -> Verdict:
    """With the flag on, the manifest records it on and predictions or decisions differ."""
    name = f"flag-{flag}-differs"
    if (broken := _broken(baseline, flagged)) is not None:
        return Verdict(name, False, broken)
    if flagged.flags.get(flag) is not True:
        return Verdict(
            name,
            False,
            f"run '{flagged.name}': manifest.json records flag '{flag}' as {flagged.flags.get(flag)!r}, not True",
            {"flags": dict(flagged.flags)},
        )
    compared = {
        a: {"baseline": baseline.hashes.get(a), "flag": flagged.hashes.get(a)} for a in DIFFER_ARTIFACTS
    }
    absent = [a for a, h in compared.items() if h["baseline"] is None or h["flag"] is None]
    if absent:
        return Verdict(name, False, f"artifact '{absent[0]}' is missing from a run, cannot compare", compared)
    differing = [a for a, h in compared.items() if h["baseline"] != h["flag"]]
    if not differing:
        return Verdict(
            name,
            False,
            f"flag '{flag}' changed none of {', '.join(DIFFER_ARTIFACTS)}: the flag does nothing visible",
            compared,
        )
    return Verdict(
        name, True, "", {"differing": differing, "flag_run_exit_code": flagged.exit_code, **compared}
    )


def rollback_identical(flag: str | None, baseline: RunRecord, rolled: RunRecord) -> Verdict:
    """With AURORA_ROLLBACK=1, every flag is recorded off and every Parquet artifact equals the baseline."""
    name = f"rollback-{flag}-identical" if flag is not None else "rollback-identical"
    if (broken := _broken(baseline, rolled)) is not None:
        return Verdict(name, False, broken)
    on = sorted(f for f, value in rolled.flags.items() if value is not False)
    if on or not rolled.flags:
        return Verdict(
            name,
            False,
            f"run '{rolled.name}': manifest.json records flags {on} on under {ROLLBACK_VAR}=1"
            if on
            else f"run '{rolled.name}': manifest.json records no flags",
            {"flags": dict(rolled.flags)},
        )
    names = sorted(set(baseline.hashes) | set(rolled.hashes))
    differing = {
        a: {"baseline": baseline.hashes.get(a), "rollback": rolled.hashes.get(a)}
        for a in names
        if baseline.hashes.get(a) != rolled.hashes.get(a)
    }
    if differing:
        first = next(iter(differing))
        return Verdict(
            name,
            False,
            f"run '{rolled.name}': {first} differs from the baseline byte for byte"
            + (f" (and {len(differing) - 1} more)" if len(differing) > 1 else ""),
            {"differing": differing},
        )
    return Verdict(name, True, "", {"identical": names})


def golden_matches(baseline: RunRecord, pinned: Mapping[str, str], source: str = str(GOLDENS)) -> Verdict:
    """The baseline's decisions and fills equal the flags-off hashes pinned in the goldens."""
    name = "baseline-matches-golden"
    if (broken := _broken(baseline)) is not None:
        return Verdict(name, False, broken)
    compared = {a: {"golden": pinned.get(a), "baseline": baseline.hashes.get(a)} for a in BASELINE_ARTIFACTS}
    for artifact, pair in compared.items():
        if pair["golden"] is None:
            return Verdict(
                name,
                False,
                f"{source}: no baseline hash pinned for '{artifact}' (`aurora ratchet --update`)",
                compared,
            )
        if pair["golden"] != pair["baseline"]:
            return Verdict(
                name, False, f"baseline {artifact} differs from the hash pinned in {source}", compared
            )
    return Verdict(name, True, "", compared)
