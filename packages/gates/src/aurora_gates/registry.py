"""The check registry: every gate check is named, levelled and self-describing.

A check is a function of a `GateContext` that returns its evidence (the
numbers, files and rows that decided it) or raises `CheckFailed` with the
evidence that broke it. Anything else it raises — a missing artifact, a
missing tool, a bug — also fails the check: a check that cannot run never
passes and never skips silently.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Level(StrEnum):
    L0 = "l0"
    L1 = "l1"
    L2 = "l2"


class CheckFailed(Exception):
    """Raised by a check with the reason and the evidence that decided it."""

    def __init__(self, reason: str, **evidence: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.evidence = evidence


@dataclass(frozen=True)
class GateContext:
    """What a check may look at: the run under test and the repository."""

    repo_root: Path
    run_dir: Path | None = None
    environ: Mapping[str, str] = field(default_factory=dict)
    flags_file: Path | None = None  # a flag declaration file to audit instead of the installed one
    reports_dir: Path | None = None  # the evidence directory; None: <repo_root>/reports

    def require_run_dir(self) -> Path:
        if self.run_dir is None:
            raise CheckFailed("no run directory given (--run-dir)")
        if not self.run_dir.is_dir():
            raise CheckFailed("run directory does not exist", run_dir=str(self.run_dir))
        return self.run_dir


CheckFn = Callable[[GateContext], Mapping[str, Any]]


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    statement: str  # one line: what passing guarantees
    fn: CheckFn


@dataclass(frozen=True)
class CheckResult:
    name: str
    level: Level
    statement: str
    passed: bool
    reason: str  # "" when passed
    evidence: Mapping[str, Any]
    duration_ms: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "level": str(self.level),
            "statement": self.statement,
            "passed": self.passed,
            "reason": self.reason,
            "evidence": dict(self.evidence),
            "duration_ms": round(self.duration_ms, 3),
        }


class Registry:
    """Holds checks by level, in registration order (the order they run)."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def register(self, name: str, level: Level, statement: str) -> Callable[[CheckFn], CheckFn]:
        def decorate(fn: CheckFn) -> CheckFn:
            if name in self._checks:
                raise ValueError(f"check {name!r} is registered twice")
            if not statement.strip() or "\n" in statement.strip():
                raise ValueError(f"check {name!r} needs a one-line statement")
            self._checks[name] = Check(name, level, statement.strip(), fn)
            return fn

        return decorate

    def checks(self, level: Level) -> list[Check]:
        return [check for check in self._checks.values() if check.level is level]

    def get(self, name: str) -> Check:
        return self._checks[name]


def run_check(check: Check, context: GateContext) -> CheckResult:
    """Run one check; every way it can go wrong is a failed result, never a skip."""
    started = time.perf_counter()
    try:
        evidence = dict(check.fn(context) or {})
        passed, reason = True, ""
    except CheckFailed as failure:
        evidence, passed, reason = dict(failure.evidence), False, failure.reason
    except Exception as error:
        frame = traceback.extract_tb(error.__traceback__)[-1]
        evidence = {"error": type(error).__name__, "at": f"{Path(frame.filename).name}:{frame.lineno}"}
        passed, reason = False, f"check could not run: {type(error).__name__}: {error}"
    duration_ms = (time.perf_counter() - started) * 1000.0
    return CheckResult(check.name, check.level, check.statement, passed, reason, evidence, duration_ms)


REGISTRY = Registry()
