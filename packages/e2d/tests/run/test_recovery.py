"""Crash recovery and exactly-once, with real processes and real SIGKILLs (DESIGN.md §6).

A run is killed -- by the fault hook at a named point (``AURORA_FAULT_AT``,
the process SIGKILLs itself) or by ``os.kill(pid, SIGKILL)`` from here at a
random instant -- then ``aurora resume`` is run (again, if it is killed
too) until it exits 0. The result must equal an uninterrupted run of the
same window:

- the ``decisions``, ``orders``, ``fills``, ``positions`` and ``equity``
  Parquet files byte for byte (and ``bars``, ``features``, ``predictions``);
- the whole journal, row for row, except its wall-clock commit stamps;
- zero duplicate client order ids, zero double fills, no session missing
  from ``checkpoints`` or ``equity_snapshots``;
- the manifest describing the files actually on disk.

Nothing is mocked: real console script, real SQLite (WAL, fsync), real
Parquet, real signals. The full matrix and the 20 random instants are
``l1`` (nightly); one fault point and one random kill run on every PR.

The loop's fault points share one run: it is killed at the earliest point, a copy
of what the kill left is kept, the run is resumed with the next point armed and
killed again, and so on (``_loop_fault_chain``, built once per test run); each
parametrised test then resumes its own copy to the end. The pipeline's stages are
paid once instead of once per point, and every kill is still a real SIGKILL. The
artifact-write points keep a fresh run each: a resumed process rewrites the summary,
manifest and report, so its write count cannot be mapped onto a fresh run's (a
chain tried that way still needed 7 fresh runs for 10 points).
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from _runs import (
    ALL_ARTIFACTS,
    REPO_ROOT,
    SHORT_SESSIONS,
    SHORT_WINDOW,
    artifact_hashes,
    assert_exactly_once,
    aurora,
    committed_sessions,
    copy_run,
    decision_sessions,
    finish,
    journal_content,
    query,
    resume_to_the_end,
    sha256_file,
    shared_run,
    sigkill,
    spawn,
    wait_for,
)
from aurora_e2d.testkit import cache_key, cache_root, cached

KILLED = -signal.SIGKILL


@dataclass(frozen=True)
class Baseline:
    run_dir: Path
    hashes: dict[str, str]
    journal: dict[str, list[tuple]]
    sessions: list[str]
    metrics: dict
    # Timeline of the uninterrupted run, seconds after spawn (for placing random kills).
    t_config: float  # config.json visible: the run directory exists
    t_journal: float  # journal.sqlite visible: execution starts
    t_executed: float  # orders.parquet visible: execution over, artifacts/summary/report follow
    t_end: float  # process exited


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    """One uninterrupted short-window run, timed, that every recovery is compared with."""
    run = shared_run(tmp_path_factory, *SHORT_WINDOW)
    sessions = decision_sessions(run.run_dir)
    assert len(sessions) == SHORT_SESSIONS  # the window the fault counts below are chosen for
    return Baseline(
        run_dir=run.run_dir,
        hashes=artifact_hashes(run.run_dir),
        journal=journal_content(run.run_dir),
        sessions=sessions,
        metrics=json.loads((run.run_dir / "summary.json").read_text())["metrics"],
        t_config=run.t_config,
        t_journal=run.t_journal,
        t_executed=run.t_executed,
        t_end=run.t_end,
    )


def recover(run_dir: Path) -> str:
    """What an operator does after a crash: resume; a run killed before it froze its config
    (no config.json, so nothing can have been committed) is started again with the same command.
    Fails the test unless the run ends complete; says which of the two it took."""
    if not (run_dir / "config.json").is_file():
        refused = aurora("resume", "--run-dir", run_dir)
        assert refused.returncode == 2
        assert "not an Aurora run directory" in refused.stderr
        assert "Traceback" not in refused.stderr
        rerun = aurora("run", "--run-dir", run_dir, *SHORT_WINDOW)
        if rerun.returncode == 0:
            return "run again"
        assert rerun.returncode == KILLED, rerun.stderr[-3000:]
    resume_to_the_end(run_dir)
    return "resumed"


def assert_same_as_baseline(run_dir: Path, baseline: Baseline) -> None:
    hashes = artifact_hashes(run_dir)
    differing = [name for name in ALL_ARTIFACTS if hashes[name] != baseline.hashes[name]]
    assert differing == [], f"artifacts differ from the uninterrupted run: {differing}"
    assert_exactly_once(run_dir, baseline.sessions)
    content = journal_content(run_dir)
    for table, rows in baseline.journal.items():
        assert content[table] == rows, f"journal table {table} differs from the uninterrupted run"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed"
    assert summary["sessions"] == {"done": SHORT_SESSIONS, "total": SHORT_SESSIONS}
    assert summary["metrics"] == baseline.metrics
    manifest = json.loads((run_dir / "manifest.json").read_text())
    for name, entry in manifest["artifacts"].items():
        assert entry["sha256"] == sha256_file(run_dir / entry["path"]), f"manifest stale for {name}"
    leftovers = [p.name for p in run_dir.rglob(".*.tmp")]
    assert leftovers == [], f"temp files left behind after recovery: {leftovers}"
    wal = run_dir / "journal.sqlite-wal"  # (a read-only reader may leave an empty one)
    assert not wal.exists() or wal.stat().st_size == 0, "the journal was not checkpointed and closed"


# ------------------------------------------------------------------ fault points
# (point, n, what must be true right after the kill). n is the 1-based count of times the
# point is reached in the 187-session window; the expectation proves the kill landed where
# intended (if the pipeline's write order changes, these tell you which n to update).
# mid_artifact counts every atomic write: 1 config.json, 2 bars, 3 stages.json, ...,
# 29 predictions, 31 decisions, 33-36 orders/fills/positions/equity, 37 summary, 38 manifest,
# 39 binding-memo.json, 40 report.html, 41 manifest again.
LOOP_FAULTS = [
    ("after_fills", 1, 0),
    ("after_fills", 90, 89),
    ("after_fills", SHORT_SESSIONS, SHORT_SESSIONS - 1),
    ("after_decisions", 1, 0),
    ("after_decisions", 90, 89),
    ("after_decisions", SHORT_SESSIONS, SHORT_SESSIONS - 1),
    ("between_submit_and_fill", 1, None),
    ("between_submit_and_fill", 90, None),
    ("after_commit", 1, 1),
    ("after_commit", 90, 90),
    ("after_commit", SHORT_SESSIONS, SHORT_SESSIONS),  # everything committed, no artifact derived
]
ARTIFACT_FAULTS = [
    ("mid_artifact", 1, "config.json"),  # the run dir is not even frozen yet
    ("mid_artifact", 2, "bars.parquet"),
    ("mid_artifact", 29, "predictions.parquet"),  # model exports written, predictions not
    ("mid_artifact", 31, "decisions.parquet"),
    ("mid_artifact", 33, "orders.parquet"),  # journal complete, first execution artifact torn
    ("mid_artifact", 36, "equity.parquet"),
    ("mid_artifact", 37, "summary.json"),
    ("mid_artifact", 38, "manifest.json"),  # first manifest, before the report
    ("mid_artifact", 39, "binding-memo.json"),  # the report's memo (a cache), written while it renders
    ("mid_artifact", 40, "report.html"),
    ("mid_artifact", 41, "manifest.json"),  # the final manifest, listing the report
]


def _kill_at(run_dir: Path, point: str, n: int) -> None:
    result = aurora("run", "--run-dir", run_dir, *SHORT_WINDOW, env={"AURORA_FAULT_AT": f"{point}:{n}"})
    assert result.returncode == KILLED, (
        f"{point}:{n} did not SIGKILL the run (exit {result.returncode}):\n{result.stderr[-3000:]}"
    )


# Where each loop point fires inside one session (engine/loop.py: fills at the open, then the
# decisions are journaled, then the orders submitted, then the session commits).
_IN_SESSION = {"after_fills": 0, "after_decisions": 1, "between_submit_and_fill": 2, "after_commit": 3}


def _order_sessions(baseline: Baseline) -> list[int]:
    """1-based indices of the sessions that submitted an order (where between_submit_and_fill fires)."""
    sql = "SELECT DISTINCT session FROM route_results WHERE action = 'submit'"
    days = {row[0] for row in query(baseline.run_dir, sql)}
    return [i for i, day in enumerate(baseline.sessions, start=1) if day in days]


def _chain_step(point: str, n: int, done: int, order_sessions: list[int]) -> int:
    """The count to arm in a process resumed after ``done`` committed sessions so that it dies where
    ``point:n`` kills a fresh run (the counts restart in every process)."""
    if point == "between_submit_and_fill":
        return n - sum(1 for s in order_sessions if s <= done)
    return n - done


def _loop_fault_chain(tmp_path_factory: pytest.TempPathFactory, baseline: Baseline) -> Path:
    """One run killed at every loop fault point in turn, earliest first; after each SIGKILL a copy of
    the directory is kept under ``<point>:<n>``, and the run is resumed with the next point armed. A
    point the chain has already passed (not expected: the order is taken from the baseline) gets a
    fresh run instead. Built once per test run (aurora_e2d.testkit: shared by the xdist workers)."""
    order_sessions = _order_sessions(baseline)

    def position(fault: tuple[str, int, int | None]) -> tuple[int, int]:
        point, n, _ = fault
        session = order_sessions[n - 1] if point == "between_submit_and_fill" else n
        return session, _IN_SESSION[point]

    def build(entry: Path) -> dict[str, int]:
        chain = entry / "chain"
        fresh_runs = 0
        for point, n, _ in sorted(LOOP_FAULTS, key=position):
            done = committed_sessions(chain)
            step = _chain_step(point, n, done, order_sessions)
            if (chain / "config.json").is_file() and step >= 1:
                result = aurora("resume", "--run-dir", chain, env={"AURORA_FAULT_AT": f"{point}:{step}"})
            else:
                shutil.rmtree(chain, ignore_errors=True)
                fresh_runs += 1
                result = aurora(
                    "run", "--run-dir", chain, *SHORT_WINDOW, env={"AURORA_FAULT_AT": f"{point}:{n}"}
                )
            assert result.returncode == KILLED, (
                f"{point}:{n} (armed {point}:{step} after {done} sessions) did not SIGKILL the run "
                f"(exit {result.returncode}):\n{result.stderr[-3000:]}"
            )
            copy_run(chain, entry / f"{point}-{n}")
        return {"fresh_runs": fresh_runs}

    key = cache_key("loop-fault-chain", LOOP_FAULTS, SHORT_WINDOW, str(REPO_ROOT))
    entry, facts = cached(cache_root(tmp_path_factory.getbasetemp()), key, build)
    print(f"loop fault chain: {facts['fresh_runs']} fresh runs for {len(LOOP_FAULTS)} points")
    return entry


def _check_loop_fault(
    tmp_path: Path, baseline: Baseline, point: str, n: int, committed: int | None, killed: Path | None = None
) -> None:
    """``killed``: what the chain's kill at ``point:n`` left (copied here); else a fresh run is killed."""
    run_dir = tmp_path / "run"
    if killed is None:
        _kill_at(run_dir, point, n)
    else:
        copy_run(killed, run_dir)
    done = committed_sessions(run_dir)
    if committed is None:  # between_submit_and_fill: n-th session that placed an order
        assert n - 1 <= done < SHORT_SESSIONS
    else:
        assert done == committed, f"{point}:{n} left {done} committed sessions, expected {committed}"
    assert not (run_dir / "orders.parquet").exists()  # died inside execution
    recover(run_dir)
    assert_same_as_baseline(run_dir, baseline)


def _check_artifact_fault(tmp_path: Path, baseline: Baseline, n: int, torn: str) -> None:
    run_dir = tmp_path / "run"
    _kill_at(run_dir, "mid_artifact", n)
    temps = [p.name for p in run_dir.rglob(".*.tmp")]
    assert any(name.startswith(f".{torn}.") for name in temps), f"expected a torn {torn}, found {temps}"
    recover(run_dir)
    assert_same_as_baseline(run_dir, baseline)


def test_fault_between_submit_and_fill_then_resume_equals_uninterrupted_run(
    tmp_path: Path, baseline: Baseline
) -> None:
    """Per-PR representative: killed with an order submitted but its session uncommitted."""
    _check_loop_fault(tmp_path, baseline, "between_submit_and_fill", 90, None)


@pytest.mark.l1
@pytest.mark.parametrize(
    ("point", "n", "committed"), LOOP_FAULTS, ids=[f"{p}:{n}" for p, n, _ in LOOP_FAULTS]
)
def test_loop_fault_points(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    baseline: Baseline,
    point: str,
    n: int,
    committed: int | None,
) -> None:
    chain = _loop_fault_chain(tmp_path_factory, baseline)
    _check_loop_fault(tmp_path, baseline, point, n, committed, killed=chain / f"{point}-{n}")


@pytest.mark.l1
@pytest.mark.parametrize(
    ("n", "torn"), [(n, t) for _, n, t in ARTIFACT_FAULTS], ids=[f"{t}@{n}" for _, n, t in ARTIFACT_FAULTS]
)
def test_mid_artifact_fault_points(tmp_path: Path, baseline: Baseline, n: int, torn: str) -> None:
    _check_artifact_fault(tmp_path, baseline, n, torn)


def test_every_named_fault_point_is_covered() -> None:
    from aurora_e2d.core.faults import POINTS

    covered = {p for p, *_ in LOOP_FAULTS} | {p for p, *_ in ARTIFACT_FAULTS}
    assert covered == set(POINTS)


# ------------------------------------------------------------ random SIGKILLs
@dataclass
class KillOutcome:
    label: str
    delay_s: float
    exit_code: int
    committed_at_kill: int
    recovery: str  # "resumed", "run again", or "-" (the run finished before the kill)

    @property
    def mid_execution(self) -> bool:
        return self.exit_code == KILLED and 0 < self.committed_at_kill < SHORT_SESSIONS


def _kill_randomly(
    run_dir: Path, anchor: str | None, delay: float, after_sessions: int = 0
) -> tuple[int, int]:
    """Start a run, wait for the anchor file (or nothing) and for ``after_sessions`` committed
    sessions, sleep ``delay``, SIGKILL it."""
    proc = spawn("run", "--run-dir", run_dir, *SHORT_WINDOW)
    try:
        if anchor is not None:
            wait_for(lambda: (run_dir / anchor).exists(), timeout=120, interval=0.002, proc=proc)
        if after_sessions:
            wait_for(
                lambda: committed_sessions(run_dir, live=True) >= after_sessions,
                timeout=120,
                interval=0.002,
                proc=proc,
            )
        time.sleep(delay)
        sigkill(proc)
    finally:
        code, _, err = finish(proc)
    assert code in (0, KILLED), f"run exited {code}:\n{err[-3000:]}"
    return code, committed_sessions(run_dir)


# The kills in execution: after a random number of committed sessions, then a random instant
# within the next few sessions (~1.5 ms each), so they land inside and between transactions. A
# delay drawn over the whole journal-to-orders span measured once (the baseline) left too few
# kills inside the loop when the baseline ran on a busier machine than the kills: the loop is
# under half of that span (sessions to build before it, the derived artifacts after it).
EXECUTION_INSTANT_S = 0.006


def _random_plan(baseline: Baseline, seed: int, count: int) -> list[tuple[str, str | None, float, int]]:
    """(label, anchor, delay, sessions): a few in start-up, the stages and the artifact tail;
    most in execution (``sessions`` committed first, see ``EXECUTION_INSTANT_S``).

    Delays are drawn relative to an anchor file so that a slow, loaded machine still
    places the kill in the intended phase: `config.json` marks the start of the
    stages, `orders.parquet` the end of execution (the derived artifacts, summary,
    manifest and report follow).
    """
    rng = random.Random(seed)
    stages = max(baseline.t_journal - baseline.t_config, 0.05)
    tail = max(baseline.t_end - baseline.t_executed, 0.05)
    plan: list[tuple[str, str | None, float, int]] = []
    plan += [("startup", None, rng.uniform(0.0, baseline.t_config), 0) for _ in range(max(1, count // 20))]
    plan += [("stages", "config.json", rng.uniform(0.0, stages), 0) for _ in range(max(1, count // 5))]
    plan += [("artifacts", "orders.parquet", rng.uniform(0.0, tail), 0) for _ in range(max(1, count // 7))]
    while len(plan) < count:
        sessions = rng.randint(1, SHORT_SESSIONS - 20)
        plan.append(("execution", None, rng.uniform(0.0, EXECUTION_INSTANT_S), sessions))
    return plan


def _random_kill_then_recover(
    tmp_path: Path, baseline: Baseline, label: str, anchor: str | None, delay: float, sessions: int
) -> KillOutcome:
    run_dir = tmp_path / "run"
    code, committed = _kill_randomly(run_dir, anchor, delay, sessions)
    recovery = recover(run_dir) if code == KILLED else "-"
    assert_same_as_baseline(run_dir, baseline)
    return KillOutcome(label, delay, code, committed, recovery)


@pytest.mark.l1
def test_random_sigkill_during_execution_then_resume(tmp_path: Path, baseline: Baseline) -> None:
    """Per-PR representative: SIGKILL from outside once a seeded number of sessions committed."""
    target = random.Random(20240601).randint(20, SHORT_SESSIONS - 40)
    run_dir = tmp_path / "run"
    proc = spawn("run", "--run-dir", run_dir, *SHORT_WINDOW)
    try:
        wait_for(
            lambda: committed_sessions(run_dir, live=True) >= target, timeout=120, interval=0.002, proc=proc
        )
        sigkill(proc)
    finally:
        code, _, err = finish(proc)
    assert code == KILLED, f"the run was not killed in time (exit {code}): {err[-2000:]}"
    committed = committed_sessions(run_dir)
    assert target <= committed < SHORT_SESSIONS, committed
    resume_to_the_end(run_dir)
    assert_same_as_baseline(run_dir, baseline)


@pytest.mark.l1
def test_twenty_random_sigkills_then_resume(
    tmp_path_factory: pytest.TempPathFactory, baseline: Baseline
) -> None:
    plan = _random_plan(baseline, seed=1729, count=20)
    outcomes: list[KillOutcome] = []
    failures: list[str] = []
    for index, (label, anchor, delay, sessions) in enumerate(plan):
        tmp = tmp_path_factory.mktemp(f"random-kill-{index}")
        try:
            outcomes.append(_random_kill_then_recover(tmp, baseline, label, anchor, delay, sessions))
        except AssertionError as error:
            failures.append(f"#{index} {label} +{delay:.3f}s after {sessions} session(s): {error}")
    table = "\n".join(
        f"{o.label:9} +{o.delay_s:.3f}s exit={o.exit_code} committed_at_kill={o.committed_at_kill}"
        f" recovery={o.recovery}"
        for o in outcomes
    )
    print(f"\nrandom SIGKILL outcomes:\n{table}")
    assert failures == [], "\n".join(failures)
    killed = [o for o in outcomes if o.exit_code == KILLED]
    assert len(killed) >= 15, f"too few kills landed before the run finished:\n{table}"
    planned = sum(label == "execution" for label, *_ in plan)
    landed = sum(o.mid_execution for o in outcomes)
    assert landed >= planned // 2, f"too few kills landed mid-execution:\n{table}"
