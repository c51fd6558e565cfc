"""`aurora bless`: the champion/challenger blessing of a candidate run against the champion run.

Both runs must be finished and intact and trade the same snapshot over the
same window (else bad input, exit 2). Every check runs, whatever the others
found, so a failed blessing names every reason at once; a check that cannot
run fails. The verdict goes to ``<candidate>/blessing.json`` (listed in its
manifest), the candidate's report is re-rendered to show it, and the same
JSON can be written elsewhere for promotion evidence.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np

from aurora_e2d.blessing.evidence import RunEvidence, load_run
from aurora_e2d.blessing.inputs import drift_check, staleness_check
from aurora_e2d.blessing.performance import baselines_check, champion_check, slices_check
from aurora_e2d.blessing.sharpe import infer
from aurora_e2d.blessing.skew import skew_check
from aurora_e2d.blessing.trials import Trial, append_trial, read_trials, trial_sharpes
from aurora_e2d.blessing.verdict import BLESSING_FILE, Blessing, CheckResult
from aurora_e2d.core.errors import InputError
from aurora_e2d.report.page import REPORT, write_report
from aurora_e2d.run.lock import RunLock
from aurora_e2d.rundir.config import BlessConfig
from aurora_e2d.rundir.layout import REPORT_ENTRY
from aurora_e2d.rundir.manifest import record_in_manifest

__all__ = ["CHECKS", "bless_runs"]

# name -> what it needs; the order of blessing.json and of the report.
CHECKS: tuple[tuple[str, Callable[[RunEvidence, RunEvidence, BlessConfig], CheckResult]], ...] = (
    ("champion", champion_check),
    ("baselines", lambda c, _p, b: baselines_check(c, b)),
    ("slices", lambda c, _p, b: slices_check(c, b)),
    ("training_serving_skew", lambda c, _p, b: skew_check(c, b)),
    ("input_drift", lambda c, _p, b: drift_check(c, b)),
    ("model_staleness", lambda c, _p, b: staleness_check(c, b)),
)


def _same_ground(candidate: RunEvidence, champion: RunEvidence) -> None:
    """Runs over different snapshots or windows cannot be compared: bad input."""
    if candidate.snapshot_lock != champion.snapshot_lock:
        raise InputError(
            f"--champion-run {champion.run_dir}",
            f"trades snapshot {champion.snapshot_lock}, the candidate {candidate.snapshot_lock}: "
            "bless runs over the same snapshot",
        )
    if candidate.window != champion.window:
        (c0, c1), (p0, p1) = candidate.window, champion.window
        raise InputError(
            f"--champion-run {champion.run_dir}",
            f"trades {p0}..{p1}, the candidate {c0}..{c1}: bless runs over the same window",
        )


def _run(name: str, check: Callable[..., CheckResult], *args: object) -> CheckResult:
    try:
        return check(*args)
    except Exception as error:  # a check that cannot run fails; the others still run
        frame = traceback.extract_tb(error.__traceback__)[-1]
        return CheckResult(
            name,
            "(the check raised before it could decide)",
            False,
            f"check could not run: {type(error).__name__}: {error}",
            {"at": f"{Path(frame.filename).name}:{frame.lineno}"},
        )


def _sharpe_inference(candidate: RunEvidence, ledger: Path | None) -> tuple[dict[str, object], float | None]:
    """PSR/DSR of the candidate's booked daily returns, trials counted from ``ledger``; and its Sharpe."""
    returns = _booked_returns(candidate)
    try:
        alone = infer(returns)
        trials = [] if ledger is None else read_trials(ledger)
        inference = infer(returns, trial_sharpes(trials, candidate.identity(), alone.sharpe_per_period))
    except ValueError as error:
        return {"error": str(error), "ledger": None if ledger is None else str(ledger)}, None
    return (
        {
            **inference.as_dict(),
            "message": inference.message,
            "ledger": None if ledger is None else str(ledger),
        },
        inference.sharpe_per_period,
    )


def _booked_returns(run: RunEvidence) -> np.ndarray:
    equity = run.frame("equity").sort("date")["equity"].to_numpy()
    return equity[1:] / equity[:-1] - 1.0


def bless_runs(
    candidate_dir: Path,
    champion_dir: Path,
    bless: BlessConfig,
    *,
    thresholds_source: str,
    json_path: Path | None = None,
    ledger: Path | None = None,
    record: bool = False,
) -> Blessing:
    """Assess, write ``<candidate>/blessing.json`` (and ``json_path``), re-render the candidate's report.

    ``ledger`` (the reference's ``blessings.jsonl``) counts the trials of the deflated Sharpe ratio;
    with ``record`` this blessing is appended to it."""
    candidate = load_run(candidate_dir, "candidate")
    same = candidate_dir.resolve() == champion_dir.resolve()
    champion = candidate if same else load_run(champion_dir, "champion")
    _same_ground(candidate, champion)
    first, last = candidate.window
    sharpe, sharpe_per_period = _sharpe_inference(candidate, ledger)
    blessing = Blessing(
        candidate=candidate.identity(),
        champion=champion.identity(),
        window={"first": str(first), "last": str(last), "same_run": same},
        thresholds=bless.model_dump(mode="json"),
        thresholds_source=thresholds_source,
        checks=tuple(_run(name, check, candidate, champion, bless) for name, check in CHECKS),
        sharpe=sharpe,
    )
    with RunLock(candidate_dir):
        blessing.write(candidate_dir / BLESSING_FILE)
        record_in_manifest(candidate_dir, "blessing", BLESSING_FILE)
        write_report(candidate_dir)
        record_in_manifest(candidate_dir, REPORT_ENTRY, REPORT)
    if json_path is not None:
        blessing.write(json_path)
    if record and ledger is not None and sharpe_per_period is not None:
        identity = candidate.identity()
        append_trial(
            ledger,
            Trial(
                manifest_sha256=str(identity["manifest_sha256"]),
                snapshot_lock_sha256=str(identity["snapshot_lock_sha256"]),
                sharpe_per_period=sharpe_per_period,
                run_id=str(identity["run_id"]),
                blessed=blessing.blessed,
            ),
        )
    return blessing
