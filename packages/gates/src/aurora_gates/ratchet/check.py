"""The L2 check `ratchet`: ``assess`` a real run directory, report its outcome as evidence."""

from __future__ import annotations

from typing import Any

from aurora_gates.ratchet.goldens import GOLDENS, RatchetError, load_goldens
from aurora_gates.ratchet.run import assess
from aurora_gates.registry import REGISTRY, CheckFailed, GateContext, Level

__all__ = ["ratchet_check"]


@REGISTRY.register(
    "ratchet",
    Level.L2,
    "No metric in summary.json is worse than goldens/metrics.json beyond tolerance; "
    "a flags-off run reproduces the pinned baseline decisions and fills byte for byte.",
)
def ratchet_check(ctx: GateContext) -> dict[str, Any]:
    run_dir = ctx.require_run_dir()
    try:
        outcome = assess(run_dir, load_goldens(ctx.repo_root / GOLDENS))
    except RatchetError as error:
        raise CheckFailed(str(error)) from None
    failed = outcome.failed
    if failed:
        raise CheckFailed(
            failed[0].message + (f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""),
            failed=[f.as_dict() for f in failed],
            goldens=str(GOLDENS),
        )
    evidence: dict[str, Any] = {"metrics": {f.metric: f.as_dict() for f in outcome.findings}}
    if outcome.baseline is None:
        evidence["baseline_hashes"] = f"not compared: the run has flags on {list(outcome.flags_on)}"
        return evidence
    if outcome.mismatches:
        name = next(iter(outcome.mismatches))
        if outcome.mismatches[name]["golden"] is None:
            reason = (
                f"{GOLDENS}: no baseline hash pinned for '{name}' "
                "(run `aurora ratchet --update` on a flags-off run)"
            )
        else:
            reason = f"{name}: the flags-off run's sha256 differs from the pinned baseline in {GOLDENS}"
        raise CheckFailed(reason, mismatches=dict(outcome.mismatches))
    evidence["baseline_hashes"] = dict(outcome.baseline)
    return evidence
