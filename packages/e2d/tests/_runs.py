"""Run the real `aurora` console script in subprocesses, and read what it left behind.

Shared by the process-level tests (recovery, kill switch, ledger, determinism,
CLI). Everything here is real: the console script installed beside this
interpreter, run from the repository root (so the pinned snapshot is found),
with an environment stripped of every ``AURORA_*`` variable and then given
only what a test adds explicitly. Every subprocess has a timeout, so a hung
run fails the test instead of hanging CI.

``PYTHONDONTWRITEBYTECODE`` is dropped from the child environment: with it,
every child recompiles every imported module (about 4.5 s instead of 2 s per
process on this machine, TOOLING.md); byte-code caching does not change what
a run computes.

No polars here and no fork of the test process: children are fresh
interpreters (TOOLING.md "Forking and polars").
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from aurora_broker import JOURNAL_NAME, JOURNAL_TABLES
from aurora_e2d.run import LOCK_FILE
from aurora_e2d.run.metrics_prom import METRICS_FILE
from aurora_e2d.testkit import InProcessTimeout, cache_root, clean_env, run_in_process
from aurora_e2d.testkit import shared_run as testkit_shared_run

REPO_ROOT = Path(__file__).resolve().parents[3]
AURORA = shutil.which("aurora", path=str(Path(sys.executable).parent))

# ~187 sessions (2012-06-01 .. 2013-03-01): a whole run in ~3 s on this machine.
SHORT_WINDOW = ("--start", "2012-06-01", "--end", "2013-03-01")
SHORT_SESSIONS = 187
# The artifacts DESIGN.md §6 requires byte for byte after a crash and resume.
EXECUTION_ARTIFACTS = ("decisions", "orders", "fills", "positions", "equity")
ALL_ARTIFACTS = ("bars", "features", "predictions", *EXECUTION_ARTIFACTS)
# Journal columns that hold wall time (DESIGN.md §6: wall time only in commit stamps).
WALL_CLOCK_COLUMNS = {
    "checkpoints": ("committed_at_ns",),
    "meta": ("created_at_ns",),
    "run_events": ("ts_ns",),
}

# The drawdown limit that halts the short window part-way (exit 4): one shared halted run.
DRAWDOWN_TOML = "[limits]\nmax_drawdown_pct = 1.0\n"

RUN_TIMEOUT = 300  # s: a full default run takes ~10-20 s; a hang must fail, not block CI
QUICK_TIMEOUT = 120  # s: commands that do not run the pipeline


# ------------------------------------------------------------------ processes
def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment without AURORA_* (and byte-code suppression), plus ``extra``: the one
    ``aurora_e2d.testkit.clean_env`` that in-process commands get too."""
    return clean_env(extra)


def argv(args: Iterable[str]) -> list[str]:
    assert AURORA is not None, "the aurora console script is not installed beside this interpreter"
    return [AURORA, *[str(a) for a in args]]


def aurora(
    *args: str | Path,
    env: Mapping[str, str] | None = None,
    timeout: float = RUN_TIMEOUT,
    cwd: Path = REPO_ROOT,
) -> subprocess.CompletedProcess[str]:
    """Run ``aurora ARGS`` to completion; ``env`` adds to the stripped environment."""
    return subprocess.run(
        argv(args),  # type: ignore[arg-type]
        cwd=cwd,
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def aurora_here(
    *args: str | Path,
    env: Mapping[str, str] | None = None,
    timeout: float = RUN_TIMEOUT,
    cwd: Path = REPO_ROOT,
) -> subprocess.CompletedProcess[str]:
    """``aurora ARGS`` in this interpreter (``aurora_e2d.testkit.run_in_process``), with the same
    stripped environment, working directory and captured output as ``aurora``.

    Measured: a 187-session run takes 6.6 s as a subprocess and 2.0 s warm in-process. Use it where
    the process boundary is not what the test is about (advancing equals batch, migration,
    refusals, the resume after a crash); signals, locks held by another process, SIGKILL, fault
    injection and the console script's start-up stay with ``aurora``.
    """
    try:
        return run_in_process([str(a) for a in args], cwd=cwd, env=env, timeout=timeout)
    except InProcessTimeout as overran:
        pytest.fail(str(overran))


def spawn(
    *args: str | Path, env: Mapping[str, str] | None = None, cwd: Path = REPO_ROOT
) -> subprocess.Popen[str]:
    """Start ``aurora ARGS`` without waiting (for kills from outside); finish with ``finish``."""
    return subprocess.Popen(
        argv(args),  # type: ignore[arg-type]
        cwd=cwd,
        env=child_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], timeout: float = RUN_TIMEOUT) -> tuple[int, str, str]:
    """Wait for a spawned process (killing it if it overruns); returns (returncode, stdout, stderr)."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"aurora did not finish within {timeout} s: {proc.args}\n{err[-2000:]}")
    return proc.returncode, out, err


def sigkill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the run from outside (no handler, no cleanup can run); ignore if already gone."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGKILL)


def resume_to_the_end(run_dir: Path) -> None:
    """``aurora resume`` after a crash, a signal or a fault; fails the test unless it exits 0.

    In this interpreter (``aurora_here``): the interruption before it is what such tests are about,
    and it ran in its own process; the resume is what an operator types next, and its code is the
    console script's. (It ran as a subprocess until the per-PR suite had to fit in three minutes.)
    """
    result = aurora_here("resume", "--run-dir", run_dir)
    assert result.returncode == 0, f"resume exited {result.returncode}:\n{result.stderr[-3000:]}"


def wait_for(predicate, *, timeout: float, interval: float = 0.005, proc=None) -> bool:
    """Poll ``predicate`` until true (True) or timeout / the process exited (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if proc is not None and proc.poll() is not None:
            return bool(predicate())
        time.sleep(interval)
    return False


# ------------------------------------------------------------ shared baselines
@dataclass(frozen=True)
class TimedRun:
    """An uninterrupted run and its timeline, in seconds after the process was spawned."""

    run_dir: Path
    t_config: float  # config.json visible: the run directory is frozen, stages start
    t_journal: float  # journal.sqlite visible: execution starts
    t_executed: float  # orders.parquet visible: execution over, the derived artifacts follow
    t_end: float  # the process exited 0


def timed_run(run_dir: Path, *args: str, env: Mapping[str, str] | None = None) -> TimedRun:
    """``aurora run --run-dir RUN_DIR ARGS`` to completion (exit 0), timing its phases."""
    started = time.monotonic()
    proc = spawn("run", "--run-dir", run_dir, *args, env=env)
    wait_for(lambda: (run_dir / "config.json").exists(), timeout=RUN_TIMEOUT, proc=proc)
    t_config = time.monotonic() - started
    wait_for(lambda: (run_dir / JOURNAL_NAME).exists(), timeout=RUN_TIMEOUT, proc=proc)
    t_journal = time.monotonic() - started
    wait_for(lambda: (run_dir / "orders.parquet").exists(), timeout=RUN_TIMEOUT, proc=proc)
    t_executed = time.monotonic() - started
    code, _, err = finish(proc)
    assert code == 0, err[-3000:]
    return TimedRun(run_dir, t_config, t_journal, t_executed, time.monotonic() - started)


_SHARED: dict[tuple[str, ...], TimedRun] = {}


def shared_run(tmp_path_factory: pytest.TempPathFactory, *args: str) -> TimedRun:
    """One uninterrupted ``aurora run ARGS`` per test run, shared by every module, xdist worker and
    suite that asks (aurora_e2d.testkit: built once under a file lock), with its timeline.

    Callers must treat the directory as read-only (copy it to change anything).
    """
    key = tuple(args)
    if key not in _SHARED:
        run = cached_run(tmp_path_factory, *args, timed=True)
        facts = run.facts
        _SHARED[key] = TimedRun(
            run.run_dir, facts["t_config"], facts["t_journal"], facts["t_executed"], facts["t_end"]
        )
    return _SHARED[key]


@dataclass(frozen=True)
class CachedRun:
    """A finished ``aurora run`` shared read-only across the test run: its directory, exit code and stderr."""

    run_dir: Path
    returncode: int
    stderr: str
    facts: dict


def cached_run(
    tmp_path_factory: pytest.TempPathFactory,
    *args: str,
    config_toml: str | None = None,
    env: Mapping[str, str] | None = None,
    expect: int | None = 0,
    name: str = "run",
    timed: bool = False,
) -> CachedRun:
    """``aurora run --run-dir DIR ARGS`` (with ``--config`` holding ``config_toml``, ``env`` added),
    built once per test run however many modules, workers and suites ask; ``expect``: its exit code;
    ``name``: the run directory's name (a run records it as its id); ``timed``: built by the
    console script in a subprocess with its timeline (``shared_run``), else in this interpreter.

    Read-only: copy the directory (``copy_run``) before changing anything in it.
    """
    assert AURORA is not None, "the aurora console script is not installed beside this interpreter"
    root = cache_root(tmp_path_factory.getbasetemp())
    run_dir, facts = testkit_shared_run(
        root, AURORA, args, cwd=REPO_ROOT, env=env, config_toml=config_toml, name=name, timed=timed
    )
    run = CachedRun(run_dir, int(facts["returncode"]), str(facts["stderr"]), facts)
    if expect is not None:
        assert run.returncode == expect, f"exit {run.returncode}, expected {expect}:\n{run.stderr[-3000:]}"
    return run


def copy_run(run_dir: Path, target: Path) -> Path:
    """A private, writable copy of a (shared) run directory, without its lock file."""
    shutil.copytree(run_dir, target, ignore=shutil.ignore_patterns(LOCK_FILE))
    return target


# --------------------------------------------------------------- inspection
def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def artifact_hashes(run_dir: Path, names: Iterable[str] = ALL_ARTIFACTS) -> dict[str, str]:
    return {name: sha256_file(run_dir / f"{name}.parquet") for name in names}


def tree_hashes(run_dir: Path) -> dict[str, str]:
    """sha256 of every file under ``run_dir`` (relative path -> hash), but the lock and metrics files.

    ``run.lock`` is operational: every writer that takes the lock (even one that is
    then refused for bad input) records itself there; it holds no run state. So is
    ``metrics.prom``: every run/resume/advance, a no-op one too, rewrites it with the time.
    """
    return {
        str(p.relative_to(run_dir)): sha256_file(p)
        for p in sorted(run_dir.rglob("*"))
        if p.is_file() and p.name not in (LOCK_FILE, METRICS_FILE)
    }


def assert_manifest_holds(run_dir: Path) -> None:
    """What e2d itself can vouch for of a run directory (``aurora gate l0`` lives in gates, which
    e2d's suite does not install): every file the manifest lists has its recorded sha256, and the
    journal's checkpoint chain verifies and ends at the head the manifest records."""
    from aurora_broker import JournalReader

    manifest = json.loads((run_dir / "manifest.json").read_text())
    for name, entry in manifest["artifacts"].items():
        assert sha256_file(run_dir / entry["path"]) == entry["sha256"], name
    with JournalReader.open(run_dir) as reader:
        chain = reader.verify_chain()
    assert chain.ok, chain.problem
    assert manifest["journal"]["chain_head"]["sha256"] == chain.head


def journal(run_dir: Path) -> sqlite3.Connection:
    """Open the run's journal READ-ONLY: a test must never recover or checkpoint it itself."""
    return sqlite3.connect(f"file:{run_dir / JOURNAL_NAME}?mode=ro", uri=True, timeout=10.0)


def query(run_dir: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = journal(run_dir)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def committed_sessions(run_dir: Path, *, live: bool = False) -> int:
    """Checkpoints committed so far (0 while the journal does not exist yet).

    ``live``: a run is still writing. Then the journal is read only once its WAL file
    exists, i.e. after the writer has switched it to WAL mode: a reader holding a lock
    while the writer switches modes could make that switch fail.
    """
    journal_file = run_dir / JOURNAL_NAME
    if not journal_file.is_file() or (live and not (run_dir / "journal.sqlite-wal").exists()):
        return 0
    try:
        return query(run_dir, "SELECT COUNT(*) FROM checkpoints")[0][0]
    except sqlite3.Error:  # schema not created yet
        return 0


def journal_content(run_dir: Path) -> dict[str, list[tuple]]:
    """Every journal table, rows in primary-key order, wall-clock columns removed."""
    conn = journal(run_dir)
    try:
        content = {}
        for table in JOURNAL_TABLES:
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            keep = [c for c in columns if c not in WALL_CLOCK_COLUMNS.get(table, ())]
            rows = conn.execute(f"SELECT {', '.join(keep)} FROM {table}").fetchall()
            content[table] = sorted(rows, key=repr)  # a total order even with NULLs
        return content
    finally:
        conn.close()


def assert_exactly_once(run_dir: Path, expected_sessions: list[str]) -> None:
    """Zero duplicate client order ids, zero double fills, no session missing or extra."""
    dup_orders = query(
        run_dir, "SELECT client_order_id FROM orders GROUP BY client_order_id HAVING COUNT(*) > 1"
    )
    assert dup_orders == [], f"duplicate client order ids in orders: {dup_orders[:5]}"
    dup_submits = query(
        run_dir,
        "SELECT client_order_id, COUNT(*) FROM route_results WHERE action = 'submit'"
        " GROUP BY client_order_id HAVING COUNT(*) > 1",
    )
    assert dup_submits == [], f"an order was routed twice: {dup_submits[:5]}"
    double = query(
        run_dir, "SELECT client_order_id, COUNT(*) FROM fills GROUP BY client_order_id HAVING COUNT(*) > 1"
    )
    assert double == [], f"orders filled more than once: {double[:5]}"
    overfilled = query(
        run_dir,
        "SELECT o.client_order_id FROM orders o JOIN fills f USING (client_order_id)"
        " GROUP BY o.client_order_id HAVING SUM(f.quantity) > MAX(o.quantity)",
    )
    assert overfilled == [], f"fills exceed the order quantity: {overfilled[:5]}"
    for table in ("checkpoints", "equity_snapshots"):
        sessions = [r[0] for r in query(run_dir, f"SELECT session FROM {table} ORDER BY session")]
        missing = sorted(set(expected_sessions) - set(sessions))
        extra = sorted(set(sessions) - set(expected_sessions))
        assert not missing, f"{table}: sessions missing: {missing[:5]}"
        assert not extra, f"{table}: sessions that should not be there: {extra[:5]}"
        assert len(sessions) == len(expected_sessions)


def decision_sessions(run_dir: Path) -> list[str]:
    """The trading sessions of a run: the distinct decision dates, ISO strings, in order."""
    import pyarrow.parquet as pq

    dates = pq.read_table(run_dir / "decisions.parquet", columns=["date"]).column("date").to_pylist()
    return sorted({d.isoformat() for d in dates})
