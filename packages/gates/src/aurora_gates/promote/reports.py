"""Checklist items that read the gate sessions' reports from the evidence directory.

Each report must exist, be for the current revision and have passed; the
nightly's raw evidence (junit, mutation reports) is re-checked with the L1
checks themselves, so a green gate-l1.json without its evidence proves nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from aurora_gates.promote.inputs import PromotionInputs
from aurora_gates.registry import REGISTRY, CheckFailed, GateContext, Level, run_check
from aurora_safety import FlagStatus

__all__ = ["gate_item", "l1_evidence_item", "read_report", "rollback_item"]


def read_report(path: Path, what: str, hint: str = "") -> dict[str, Any]:
    """An evidence file as a JSON object, or ``CheckFailed`` naming it (``hint``: who writes it)."""
    if not path.is_file():
        raise CheckFailed(f"{what} {path} does not exist{hint}", report=str(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise CheckFailed(f"{what} {path} is not valid JSON: {error}", report=str(path)) from None
    if not isinstance(data, dict):
        raise CheckFailed(f"{what} {path} is not a JSON object", report=str(path))
    return data


def _same_revision(data: Mapping[str, Any], revision: str, what: str, path: Path) -> None:
    if data.get("revision") != revision:
        raise CheckFailed(
            f"{what} report is for revision {data.get('revision')!r}, not the current {revision!r}",
            report=str(path),
            report_revision=data.get("revision"),
            current_revision=revision,
        )


def rollback_item(inputs: PromotionInputs) -> dict[str, Any]:
    revision = inputs.require_revision()
    path = inputs.evidence.rollback
    data = read_report(path, "rollback-test report")
    _same_revision(data, revision, "rollback-test", path)
    if data.get("passed") is not True:
        failed = [v for v in data.get("verdicts", []) if isinstance(v, Mapping) and not v.get("passed")]
        raise CheckFailed(
            "rollback-test did not pass"
            + (f": {failed[0].get('reason')}" if failed else f" (passed={data.get('passed')!r})"),
            report=str(path),
        )
    active = sorted(d.name for d in inputs.declarations() if d.status is FlagStatus.ACTIVE)
    tested = sorted(data.get("flags", []))
    if tested != active:
        raise CheckFailed(
            "rollback-test did not cover exactly the active flags",
            report=str(path),
            tested=tested,
            active=active,
        )
    return {
        "report": str(path),
        "revision": revision,
        "flags": tested,
        "verdicts": len(data.get("verdicts", [])),
    }


def gate_item(level: Level) -> Callable[[PromotionInputs], dict[str, Any]]:
    def item(inputs: PromotionInputs) -> dict[str, Any]:
        revision = inputs.require_revision()
        path = inputs.evidence.gate(level)
        data = read_report(path, f"gate {level} report")
        if data.get("level") != level:
            raise CheckFailed(
                f"{path} is a report of level {data.get('level')!r}, not {str(level)!r}", report=str(path)
            )
        _same_revision(data, revision, f"gate {level}", path)
        checks = data.get("checks")
        if not isinstance(checks, list) or not checks:
            raise CheckFailed(f"gate {level} report has no checks: it proves nothing", report=str(path))
        failed = [c.get("name") for c in checks if not (isinstance(c, Mapping) and c.get("passed") is True)]
        if data.get("passed") is not True or failed:
            raise CheckFailed(f"gate {level} did not pass", report=str(path), failed_checks=failed)
        return {"report": str(path), "revision": revision, "checks": [c["name"] for c in checks]}

    return item


def l1_evidence_item(inputs: PromotionInputs) -> dict[str, Any]:
    """The L1 checks, run again on the evidence directory's junit and mutation reports."""
    from aurora_gates import checks_l1  # noqa: F401  (registers the L1 checks)

    context = GateContext(repo_root=inputs.repo_root, reports_dir=inputs.evidence.root)
    results = [run_check(check, context) for check in REGISTRY.checks(Level.L1)]
    if not results:
        raise CheckFailed("no L1 check is registered: the nightly evidence cannot be checked")
    summary = {r.name: r.evidence if r.passed else {"reason": r.reason} for r in results}
    failed = [r for r in results if not r.passed]
    if failed:
        raise CheckFailed(
            f"{failed[0].name}: {failed[0].reason}", evidence_dir=str(inputs.evidence.root), checks=summary
        )
    return {"evidence_dir": str(inputs.evidence.root), "checks": summary}
