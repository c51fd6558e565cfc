"""Run every check of one level against a context and collect a report."""

from __future__ import annotations

from aurora_e2d.rundir.manifest import git_revision
from aurora_gates.registry import REGISTRY, GateContext, Level, Registry, run_check
from aurora_gates.report import GateReport


def run_gate(level: Level, context: GateContext, registry: Registry = REGISTRY) -> GateReport:
    _load_checks()
    results = [run_check(check, context) for check in registry.checks(level)]
    return GateReport(level=level, results=results, revision=git_revision(context.repo_root))


def _load_checks() -> None:
    """Import the check modules; registering happens at import."""
    from aurora_gates import checks_derived, checks_journal, checks_l0, checks_l1, checks_l2, ratchet  # noqa: F401
