"""`aurora advance` on real runs: advancing equals batch, immutable history, idempotent repeats,
reconciliation, and every safety rule of the runtime.

The commands run in this interpreter (``_runs.aurora_here``): what is under test is what an evening
computes and refuses, not the process around it; the console script's own `advance` (exit codes,
start-up, signals) is exercised in subprocesses by tests/run/test_only_resume_lifts_a_halt.py and
the daily-operation runbook test.

Snapshots are the bundled real data cut at a date and imported (``_snapshots``).
Runs start at 2012-09-04 so each pipeline run takes a few seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from _evening import content, evening_events, numbers
from _runs import ALL_ARTIFACTS, artifact_hashes, aurora_here, cached_run, query, tree_hashes
from _snapshots import JANUARY_RUN, cut_snapshot, drop_session, restate, shared_cut
from aurora_e2d.research.incremental import BASE_DIR

START = ("--start", "2012-09-04")
FINAL = dt.date(2013, 3, 1)
D = dt.date.fromisoformat


class Cuts:
    """Imported cuts of the bundled data, shared read-only: unedited ones by every module that asks
    (``shared_cut``), edited ones made once per module."""

    def __init__(self, root: Path, basetemp: Path) -> None:
        self.root = root
        self.basetemp = basetemp
        self._made: dict[str, Path] = {}

    def at(self, end: dt.date, edit=None, name: str | None = None) -> Path:
        key = name or end.isoformat()
        if key not in self._made:
            if edit is None and name is None:
                self._made[key] = shared_cut(self.basetemp, end)
            else:
                self._made[key] = cut_snapshot(self.root / key, end, edit)
        return self._made[key]


@pytest.fixture(scope="module")
def cuts(tmp_path_factory: pytest.TempPathFactory) -> Cuts:
    return Cuts(tmp_path_factory.mktemp("cuts"), tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def batch(cuts: Cuts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run over the final data: what every advanced run must end equal to."""
    run_dir = tmp_path_factory.mktemp("batch") / "run"
    done = aurora_here("run", "--snapshot", cuts.at(FINAL), "--run-dir", run_dir, *START)
    assert done.returncode == 0, done.stderr[-3000:]
    return run_dir


def advanced(cuts: Cuts, run_dir: Path, seams: list[dt.date], *args: str) -> list[int]:
    """Run on the first cut, then advance through the others to FINAL; the exit codes."""
    first = aurora_here("run", "--snapshot", cuts.at(seams[0]), "--run-dir", run_dir, *START, *args)
    codes = [first.returncode]
    assert first.returncode in (0, 4), first.stderr[-3000:]
    for end in [*seams[1:], FINAL]:
        step = aurora_here("advance", "--run-dir", run_dir, "--snapshot", cuts.at(end))
        assert step.returncode in (0, 4), step.stderr[-3000:]
        assert "Traceback" not in step.stderr
        codes.append(step.returncode)
    return codes


def test_advancing_across_a_fold_year_and_an_ex_date_equals_one_batch_run(
    cuts: Cuts, batch: Path, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    # 2012-11-06 -> 11-07: one new session, the daily case (exchange-calendars refuses a one-day
    # window: this step failed until the calendar was built one day wider), and AAPL and IBM go
    # ex-dividend on it; 2012-12-31 -> 2013-01-02: a new walk-forward fold (2013) is fitted.
    assert advanced(cuts, run_dir, [D("2012-11-06"), D("2012-11-07"), D("2012-12-31")]) == [0, 0, 0, 0]
    assert artifact_hashes(run_dir, ALL_ARTIFACTS) == artifact_hashes(batch, ALL_ARTIFACTS)
    history = json.loads((run_dir / "manifest.json").read_text())["history"]
    assert [(h["kind"], h["after_session"], h["last_session"]) for h in history] == [
        ("advance", "2012-11-06", "2012-11-07"),
        ("advance", "2012-11-07", "2012-12-31"),
        ("advance", "2012-12-31", "2013-03-01"),
    ]


@pytest.mark.l1
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_advancing_over_random_seams_equals_batch(cuts: Cuts, batch: Path, tmp_path: Path, seed: int) -> None:
    """Property: any cut dates (a dividend ex-date included by chance or not) give the batch bytes."""
    sessions = sorted({d for d in query(batch, "SELECT session FROM checkpoints")})
    days = [D(s) for (s,) in sessions if D(s) < FINAL]
    chosen = sorted(random.Random(seed).sample(days[5:], 3))
    assert advanced(cuts, tmp_path / "run", chosen)[-1] == 0
    assert artifact_hashes(tmp_path / "run", ALL_ARTIFACTS) == artifact_hashes(batch, ALL_ARTIFACTS)


@pytest.mark.l1
def test_advancing_across_a_breaker_trip_equals_batch_and_stays_tripped(cuts: Cuts, tmp_path: Path) -> None:
    config = tmp_path / "tight.toml"
    config.write_text("[limits]\nmax_drawdown_pct = 2.0\n")
    whole = tmp_path / "batch"
    tripped = aurora_here("run", "--snapshot", cuts.at(FINAL), "--config", config, "--run-dir", whole, *START)
    assert tripped.returncode == 4, tripped.stderr[-2000:]
    halted_at = D(query(whole, "SELECT MAX(session) FROM checkpoints")[0][0])
    seams = [halted_at - dt.timedelta(days=7), halted_at]
    codes = advanced(
        cuts, tmp_path / "run", [s for s in seams if s > D("2012-09-10")], "--config", str(config)
    )
    assert codes[-1] == 4  # still tripped: only an operator reset and resume lift it
    # The halted run was refused before reading the newer data: its journal-derived artifacts are
    # the batch's (same halt, same session); its data artifacts still cover the older snapshot.
    traded = ("orders", "fills", "positions", "equity")
    assert artifact_hashes(tmp_path / "run", traded) == artifact_hashes(whole, traded)


@pytest.fixture
def up_to_january(cuts: Cuts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A completed open-ended run on data to 2013-01-15 (copied per test: tests change it); the
    same run test_backup backs up (``JANUARY_RUN``), made once for both."""
    base = cached_run(tmp_path_factory, *JANUARY_RUN(cuts.at(D("2013-01-15"))), name="paper").run_dir
    copy = tmp_path_factory.mktemp("january") / "run"
    shutil.copytree(base, copy)
    return copy


def test_the_same_snapshot_again_is_a_no_op_that_says_so(cuts: Cuts, up_to_january: Path) -> None:
    before = tree_hashes(up_to_january)
    again = aurora_here("advance", "--run-dir", up_to_january, "--snapshot", cuts.at(D("2013-01-15")))
    assert again.returncode == 0, again.stderr
    assert "nothing to advance" in again.stdout
    assert "has no session after 2013-01-15" in again.stdout
    assert tree_hashes(up_to_january) == before


def test_a_restatement_is_refused_naming_symbol_and_date_and_changes_nothing(
    cuts: Cuts, up_to_january: Path
) -> None:
    restated = cuts.at(FINAL, restate("AAPL", D("2012-10-01"), 1.01), name="restated")
    before = tree_hashes(up_to_january)
    refused = aurora_here("advance", "--run-dir", up_to_january, "--snapshot", restated)
    assert refused.returncode == 2, refused.stderr
    line = refused.stderr.strip()
    assert line.count("\n") == 0
    assert "Traceback" not in line
    assert line.startswith(f"aurora: error: {restated}: restates history already traded (up to 2013-01-15): ")
    assert "prices AAPL 2012-10-01: open was 671.5, now " in line
    assert line.endswith("refused (accept it explicitly with --accept-restatement)")
    assert tree_hashes(up_to_january) == before

    accepted = aurora_here(
        "advance", "--run-dir", up_to_january, "--snapshot", restated, "--accept-restatement"
    )
    assert accepted.returncode == 0, accepted.stderr[-3000:]
    kinds = [k for (k,) in query(up_to_january, "SELECT kind FROM run_events ORDER BY seq")]
    assert kinds == ["restatement_accepted", "advance"]
    history = json.loads((up_to_january / "manifest.json").read_text())["history"]
    assert history[0]["kind"] == "restatement_accepted"
    assert history[0]["first_difference"].startswith("prices AAPL 2012-10-01: open was 671.5")
    assert history[1]["accepted_restatement"] is True


@pytest.mark.l1
def test_a_snapshot_that_skips_a_session_is_refused_naming_it(cuts: Cuts, up_to_january: Path) -> None:
    gap = cuts.at(D("2013-01-25"), drop_session(D("2013-01-22")), name="gap")
    before = tree_hashes(up_to_january)
    refused = aurora_here("advance", "--run-dir", up_to_january, "--snapshot", gap)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"aurora: error: {gap}: skips 1 session(s) of XNYS after 2013-01-15: 2013-01-22"
    )
    assert tree_hashes(up_to_january) == before


def test_a_journal_that_disagrees_with_the_broker_halts_before_any_order(
    cuts: Cuts, up_to_january: Path
) -> None:
    with sqlite3.connect(up_to_january / "journal.sqlite") as conn:  # a manual trade at the "broker"
        symbol, quantity = conn.execute(
            "SELECT symbol, quantity FROM positions WHERE quantity > 0 LIMIT 1"
        ).fetchone()
        conn.execute("UPDATE positions SET quantity = quantity + 7 WHERE symbol = ?", (symbol,))
    orders_before = query(up_to_january, "SELECT COUNT(*) FROM route_results")[0][0]
    halted = aurora_here("advance", "--run-dir", up_to_january, "--snapshot", cuts.at(FINAL))
    assert halted.returncode == 4, halted.stderr[-3000:]
    assert (
        f"reconciliation mismatch: position {symbol}: journal {quantity}, broker {quantity + 7}"
        in halted.stderr
    )
    assert query(up_to_january, "SELECT COUNT(*) FROM route_results")[0][0] == orders_before
    cause = query(up_to_january, "SELECT to_state, cause FROM trading_state_events ORDER BY seq DESC LIMIT 1")
    assert cause == [("HALTED", "reconciliation")]
    alerts = [json.loads(line) for line in (up_to_january / "alerts.jsonl").read_text().splitlines()]
    assert any(a["kind"] == "reconciliation" for a in alerts)


@pytest.mark.l1
def test_a_kill_file_stops_an_advance(cuts: Cuts, up_to_january: Path) -> None:
    assert aurora_here("kill", "--run-dir", up_to_january, "--reason", "hold").returncode == 0
    stopped = aurora_here("advance", "--run-dir", up_to_january, "--snapshot", cuts.at(FINAL))
    assert stopped.returncode == 3, stopped.stderr[-2000:]
    assert f"file:{up_to_january / 'kill.flag'}" in stopped.stderr
    assert query(up_to_january, "SELECT MAX(session) FROM checkpoints")[0][0] == "2013-01-15"


@pytest.mark.l1
def test_a_run_with_a_fixed_end_cannot_be_advanced(cuts: Cuts, tmp_path: Path) -> None:
    run_dir = tmp_path / "fixed"
    assert (
        aurora_here("run", "--run-dir", run_dir, "--start", "2013-02-01", "--end", "2013-02-28").returncode
        == 0
    )
    refused = aurora_here("advance", "--run-dir", run_dir, "--snapshot", cuts.at(FINAL))
    assert refused.returncode == 2
    assert "was started with --end 2013-02-28; daily operation needs an open-ended run" in refused.stderr


# ------------------------------------------------------------------ one evening, incremental (ADR 0014)
@pytest.fixture(scope="module")
def day_before_final(cuts: Cuts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A completed open-ended run on data to the session before FINAL (copied by each test)."""
    run_dir = tmp_path_factory.mktemp("day-before") / "run"
    done = aurora_here("run", "--snapshot", cuts.at(D("2013-02-28")), "--run-dir", run_dir, *START)
    assert done.returncode == 0, done.stderr[-3000:]
    return run_dir


def test_one_evening_predicts_and_decides_only_its_session_and_equals_batch(
    cuts: Cuts, batch: Path, day_before_final: Path, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(day_before_final, run_dir)
    step = aurora_here("advance", "--run-dir", run_dir, "--snapshot", cuts.at(FINAL))
    assert step.returncode == 0, step.stderr[-3000:]
    events = evening_events(run_dir)
    assert events["predictions"]["used"] is True, events
    assert events["decisions"]["used"] is True, events
    assert events["decisions"]["after"] == "2013-02-28"
    assert content(run_dir) == content(batch)
    assert numbers(run_dir) == numbers(batch)
    assert not (run_dir / BASE_DIR).exists()  # the previous artifacts' links are gone


def test_an_evening_whose_previous_predictions_cannot_be_trusted_recomputes_them_and_says_why(
    cuts: Cuts, batch: Path, day_before_final: Path, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(day_before_final, run_dir)
    stages = json.loads((run_dir / "stages.json").read_text())
    stages["predictions"]["sha256"] = "0" * 64  # the record no longer vouches for the file
    (run_dir / "stages.json").write_text(json.dumps(stages))
    step = aurora_here("advance", "--run-dir", run_dir, "--snapshot", cuts.at(FINAL))
    assert step.returncode == 0, step.stderr[-3000:]
    events = evening_events(run_dir)
    assert events["predictions"]["used"] is False
    assert events["predictions"]["reason"] == "the previous predictions artifact does not match its record"
    assert events["decisions"]["used"] is False
    assert content(run_dir) == content(batch)
