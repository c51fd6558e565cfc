"""L1 checks (nightly): read the evidence `nox -s l1` just produced under reports/l1/.

The session empties reports/l1/ first, so a stale report from an earlier
revision cannot pass tonight's gate. A skipped test fails the gate: at L1
every suite must really have run (chromium, bokeh-sampledata and mutmut are
installed by the session). `aurora promote` runs these same checks on the
evidence directory it is given.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from aurora_gates.evidence import Evidence
from aurora_gates.mutation.targets import TARGETS, MutationTarget
from aurora_gates.registry import REGISTRY, CheckFailed, GateContext, Level

__all__ = ["L1_CHECKS", "evidence_of", "l1_suite"]

COUNTS = ("killed", "survived", "timeout", "skipped", "total")


def evidence_of(ctx: GateContext) -> Evidence:
    return Evidence.default(ctx.repo_root) if ctx.reports_dir is None else Evidence(ctx.reports_dir)


def _report(ctx: GateContext, path: Path) -> Path:
    if not path.is_file():
        shown = evidence_of(ctx).show(path, ctx.repo_root)
        raise CheckFailed(f"{shown} is missing (run `nox -s l1`)", file=str(path))
    return path


@REGISTRY.register(
    "l1_suite",
    Level.L1,
    "The nightly suite (crash recovery, oracle, parity edges, adversarial) ran in full: no failure, error or skip.",
)
def l1_suite(ctx: GateContext) -> dict[str, Any]:
    path = _report(ctx, evidence_of(ctx).junit)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        raise CheckFailed(f"{path.name}: not valid JUnit XML ({error})") from None
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    totals = {
        key: sum(int(s.get(key, 0)) for s in suites) for key in ("tests", "failures", "errors", "skipped")
    }
    skipped = [
        f"{case.get('classname')}::{case.get('name')}"
        for case in root.iter("testcase")
        if case.find("skipped") is not None
    ]
    failed = [
        f"{case.get('classname')}::{case.get('name')}"
        for case in root.iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    ]
    evidence = {**totals, "skipped_tests": skipped[:20], "failed_tests": failed[:20]}
    if totals["tests"] == 0:
        raise CheckFailed("the nightly suite ran no test", **evidence)
    if totals["failures"] or totals["errors"]:
        raise CheckFailed(
            f"{totals['failures']} failures and {totals['errors']} errors in the nightly suite", **evidence
        )
    if totals["skipped"]:
        raise CheckFailed(f"{totals['skipped']} tests skipped: at L1 every suite must run", **evidence)
    return evidence


def _survivors(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    survivors = report.get("survivors", [])
    if not isinstance(survivors, list) or not all(
        isinstance(s, Mapping) and isinstance(s.get("name"), str) for s in survivors
    ):
        raise CheckFailed("unreadable mutation report: 'survivors' must be a list of named mutants")
    return [
        {"name": s["name"], "status": s.get("status"), "equivalent": s.get("equivalent")} for s in survivors
    ]


def mutation_check(t: MutationTarget) -> Callable[[GateContext], dict[str, Any]]:
    """The check of one package's mutation report: score >= threshold, every survivor explained."""

    def check(ctx: GateContext) -> dict[str, Any]:
        path = _report(ctx, evidence_of(ctx).mutation(t.package))
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
            score = float(report["score"])
        except (ValueError, KeyError, TypeError) as error:
            raise CheckFailed(f"{path.name}: unreadable mutation report ({type(error).__name__})") from None
        counts = report.get("counts")
        if not isinstance(counts, Mapping):
            raise CheckFailed(f"{path.name}: unreadable mutation report (no 'counts' object)")
        survivors = _survivors(report)
        unexplained = [s["name"] for s in survivors if not s["equivalent"]]
        evidence = {
            "package": t.package,
            "score": round(score, 4),
            "threshold": t.threshold,
            **{k: counts.get(k) for k in COUNTS if k in counts},
            "explained": sum(1 for s in survivors if s["equivalent"]),
            "unexplained": unexplained,
            "survivors": survivors,
        }
        if not counts.get("total"):
            raise CheckFailed(f"mutation testing of {t.package} produced no mutant", **evidence)
        if score < t.threshold:
            raise CheckFailed(
                f"mutation score of {t.package} {score:.1%} is under {t.threshold:.0%}", **evidence
            )
        if unexplained:
            raise CheckFailed(
                f"{len(unexplained)} surviving mutants of {t.package} are neither killed nor explained "
                f"in packages/{t.package}/mutation-equivalents.toml: {unexplained[0]}"
                + (f" (and {len(unexplained) - 1} more)" if len(unexplained) > 1 else ""),
                **evidence,
            )
        return evidence

    return check


def _register_mutation_checks() -> tuple[str, ...]:
    names = []
    for t in TARGETS:
        names.append(f"mutation_{t.package}")
        REGISTRY.register(
            names[-1],
            Level.L1,
            f"Mutation testing of {t.covers} ({t.package}) kills at least {t.threshold:.0%} of "
            "mutants, and every survivor is explained as equivalent.",
        )(mutation_check(t))
    return tuple(names)


L1_CHECKS = ("l1_suite", *_register_mutation_checks())
