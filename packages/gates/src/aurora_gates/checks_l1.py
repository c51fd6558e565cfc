"""L1 checks (nightly): read the evidence `nox -s l1` just produced under reports/l1/.

The session empties reports/l1/ first, so a stale report from an earlier
revision cannot pass tonight's gate. A skipped test fails the gate: at L1
every suite must really have run (chromium, bokeh-sampledata and mutmut are
installed by the session).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from aurora_gates.registry import REGISTRY, CheckFailed, GateContext, Level

L1_REPORTS = Path("reports") / "l1"
JUNIT = "junit.xml"
MUTATION = "mutation.json"
MUTATION_THRESHOLD = 0.80


def _report(ctx: GateContext, name: str) -> Path:
    path = ctx.repo_root / L1_REPORTS / name
    if not path.is_file():
        raise CheckFailed(f"{L1_REPORTS / name} is missing (run `nox -s l1`)", file=str(path))
    return path


@REGISTRY.register(
    "l1_suite",
    Level.L1,
    "The nightly suite (crash recovery, oracle, parity edges, adversarial) ran in full: no failure, error or skip.",
)
def l1_suite(ctx: GateContext) -> dict[str, Any]:
    path = _report(ctx, JUNIT)
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


@REGISTRY.register(
    "mutation_score",
    Level.L1,
    "Mutation testing of the metrics math and data sanity kills at least 80 % of mutants.",
)
def mutation_score(ctx: GateContext) -> dict[str, Any]:
    path = _report(ctx, MUTATION)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        score = float(report["score"])
    except (ValueError, KeyError, TypeError) as error:
        raise CheckFailed(f"{path.name}: unreadable mutation report ({type(error).__name__})") from None
    counts = report.get("counts", report)  # aurora_gates.mutation nests the mutmut counts
    evidence = {
        "score": round(score, 4),
        "threshold": MUTATION_THRESHOLD,
        **{k: counts.get(k) for k in ("killed", "survived", "timeout", "skipped", "total") if k in counts},
    }
    if not counts.get("total"):
        raise CheckFailed("mutation testing produced no mutant", **evidence)
    if score < MUTATION_THRESHOLD:
        raise CheckFailed(f"mutation score {score:.1%} is under {MUTATION_THRESHOLD:.0%}", **evidence)
    return evidence
