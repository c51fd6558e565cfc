"""The ML Test Score self-assessment (Breck et al., 2017) written with every promotion report.

28 tests in four sections. Each is scored as the paper says: 0 when not done,
0.5 when done by hand with the result documented, 1 when automated and run
repeatedly. A test only counts as automated here when the gate or check that
automates it exists *and* its evidence in this promotion passed; otherwise it
falls back to what is done by hand (or 0). The score of the system is the
minimum of the four section scores. Honest on purpose: the gaps are the
to-do list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["SECTIONS", "TESTS", "MLTest", "assess"]

SECTIONS = ("data", "model", "infrastructure", "monitoring")


@dataclass(frozen=True, slots=True)
class MLTest:
    id: str  # "Data 1" ... as numbered in the paper
    section: str
    name: str  # the paper's title
    automation: str  # what automates it here ("" when nothing does)
    evidence: tuple[str, ...]  # checklist items / blessing checks whose passing this promotion proves it ran
    manual: str  # what is done by hand and documented ("" when nothing is)


def _t(id_: str, section: str, name: str, automation: str, evidence: tuple[str, ...], manual: str) -> MLTest:
    return MLTest(id_, section, name, automation, evidence, manual)


TESTS: tuple[MLTest, ...] = (
    _t("Data 1", "data", "Feature expectations are captured in a schema",
       "FEATURES_SCHEMA (types, nullability) enforced on every write; gate l0 schema/dtype checks",
       ("gate_l0",), ""),
    _t("Data 2", "data", "All features are beneficial", "", (), ""),
    _t("Data 3", "data", "No feature's cost is too much", "", (),
       "nox -s bench measures the feature stage's time and memory (reports/bench-e2d.json); not per feature"),
    _t("Data 4", "data", "Features adhere to meta-level requirements",
       "test_features: changing data after t leaves features up to t unchanged; float32 (nightly suite)",
       ("l1_evidence",), ""),
    _t("Data 5", "data", "The data pipeline has appropriate privacy controls", "", (),
       "public-domain market prices only, no personal data (goldens/snapshot/PROVENANCE.md)"),
    _t("Data 6", "data", "New features can be added quickly", "", (), ""),
    _t("Data 7", "data", "All input feature code is tested",
       "test_features: every feature against a pandas reference and known values (nightly suite)",
       ("l1_evidence",), ""),
    _t("Model 1", "model", "Model specs are reviewed and submitted", "", (),
       "model code is reviewed in pull requests; a candidate model lives behind a flag with its ADR (flags item)"),
    _t("Model 2", "model", "Offline and online metrics correlate", "", (),
       "the report sets after-costs metrics beside the frictionless reference; no correlation is measured"),
    _t("Model 3", "model", "All hyperparameters have been tuned", "", (), ""),
    _t("Model 4", "model", "The impact of model staleness is known", "", (),
       "walk-forward refits yearly; the age limit is argued in ADR 0006, its effect on quality is not measured"),
    _t("Model 5", "model", "A simpler model is not better",
       "aurora bless: against the champion and the equal-weight and buy-and-hold baselines",
       ("blessing:champion", "blessing:baselines"), ""),
    _t("Model 6", "model", "Model quality is sufficient on important data slices",
       "aurora bless: per calendar year and per symbol group", ("blessing:slices",), ""),
    _t("Model 7", "model", "The model is tested for considerations of inclusion", "", (), ""),
    _t("Infra 1", "infrastructure", "Training is reproducible",
       "gate l2 cross-process determinism; rollback-test byte-for-byte", ("rollback_test",), ""),
    _t("Infra 2", "infrastructure", "Model specs are unit tested",
       "test_model, test_export: fits, folds, ONNX/skops parity (nightly suite)", ("l1_evidence",), ""),
    _t("Infra 3", "infrastructure", "The ML pipeline is integration tested",
       "gate l0: a real E2D run on the bundled snapshot and checks on its artifacts", ("gate_l0",), ""),
    _t("Infra 4", "infrastructure", "Model quality is validated before serving",
       "aurora bless and the ratchet against goldens before promotion", ("blessing",), ""),
    _t("Infra 5", "infrastructure", "The model is debuggable", "", (),
       "predictions.parquet, models/folds.json and the report let one decision be traced by hand"),
    _t("Infra 6", "infrastructure", "Models are canaried before serving", "", (),
       "paper trading precedes any live use; there is no staged rollout"),
    _t("Infra 7", "infrastructure", "Serving models can be rolled back",
       "AURORA_ROLLBACK=1 and the rollback-test on this revision", ("rollback_test",), ""),
    _t("Monitor 1", "monitoring", "Dependency changes result in notification", "", (),
       "constraints.txt pins every dependency and the manifest records versions; nothing notifies"),
    _t("Monitor 2", "monitoring", "Data invariants hold for inputs",
       "the sanity stage (strict) on every run; snapshot hashes verified at ingest", ("gate_l0",), ""),
    _t("Monitor 3", "monitoring", "Training and serving are not skewed",
       "aurora bless: features through aurora advance equal batch features bit for bit",
       ("blessing:training_serving_skew",), ""),
    _t("Monitor 4", "monitoring", "Models are not too stale",
       "aurora bless: deployed fold age; aurora status shows it daily", ("blessing:model_staleness",), ""),
    _t("Monitor 5", "monitoring", "Models are numerically stable",
       "export parity (ONNX vs skops vs memory) and the NaN/inf feature guard on every run; l1 edge cases",
       ("gate_l1",), ""),
    _t("Monitor 6", "monitoring", "Computing performance has not regressed", "", (),
       "nox -s bench prints latency and memory figures; no threshold gates them"),
    _t("Monitor 7", "monitoring", "Prediction quality has not regressed",
       "aurora bless: after-costs Sharpe, drawdown and turnover against the champion (and the ratchet in l2)",
       ("blessing:champion",), ""),
)  # fmt: skip


def _passed(evidence: str, items: Mapping[str, bool], checks: Mapping[str, bool]) -> bool:
    if evidence.startswith("blessing:"):
        return checks.get(evidence.removeprefix("blessing:"), False)
    return items.get(evidence, False)


def assess(items: Mapping[str, bool], blessing_checks: Mapping[str, bool]) -> dict[str, Any]:
    """Score every test from this promotion's checklist results and blessing checks."""
    rows: list[dict[str, Any]] = []
    for test in TESTS:
        ran = bool(test.automation) and all(_passed(e, items, blessing_checks) for e in test.evidence)
        points = 1.0 if ran else 0.5 if test.manual else 0.0
        how = "automated" if ran else "manual" if test.manual else "not done"
        note = test.automation if ran else test.manual
        if test.automation and not ran:
            note = f"{test.automation} -- did not pass in this promotion" + (
                f"; by hand: {test.manual}" if test.manual else ""
            )
        rows.append(
            {
                "id": test.id,
                "section": test.section,
                "name": test.name,
                "points": points,
                "how": how,
                "by": note,
            }
        )
    sections = {s: sum(r["points"] for r in rows if r["section"] == s) for s in SECTIONS}
    return {"tests": rows, "sections": sections, "score": min(sections.values()), "max_per_section": 7}


def markdown(assessment: Mapping[str, Any]) -> list[str]:
    """The self-assessment as a markdown section of the promotion report."""
    lines = [
        "",
        "## ML Test Score self-assessment (Breck et al. 2017)",
        "",
        "Points: 1 automated and passed in this promotion, 0.5 done by hand and documented, 0 not done. "
        f"Score = the lowest section: **{assessment['score']:g}** "
        f"({', '.join(f'{s} {v:g}' for s, v in assessment['sections'].items())}; 7 per section at most).",
        "",
        "| test | name | points | how | by |",
        "|---|---|---|---|---|",
    ]
    rows: Sequence[Mapping[str, Any]] = assessment["tests"]
    lines += [f"| {r['id']} | {r['name']} | {r['points']:g} | {r['how']} | {r['by']} |" for r in rows]
    return lines
