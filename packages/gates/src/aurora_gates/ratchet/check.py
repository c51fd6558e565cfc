"""The L2 check `ratchet`: ``assess`` a real run directory, report its outcome as evidence."""

from __future__ import annotations

from typing import Any

from aurora_gates.ratchet.goldens import RatchetError
from aurora_gates.ratchet.run import assess
from aurora_gates.registry import REGISTRY, CheckFailed, GateContext, Level

__all__ = ["ratchet_check"]


@REGISTRY.register(
    "ratchet",
    Level.L2,
    "No metric in summary.json is worse than the reference's goldens beyond tolerance; "
    "a flags-off run reproduces the pinned baseline decisions and fills byte for byte.",
)
def ratchet_check(ctx: GateContext) -> dict[str, Any]:
    from aurora_gates.reference import load_reference, require_run_on_reference
    from aurora_safety import ConfigError

    run_dir = ctx.require_run_dir()
    try:
        reference = load_reference(ctx.repo_root)
        require_run_on_reference(run_dir, reference)
        outcome = assess(run_dir, reference.goldens)
    except (RatchetError, ConfigError) as error:
        raise CheckFailed(str(error)) from None
    goldens_path = reference.shown
    failed = outcome.failed
    if failed:
        raise CheckFailed(
            failed[0].message + (f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""),
            failed=[f.as_dict() for f in failed],
            goldens=goldens_path,
        )
    evidence: dict[str, Any] = {
        "reference": reference.describe(),
        "metrics": {f.metric: f.as_dict() for f in outcome.findings},
    }
    if outcome.baseline is None:
        evidence["baseline_hashes"] = f"not compared: the run has flags on {list(outcome.flags_on)}"
        return evidence
    if outcome.mismatches:
        name = next(iter(outcome.mismatches))
        if outcome.mismatches[name]["golden"] is None:
            reason = (
                f"{goldens_path}: no baseline hash pinned for '{name}' "
                "(run `aurora ratchet --update` on a flags-off run)"
            )
        else:
            reason = f"{name}: the flags-off run's sha256 differs from the pinned baseline in {goldens_path}"
        raise CheckFailed(reason, mismatches=dict(outcome.mismatches))
    evidence["baseline_hashes"] = dict(outcome.baseline)
    return evidence
