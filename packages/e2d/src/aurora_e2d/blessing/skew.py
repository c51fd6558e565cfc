"""Training-serving skew: features recomputed through the daily path equal the batch features.

The candidate's features.parquet came from one batch run. Daily operation
computes the same features one session at a time (`aurora advance`). The
check replays that path on the candidate's own data: it writes the
candidate's snapshot cut ``skew_sessions`` sessions before its last session
(through the snapshot writer, as `aurora data import` does), runs the
candidate's config to the cut in a scratch directory (trading the cut's
session only: the features do not depend on the window), advances it with the
data up to the last session, and compares the features of the advanced
sessions with the candidate's batch rows -- the same (symbol, session) keys,
every float32 value bit for bit. A check that cannot run fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from aurora_e2d.blessing.evidence import RunEvidence
from aurora_e2d.blessing.verdict import CheckResult
from aurora_e2d.data.audit import sanity_report
from aurora_e2d.data.ingest import Snapshot, load_snapshot
from aurora_e2d.data.sessions import session_closes
from aurora_e2d.data.snapshot_writer import write_snapshot_dir
from aurora_e2d.research.features import FEATURE_COLUMNS
from aurora_e2d.rundir.config import BlessConfig
from aurora_e2d.rundir.layout import CONFIG_FILE
from aurora_safety.env import flag_var

__all__ = ["ADVANCE_COMMAND", "compare_features", "cut_snapshot", "skew_check"]

ADVANCE_COMMAND = "advance"
TIMEOUT_S = 1_800
_OK_EXITS = (0, 4)  # a breaker halt still computed every feature


def _aurora(*args: str, env: dict[str, str], timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """The `aurora` CLI of this very installation, in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "aurora_e2d.cli.app", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _env(candidate: RunEvidence) -> dict[str, str]:
    """This environment without AURORA_*, plus the candidate's effective flags."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURORA_")}
    for name, on in sorted(candidate.manifest.get("flags", {}).items()):
        if on:
            env[flag_var(name)] = "1"
    return env


def cut_snapshot(snapshot: Snapshot, end: date, out: Path) -> Path:
    """``snapshot`` up to ``end`` (prices and corporate actions) written as a new snapshot at ``out``."""
    prices = snapshot.prices.filter(pc.less_equal(snapshot.prices.column("date"), pa.scalar(end)))
    actions = snapshot.actions.filter(pc.less_equal(snapshot.actions.column("ex_date"), pa.scalar(end)))
    first = pc.min(prices.column("date")).as_py()
    source = {"cut_of": snapshot.lock_sha256, "end": end.isoformat(), "purpose": "aurora bless skew check"}
    write_snapshot_dir(
        out,
        prices=prices,
        actions=actions,
        kind="imported",
        calendar=snapshot.calendar,
        price_basis="raw",
        source=source,
        sanity=sanity_report(
            prices, actions, session_closes(first, end, snapshot.calendar).dates, snapshot.calendar
        ),
        provenance=lambda lock: f"# Cut of snapshot {snapshot.lock_sha256} through {end} (aurora bless)\n",
    )
    return out


def compare_features(batch: pl.DataFrame, daily: pl.DataFrame, sessions: list[date]) -> dict[str, Any]:
    """Keys and float32 bits of the feature columns on ``sessions``; empty ``mismatches`` when equal."""
    columns = ["symbol", "date", *FEATURE_COLUMNS]
    left = batch.filter(pl.col("date").is_in(sessions)).select(columns).sort("symbol", "date")
    right = daily.filter(pl.col("date").is_in(sessions)).select(columns).sort("symbol", "date")
    mismatches: list[str] = []
    left_keys = set(zip(left["symbol"].to_list(), left["date"].to_list(), strict=True))
    right_keys = set(zip(right["symbol"].to_list(), right["date"].to_list(), strict=True))
    for symbol, day in sorted(left_keys ^ right_keys)[:5]:
        side = "batch" if (symbol, day) in left_keys else "daily path"
        mismatches.append(f"{symbol} {day} only in the {side}")
    if left_keys == right_keys:
        for column in FEATURE_COLUMNS:
            a = left[column].cast(pl.Float32).to_numpy().view(np.uint32)
            b = right[column].cast(pl.Float32).to_numpy().view(np.uint32)
            for i in np.flatnonzero(a != b)[:3]:
                mismatches.append(
                    f"{column} {left['symbol'][int(i)]} {left['date'][int(i)]}: batch "
                    f"{left[column][int(i)]!r}, daily {right[column][int(i)]!r}"
                )
    return {"rows": left.height, "mismatches": mismatches}


def _config_for_daily_path(candidate: RunEvidence, cut: date, path: Path) -> Path:
    """The candidate's config with no fixed end (daily operation needs an open-ended run), trading
    from the cut's session only: stages 2-5 read every bar up to the snapshot's end whatever the
    window, so the features are the same, and the scratch run does not replay the candidate's whole
    execution and report before its one evening (`aurora bless` of the full bundled run: 17 -> 12 s)."""
    config = candidate.config.model_dump(mode="json")
    config["end"] = None
    config["start"] = cut.isoformat()
    config["data"]["snapshot"] = None
    path.write_text(json.dumps({"config": config}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def _requirement(bless: BlessConfig) -> str:
    return (
        f"the features of the last {bless.skew_sessions} sessions recomputed through `aurora advance` equal "
        "the batch features.parquet rows bit for bit (float32)"
    )


def _failed(bless: BlessConfig, message: str, **evidence: Any) -> CheckResult:
    return CheckResult("training_serving_skew", _requirement(bless), False, message, evidence)


def skew_check(candidate: RunEvidence, bless: BlessConfig) -> CheckResult:
    # No separate probe for `aurora advance` (it cost an interpreter start per blessing): the daily
    # path's own `advance` step below fails the check by name if it cannot run.
    sessions = candidate.sessions
    if len(sessions) <= bless.skew_sessions:
        return _failed(
            bless, f"cannot run: the run has {len(sessions)} sessions, not more than {bless.skew_sessions}"
        )
    cut, last = sessions[-bless.skew_sessions - 1], sessions[-1]
    advanced = [d for d in sessions if cut < d <= last]
    directory = candidate.config.data.snapshot
    snapshot = load_snapshot(None if directory is None else Path(directory))
    if snapshot.lock_sha256 != candidate.snapshot_lock:
        return _failed(
            bless, f"cannot run: the snapshot at {snapshot.directory} is not the run's (lock differs)"
        )
    env = _env(candidate)
    with tempfile.TemporaryDirectory(prefix="aurora-bless-skew-") as scratch:
        root = Path(scratch)
        head = cut_snapshot(snapshot, cut, root / "head")
        final = cut_snapshot(snapshot, last, root / "final")
        config = _config_for_daily_path(candidate, cut, root / CONFIG_FILE)
        run_dir = root / "daily"
        steps = [
            ("run", ["run", "--config", str(config), "--snapshot", str(head), "--run-dir", str(run_dir)]),
            (ADVANCE_COMMAND, [ADVANCE_COMMAND, "--run-dir", str(run_dir), "--snapshot", str(final)]),
        ]
        for name, args in steps:
            done = _aurora(*args, env=env)
            if done.returncode not in _OK_EXITS:
                tail = (done.stderr.strip().splitlines() or [""])[-1]
                return _failed(
                    bless, f"cannot run: `aurora {name}` exited {done.returncode}: {tail}", cut=str(cut)
                )
        daily = pl.read_parquet(run_dir / "features.parquet")
    found = compare_features(candidate.frame("features"), daily, advanced)
    evidence = {"cut": str(cut), "last": str(last), "sessions": len(advanced), **found}
    if found["rows"] == 0:
        return _failed(bless, f"no batch feature row on the {len(advanced)} sessions after {cut}", **evidence)
    if found["mismatches"]:
        return _failed(
            bless,
            f"daily features differ from batch on the {len(advanced)} sessions after {cut}: "
            + "; ".join(found["mismatches"]),
            **evidence,
        )
    return CheckResult(
        "training_serving_skew",
        _requirement(bless),
        True,
        f"{found['rows']:,} feature rows of {len(advanced)} sessions ({advanced[0]}..{last}) identical through "
        "the daily path",
        evidence,
    )
