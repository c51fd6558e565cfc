"""The promotion checklist's supply-chain item: the SBOM and the vulnerability audit it carries.

The l2 session writes both into the evidence directory (noxfile: ``_supply_chain``):
``sbom.cdx.json``, a CycloneDX SBOM of the environment that made the candidate run,
and ``audit.json``, pip-audit's verdict on every pin of requirements.lock. A known
vulnerability fails the item; an audit that could not reach a vulnerability service
passes it but says so in the evidence, so a reader sees what was and was not checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aurora_gates.promote.inputs import PromotionInputs
from aurora_gates.promote.reports import read_report
from aurora_gates.registry import CheckFailed

__all__ = ["AUDIT_STATUSES", "supply_chain_item"]

AUDIT_STATUSES = ("clean", "not audited", "vulnerable")


def _json(path: Path, what: str) -> dict[str, Any]:
    return read_report(path, what, " (nox -s l2 writes it)")


def supply_chain_item(inputs: PromotionInputs) -> dict[str, Any]:
    evidence = inputs.evidence
    sbom = _json(evidence.sbom, "SBOM")
    components = sbom.get("components")
    if sbom.get("bomFormat") != "CycloneDX" or not isinstance(components, list) or not components:
        raise CheckFailed(
            f"SBOM {evidence.sbom} is not a CycloneDX SBOM with components", report=str(evidence.sbom)
        )
    audit = _json(evidence.audit, "audit")
    status = audit.get("status")
    if status not in AUDIT_STATUSES:
        raise CheckFailed(f"audit {evidence.audit}: unknown status {status!r}", report=str(evidence.audit))
    if status == "vulnerable":
        raise CheckFailed(
            str(audit.get("line", "known vulnerabilities in the pinned set")), report=str(evidence.audit)
        )
    return {
        "sbom": str(evidence.sbom),
        "sbom_components": len(components),
        "spec_version": sbom.get("specVersion"),
        "audit": str(evidence.audit),
        "audit_status": status,
        "audit_line": audit.get("line"),
    }
