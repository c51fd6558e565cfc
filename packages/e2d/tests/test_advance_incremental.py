"""An evening computes only its new sessions, and still ends equal to one batch run (ADR 0014).

The incremental path of stages 6-7 (research/incremental.py) must leave the
same bytes as the full recompute: every content artifact, the ONNX exports
and folds.json (skops files carry their own write time: no two runs agree on
them, so they are compared by what they hold, the ONNX bytes). The trace says
which path each stage took and why; a failed precondition falls back to the
full recompute and still ends equal to batch.

Real runs through the console script: the bundled data cut at a date
(``_snapshots``) and, under l1, a SYNTHETIC universe of 200 symbols with a
fold boundary and ex-dates.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pyarrow.compute as pc
import pytest

from _runs import ALL_ARTIFACTS, aurora
from _snapshots import cut_snapshot
from aurora_e2d.data import load_snapshot
from aurora_e2d.data.snapshot_cut import cut_snapshot_dir
from aurora_e2d.data.synthetic_snapshot import write_synthetic_snapshot
from aurora_e2d.research.incremental import BASE_DIR

START = ("--start", "2012-09-04")
D = dt.date.fromisoformat


def content(run_dir: Path) -> dict[str, str]:
    """sha256 of the content artifacts and the model exports but skops, from the manifest."""
    artifacts = json.loads((run_dir / "manifest.json").read_text())["artifacts"]
    return {
        name: entry["sha256"]
        for name, entry in artifacts.items()
        if name in ALL_ARTIFACTS or (name.startswith("models/") and not name.endswith(".skops"))
    }


def numbers(run_dir: Path) -> dict[str, object]:
    """The report's numbers: summary metrics and the frictionless reference (not wall times)."""
    summary = json.loads((run_dir / "summary.json").read_text())
    return {key: summary[key] for key in ("metrics", "frictionless", "sessions")}


def evening_events(run_dir: Path) -> dict[str, dict[str, object]]:
    """The ``incremental`` trace events of the last advance, by stage."""
    records = [json.loads(line) for line in (run_dir / "trace.jsonl").read_text().splitlines()]
    last_ingest = max(i for i, r in enumerate(records) if r.get("event") == "ingest")
    return {r["stage"]: r for r in records[last_ingest:] if r.get("event") == "incremental"}


def run(snapshot: Path, run_dir: Path, *args: str) -> None:
    done = aurora("run", "--snapshot", snapshot, "--run-dir", run_dir, *args)
    assert done.returncode == 0, done.stderr[-3000:]


def advance(run_dir: Path, snapshot: Path) -> None:
    step = aurora("advance", "--run-dir", run_dir, "--snapshot", snapshot)
    assert step.returncode == 0, step.stderr[-3000:]
    assert "Traceback" not in step.stderr


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Cuts of the bundled data on 2013-02-28 and 2013-03-01, a run on the first, a batch run on the second."""
    root = tmp_path_factory.mktemp("evening")
    before, after = (
        cut_snapshot(root / "before", D("2013-02-28")),
        cut_snapshot(root / "after", D("2013-03-01")),
    )
    run(before, root / "history", *START)
    run(after, root / "batch", *START)
    return {"before": before, "after": after, "history": root / "history", "batch": root / "batch"}


def test_one_evening_predicts_and_decides_only_its_session_and_equals_batch(
    bundled: dict[str, Path], tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(bundled["history"], run_dir)
    advance(run_dir, bundled["after"])
    events = evening_events(run_dir)
    assert events["predictions"]["used"] is True, events
    assert events["decisions"]["used"] is True, events
    assert events["decisions"]["after"] == "2013-02-28"
    assert content(run_dir) == content(bundled["batch"])
    assert numbers(run_dir) == numbers(bundled["batch"])
    assert not (run_dir / BASE_DIR).exists()  # the previous artifacts' links are gone


def test_an_evening_whose_previous_predictions_cannot_be_trusted_recomputes_them_and_says_why(
    bundled: dict[str, Path], tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(bundled["history"], run_dir)
    stages = json.loads((run_dir / "stages.json").read_text())
    stages["predictions"]["sha256"] = "0" * 64  # the record no longer vouches for the file
    (run_dir / "stages.json").write_text(json.dumps(stages))
    advance(run_dir, bundled["after"])
    events = evening_events(run_dir)
    assert events["predictions"]["used"] is False
    assert events["predictions"]["reason"] == "the previous predictions artifact does not match its record"
    assert events["decisions"] == {**events["decisions"], "used": False}
    assert content(run_dir) == content(bundled["batch"])


@pytest.mark.l1
def test_an_evening_on_a_fold_boundary_fits_the_new_fold_only_and_equals_batch(tmp_path: Path) -> None:
    before, after = (
        cut_snapshot(tmp_path / "before", D("2012-12-31")),
        cut_snapshot(tmp_path / "after", D("2013-01-02")),
    )
    run(after, tmp_path / "batch", *START)
    run(before, tmp_path / "run", *START)
    advance(tmp_path / "run", after)
    events = evening_events(tmp_path / "run")
    assert events["predictions"]["used"] is True, events
    assert events["predictions"]["notes"] == ["refit of fold(s) [2013]: a fold boundary was crossed"]
    assert events["decisions"]["used"] is True, events
    assert content(tmp_path / "run") == content(tmp_path / "batch")


# ------------------------------------------------------------------ SYNTHETIC, 200 symbols
@pytest.mark.l1
def test_200_symbols_advanced_over_a_fold_boundary_and_ex_dates_equal_batch(tmp_path: Path) -> None:
    """SYNTHETIC data: 200 symbols, history to 2018-12-31, then evenings on 2019-01-02 (a new
    fold year) and on the next two ex-dates, then the rest; byte for byte one batch run."""
    # (about two ex-dates per session at 200 symbols: nearly every evening has one)
    full = tmp_path / "syn"
    write_synthetic_snapshot(full, 200, 3.2, seed=5, end=D("2019-02-28"))
    actions = load_snapshot(full).actions
    later = pc.greater(actions.column("ex_date"), D("2019-01-02"))
    ex_dates = sorted(set(actions.filter(later).column("ex_date").to_pylist()))[:2]
    seams = [D("2018-12-31"), D("2019-01-02"), *ex_dates]
    config = tmp_path / "book.toml"
    config.write_text("[decisions]\ntop_k = 20\nmax_weight = 0.05\n")
    run(full, tmp_path / "batch", "--config", str(config))
    cuts = [cut_snapshot_dir(full, tmp_path / f"cut-{day}", day).directory for day in seams]
    run(cuts[0], tmp_path / "run", "--config", str(config))
    paths = []
    for snapshot in [*cuts[1:], full]:
        advance(tmp_path / "run", snapshot)
        paths.append(evening_events(tmp_path / "run")["predictions"])
    # Every evening takes the incremental path; an ex-date back-adjusts its symbol's history, so
    # batch refits every fold and the evening does too (its notes say so).
    assert all(p["used"] is True for p in paths), paths
    assert any("every fold refitted" in note for p in paths for note in p["notes"]), paths  # type: ignore[attr-defined]
    assert content(tmp_path / "run") == content(tmp_path / "batch")
