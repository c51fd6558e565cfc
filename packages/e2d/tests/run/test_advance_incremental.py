"""An evening computes only its new sessions, and still ends equal to one batch run (ADR 0014).

The incremental path of stages 6-7 (research/incremental.py) must leave the
same bytes as the full recompute: every content artifact, the ONNX exports
and folds.json (skops files carry their own write time: no two runs agree on
them, so they are compared by what they hold, the ONNX bytes). The trace says
which path each stage took and why; a failed precondition falls back to the
full recompute and still ends equal to batch.

Real runs through the console script, all l1: the bundled data cut on both
sides of a fold boundary, and a SYNTHETIC universe of 200 symbols with a fold
boundary and ex-dates. The per-PR evenings are in test_advance.py (they share
its batch run).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.compute as pc
import pytest

from _evening import content, evening_events
from _runs import aurora_here
from _snapshots import cut_snapshot
from aurora_e2d.data import load_snapshot
from aurora_e2d.data.snapshot_cut import cut_snapshot_dir
from aurora_e2d.data.synthetic_snapshot import write_synthetic_snapshot

START = ("--start", "2012-09-04")
D = dt.date.fromisoformat


def run(snapshot: Path, run_dir: Path, *args: str) -> None:
    done = aurora_here("run", "--snapshot", snapshot, "--run-dir", run_dir, *args)
    assert done.returncode == 0, done.stderr[-3000:]


def advance(run_dir: Path, snapshot: Path) -> None:
    step = aurora_here("advance", "--run-dir", run_dir, "--snapshot", snapshot)
    assert step.returncode == 0, step.stderr[-3000:]
    assert "Traceback" not in step.stderr


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
    fold year) and on the next two ex-dates, then the rest; byte for byte one batch run, and no
    ex-date evening refits a fold."""
    # (about two ex-dates per session at 200 symbols: nearly every evening has one)
    full = tmp_path / "syn"
    write_synthetic_snapshot(full, 200, 3.6, seed=5, end=D("2019-02-28"))  # first fold: 2018
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
    # Every evening takes the incremental path. The features read a series anchored at each
    # symbol's first bar (ADR 0016), so an ex-date changes no earlier row: only the fold boundary
    # refits (its fold alone), the ex-date evenings refit nothing.
    assert all(p["used"] is True for p in paths), paths
    notes = [p["notes"] for p in paths]
    assert notes[0] == ["refit of fold(s) [2019]: a fold boundary was crossed"], notes
    assert notes[1:] == [[], [], []], notes
    assert content(tmp_path / "run") == content(tmp_path / "batch")
