"""Run every check of one level against a context and collect a report."""

from __future__ import annotations

import subprocess
from pathlib import Path

from aurora_gates.registry import REGISTRY, GateContext, Level, Registry, run_check
from aurora_gates.report import GateReport


def git_revision(repo_root: Path) -> str | None:
    """The checked-out commit, or None outside a git work tree."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo_root, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def run_gate(level: Level, context: GateContext, registry: Registry = REGISTRY) -> GateReport:
    _load_checks()
    results = [run_check(check, context) for check in registry.checks(level)]
    return GateReport(level=level, results=results, revision=git_revision(context.repo_root))


def _load_checks() -> None:
    """Import the check modules; registering happens at import."""
    from aurora_gates import checks_l0, checks_l1, checks_l2, ratchet  # noqa: F401
