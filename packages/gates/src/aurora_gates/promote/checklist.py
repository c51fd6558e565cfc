"""The promotion checklist: each item checked from real files, every item must pass.

An item states what it checked and the evidence that decided it; an item
that cannot run (no git, no nox, an unreadable report) fails, and the others
still run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from aurora_e2d.core.reference import BLESSINGS_LEDGER, locate_goldens
from aurora_gates.evidence import Evidence
from aurora_gates.promote import mltestscore
from aurora_gates.promote.blessing import blessing_item
from aurora_gates.promote.commands import CommandInventory
from aurora_gates.promote.git import Git, SubprocessGit
from aurora_gates.promote.inputs import PromotionInputs
from aurora_gates.promote.render import PromotionReport
from aurora_gates.promote.reports import gate_item, l1_evidence_item, rollback_item
from aurora_gates.promote.runbooks import (
    RUNBOOK_DIR,
    RUNBOOK_SECTIONS,
    RUNBOOKS,
    extract_commands,
    headings,
)
from aurora_gates.promote.supply_chain import supply_chain_item
from aurora_gates.ratchet import GOLDENS
from aurora_gates.registry import Check, CheckFailed, GateContext, Level, run_check
from aurora_safety import ConfigError, missing_adrs

__all__ = ["ADR_DIR", "ITEMS", "run_checklist"]

ADR_DIR = Path("docs") / "adr"
ADR_TEMPLATE = "0000-template.md"

Item = Callable[[PromotionInputs], Mapping[str, Any]]


def flags_item(inputs: PromotionInputs) -> dict[str, Any]:
    declarations = inputs.declarations()
    if not declarations:
        raise CheckFailed("no flags are declared: nothing to check (the declaration file is empty)")
    on = [d.name for d in declarations if d.default is not False]
    if on:
        raise CheckFailed(f"flag '{on[0]}' does not default off", flags=on)
    missing = missing_adrs(inputs.repo_root, declarations)
    if missing:
        raise CheckFailed(
            f"flag '{missing[0].name}': ADR {missing[0].adr} does not exist",
            missing={d.name: d.adr for d in missing},
        )
    return {d.name: {"default": d.default, "status": str(d.status), "adr": d.adr} for d in declarations}


def runbook_item(topic: str, filename: str) -> Item:
    def item(inputs: PromotionInputs) -> dict[str, Any]:
        rel = RUNBOOK_DIR / filename
        path = inputs.repo_root / rel
        if not path.is_file():
            raise CheckFailed(f"runbook {rel} ({topic}) does not exist", runbook=str(rel))
        text = path.read_text(encoding="utf-8")
        found = headings(text)
        absent = [s for s in RUNBOOK_SECTIONS if not any(s in h for h in found)]
        if absent:
            raise CheckFailed(
                f"runbook {rel} has no '{absent[0]}' section",
                runbook=str(rel),
                missing=absent,
                headings=found,
            )
        commands = extract_commands(text)
        if not commands:
            raise CheckFailed(
                f"runbook {rel} names no `aurora` or `nox` command in a code block", runbook=str(rel)
            )
        inventory = inputs.inventory
        for command in commands:
            problem = inventory.problem(command.tokens)
            if problem is not None:
                raise CheckFailed(
                    f"runbook {rel}:{command.line}: {problem}",
                    runbook=str(rel),
                    line=command.line,
                    command=command.text,
                )
        return {
            "runbook": str(rel),
            "sections": list(RUNBOOK_SECTIONS),
            "commands": [c.text for c in commands],
        }

    return item


def _goldens_pathspecs(inputs: PromotionInputs) -> list[str]:
    """The bundled goldens and the team's (aurora.toml [gates] goldens) when inside the repository."""
    specs = [str(GOLDENS.parent)]
    try:
        team = locate_goldens(inputs.repo_root).directory.resolve().relative_to(inputs.repo_root.resolve())
    except (ValueError, ConfigError):
        return specs  # outside the repository (not git's to judge), or an unreadable project file
    return specs if str(team) in specs else [*specs, str(team)]


def goldens_item(inputs: PromotionInputs) -> dict[str, Any]:
    # the ledger of recorded blessings grows with every `aurora bless --record`: not a golden
    goldens = [p for p in inputs.git.changed(*_goldens_pathspecs(inputs)) if not p.endswith(BLESSINGS_LEDGER)]
    if not goldens:
        return {"goldens_changed": [], "note": "goldens unchanged since the last commit"}
    adrs = [p for p in inputs.git.changed(str(ADR_DIR)) if p.endswith(".md") and not p.endswith(ADR_TEMPLATE)]
    if not adrs:
        raise CheckFailed(
            f"goldens changed since the last commit without a new or changed ADR under {ADR_DIR}/",
            goldens_changed=goldens,
        )
    return {"goldens_changed": goldens, "adrs_changed": adrs}


ITEMS: tuple[tuple[str, str, Item], ...] = (
    ("flags", "Every declared flag defaults off and its ADR exists.", flags_item),
    (
        "rollback_test",
        "The evidence's rollback-test.json exists, passed, covers every active flag, and is for the "
        "current git revision.",
        rollback_item,
    ),
    (
        "gate_l0",
        "The evidence's gate-l0.json exists for the current revision and every check passed.",
        gate_item(Level.L0),
    ),
    (
        "gate_l1",
        "The evidence's gate-l1.json exists for the current revision and every check passed.",
        gate_item(Level.L1),
    ),
    (
        "l1_evidence",
        "The evidence's l1/ junit and mutation reports pass the L1 checks again: the suite ran in full, "
        "every mutation score holds and every survivor is explained.",
        l1_evidence_item,
    ),
    (
        "blessing",
        "The evidence's blessing.json blesses this revision's default-config candidate against the golden "
        "champion (flags off, baseline hashes pinned) under the built-in [bless] thresholds.",
        blessing_item,
    ),
    *(
        (
            f"runbook:{filename.removesuffix('.md')}",
            f"The {topic} runbook exists with symptom/confirm/verify/undo, and its commands exist.",
            runbook_item(topic, filename),
        )
        for topic, filename in RUNBOOKS.items()
    ),
    (
        "supply_chain",
        "The evidence carries a CycloneDX SBOM of the run environment and an audit of the pinned set with no "
        "known vulnerability (an audit that reached no vulnerability service says so).",
        supply_chain_item,
    ),
    (
        "goldens",
        "goldens/ is unchanged since the last commit, or changed together with a new or changed ADR.",
        goldens_item,
    ),
)


def run_checklist(
    repo_root: Path,
    *,
    evidence: Path | None = None,
    git: Git | None = None,
    flags_text: str | None = None,
    inventory_factory: Callable[[], CommandInventory] | None = None,
) -> PromotionReport:
    """Every item, in order; ``evidence`` is the reports directory (default ``<repo_root>/reports``)."""
    inputs = PromotionInputs(
        repo_root,
        git or SubprocessGit(repo_root),
        Evidence.default(repo_root) if evidence is None else Evidence(evidence),
        flags_text,
        inventory_factory,
    )
    context = GateContext(repo_root=repo_root)
    results = [
        run_check(Check(name, Level.L2, statement, lambda _ctx, fn=fn: fn(inputs)), context)
        for name, statement, fn in ITEMS
    ]
    score = mltestscore.assess({r.name: r.passed for r in results}, _blessing_checks(inputs.evidence.root))
    return PromotionReport(inputs.safe_revision(), tuple(results), str(inputs.evidence.root), score)


def _blessing_checks(evidence: Path) -> dict[str, bool]:
    """Each blessing check's result, for the self-assessment (none when the blessing is unreadable)."""
    try:
        data = json.loads(Evidence(evidence).blessing.read_text(encoding="utf-8"))
        return {str(c["name"]): c.get("passed") is True for c in data["checks"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
