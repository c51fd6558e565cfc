"""`aurora run/resume/status/breaker` as an operator meets them: bad input and halted runs.

Bad input or configuration exits 2 with ONE line on stderr naming the
file/field/value and never a traceback, and leaves everything committed as
it was (DESIGN.md §2, issue 4 "Bad input"). ``aurora status`` tells a
finished run from a halted one and gives the resume command; a drawdown halt
exits 4, survives restarts and is cleared only by ``aurora breaker reset``.

The cheap bad-input cases are started concurrently (each is a fresh
interpreter that fails before any stage) to keep the per-PR run short.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from _runs import (
    DRAWDOWN_TOML,
    QUICK_TIMEOUT,
    REPO_ROOT,
    SHORT_SESSIONS,
    SHORT_WINDOW,
    argv,
    aurora,
    cached_run,
    child_env,
    committed_sessions,
    copy_run,
    journal_content,
    query,
    tree_hashes,
)

BAD_INPUT = 2
BREAKER_EXIT = 4

# name -> (config TOML or None, extra arguments, text the one line must contain)
CONFIG_CASES: dict[str, tuple[str | None, tuple[str, ...], tuple[str, ...]]] = {
    "unknown-field": ("bogus = 1\n", (), ("unknown field 'bogus'",)),
    "unknown-nested-field": ("[execution]\nslipage_bps = 2.0\n", (), ("slipage_bps",)),
    "wrong-type": ('[execution]\nslippage_bps = "high"\n', (), ("execution.slippage_bps", "'high'")),
    "limit-zero": ("[limits]\nmax_order_notional_usd = 0\n", (), ("limits.max_order_notional_usd", "was 0")),
    "limit-negative": ("[limits]\nmax_gross_exposure_usd = -1.0\n", (), ("limits.max_gross_exposure_usd",)),
    "limit-inf": ("[limits]\nmax_daily_notional_usd = inf\n", (), ("limits.max_daily_notional_usd", "inf")),
    "limit-nan": ("[limits]\nmax_order_notional_usd = nan\n", (), ("limits.max_order_notional_usd",)),
    "limit-int-zero": ("[limits]\nmax_order_qty_shares = 0\n", (), ("limits.max_order_qty_shares",)),
    "not-toml": ("[limits\n", (), ("valid TOML",)),
    "start-after-end": (None, ("--start", "2013-01-02", "--end", "2012-06-01"), ("'start'", "2013-01-02")),
    "start-before-data": (None, ("--start", "1999-01-04"), ("'start'", "2000-03-01..2013-03-01")),
    "end-after-data": (None, ("--end", "2014-01-02"), ("'end'", "2014-01-02")),
    "not-a-date": (None, ("--start", "13-01-01"), ("--start", "13-01-01")),
}
# Slower: the stages run before the window turns out to hold no trading session.
EMPTY_WINDOWS = {
    "weekend": ("--start", "2012-06-02", "--end", "2012-06-03"),
    "before-first-fold": ("--start", "2000-03-01", "--end", "2001-06-01"),
}
# What the one line names: a window without a session, or data too short for any walk-forward fold.
EMPTY_WINDOW_NEEDLES = {
    "weekend": ("'start'", "trading session"),
    "before-first-fold": ("'model.min_train_years'", "no walk-forward fold fits the data"),
}


def assert_one_line_error(result: tuple[int, str], *needles: str) -> None:
    code, stderr = result
    assert code == BAD_INPUT, f"exit {code}:\n{stderr[-3000:]}"
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{stderr}"
    assert lines[0].startswith("aurora: error: ")
    assert "Traceback" not in stderr
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"


# The per-PR subset; every other case runs nightly (each case is a 2 s interpreter start).
PER_PR = ("unknown-field", "limit-zero", "empty-weekend")


def _launch(base: Path, names: list[str]) -> dict[str, tuple[int, str, Path]]:
    """Start the named cases at once; wait for all; (exit code, stderr, run dir) per case."""
    procs: dict[str, tuple[subprocess.Popen[str], Path]] = {}
    for name in names:
        run_dir = base / name / "run"
        if name.startswith("empty-"):
            args = ["run", "--run-dir", str(run_dir), *EMPTY_WINDOWS[name.removeprefix("empty-")]]
        else:
            toml, extra, _ = CONFIG_CASES[name]
            args = ["run", "--run-dir", str(run_dir), *extra]
            if toml is not None:
                config = base / name / "config.toml"
                config.parent.mkdir(parents=True)
                config.write_text(toml)
                args += ["--config", str(config)]
        procs[name] = (_popen(args), run_dir)
    results = {}
    for name, (proc, run_dir) in procs.items():
        try:
            _, err = proc.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        results[name] = (proc.returncode, err, run_dir)
    return results


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, Path]]:
    return _launch(tmp_path_factory.mktemp("bad-input"), list(PER_PR))


@pytest.fixture(scope="module")
def bad_runs_nightly(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, Path]]:
    names = [n for n in [*CONFIG_CASES, *(f"empty-{w}" for w in EMPTY_WINDOWS)] if n not in PER_PR]
    return _launch(tmp_path_factory.mktemp("bad-input-nightly"), names)


def _popen(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        argv(args), cwd=REPO_ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _case(name: str) -> object:
    return name if name in PER_PR else pytest.param(name, marks=pytest.mark.l1)


def _result(name: str, request: pytest.FixtureRequest) -> tuple[int, str, Path]:
    fixture = "bad_runs" if name in PER_PR else "bad_runs_nightly"
    return request.getfixturevalue(fixture)[name]


@pytest.mark.parametrize("case", [_case(n) for n in CONFIG_CASES])
def test_bad_config_or_window_exits_2_with_one_line(case: str, request: pytest.FixtureRequest) -> None:
    code, stderr, run_dir = _result(case, request)
    assert_one_line_error((code, stderr), *CONFIG_CASES[case][2])
    assert not (run_dir / "journal.sqlite").exists()


@pytest.mark.parametrize(
    "case", ["limit-zero", "unknown-field", _case("start-after-end"), _case("not-a-date")]
)
def test_a_rejected_config_creates_no_run_directory(case: str, request: pytest.FixtureRequest) -> None:
    assert not _result(case, request)[2].exists()


@pytest.mark.l1
def test_a_window_outside_the_data_leaves_no_run_directory(bad_runs_nightly: dict) -> None:
    assert not bad_runs_nightly["start-before-data"][2].exists()


@pytest.mark.parametrize("window", [_case(f"empty-{w}") for w in EMPTY_WINDOWS])
def test_an_empty_window_exits_2_and_trades_nothing(window: str, request: pytest.FixtureRequest) -> None:
    code, stderr, run_dir = _result(window, request)
    assert_one_line_error((code, stderr), *EMPTY_WINDOW_NEEDLES[window.removeprefix("empty-")])
    assert not run_dir.exists()  # the half-made run directory is removed, so a corrected rerun works


# --------------------------------------------------- run directories gone bad
def _copy_run(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = cached_run(tmp_path_factory, *SHORT_WINDOW).run_dir
    target = tmp_path / "copy"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("journal.sqlite-*"))
    return target


@pytest.mark.parametrize(
    "command",
    ["resume", pytest.param("run", marks=pytest.mark.l1), pytest.param("status", marks=pytest.mark.l1)],
)
def test_a_corrupt_journal_exits_2_and_is_left_byte_for_byte(
    command: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    run_dir = _copy_run(tmp_path, tmp_path_factory)
    journal = run_dir / "journal.sqlite"
    data = bytearray(journal.read_bytes())
    data[100:8192] = bytes((i * 131 + 7) % 256 for i in range(8092))  # garbage over the schema pages
    journal.write_bytes(bytes(data))
    before = tree_hashes(run_dir)
    trace_before = (run_dir / "trace.jsonl").read_bytes()
    args = {"resume": (), "run": SHORT_WINDOW, "status": ()}[command]
    result = aurora(command, "--run-dir", run_dir, *args)
    assert_one_line_error((result.returncode, result.stderr), str(journal), "not a usable Aurora journal")
    after = tree_hashes(run_dir)
    assert after.pop("journal.sqlite") == before.pop("journal.sqlite")
    # trace.jsonl is an operational log: the refused attempt may append to it, nothing else.
    assert (run_dir / "trace.jsonl").read_bytes().startswith(trace_before)
    after.pop("trace.jsonl"), before.pop("trace.jsonl")
    assert after == before


def test_a_run_killed_before_its_final_manifest_is_interrupted_and_resume_finishes_it(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every session committed and summary.json written, but the kill came before the manifest that
    lists the report: status must not say completed (resume would then do nothing and leave the run
    without its report and its temp files); resume writes the rest, byte for byte."""
    from aurora_e2d.run.job import load_run_config
    from aurora_e2d.run.phase import RunPhase, read_phase

    run_dir = _copy_run(tmp_path, tmp_path_factory)
    finished = tree_hashes(run_dir)
    metrics = json.loads((run_dir / "summary.json").read_text())["metrics"]
    config = load_run_config(run_dir)
    assert read_phase(run_dir, config).phase is RunPhase.COMPLETED
    manifest = json.loads((run_dir / "manifest.json").read_text())
    del manifest["artifacts"]["report"]  # the first manifest, written before the report
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    (run_dir / "report.html").unlink()
    (run_dir / ".report.html.torn.tmp").write_text("<html")
    assert read_phase(run_dir, config).phase is RunPhase.INTERRUPTED
    result = aurora("resume", "--run-dir", run_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not list(run_dir.glob(".*.tmp"))
    after = tree_hashes(run_dir)
    # operational files and what records timings (summary's latency and memory, the report, the
    # manifest hashing both) aside, every artifact is the finished run's, byte for byte
    for volatile in ("trace.jsonl", "journal.sqlite", "summary.json", "manifest.json", "report.html"):
        after.pop(volatile, None), finished.pop(volatile, None)
    assert after == finished
    assert json.loads((run_dir / "summary.json").read_text())["metrics"] == metrics
    assert "report" in json.loads((run_dir / "manifest.json").read_text())["artifacts"]


def test_a_run_dir_of_another_config_exits_2_and_nothing_changes(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    run_dir = _copy_run(tmp_path, tmp_path_factory)
    before = tree_hashes(run_dir)
    result = aurora("run", "--run-dir", run_dir, "--start", "2012-07-02", "--end", "2013-03-01")
    assert_one_line_error(
        (result.returncode, result.stderr), "config.json", "run directory was created with config"
    )
    assert tree_hashes(run_dir) == before


@pytest.mark.parametrize("command", ["resume", pytest.param("status", marks=pytest.mark.l1)])
def test_resume_or_status_of_an_unknown_run_dir_exits_2(command: str, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-run"
    result = aurora(command, "--run-dir", missing, timeout=QUICK_TIMEOUT)
    assert_one_line_error((result.returncode, result.stderr), str(missing), "not an Aurora run directory")
    assert not missing.exists()


# ----------------------------------------------------------------- status
def test_status_of_a_finished_run(tmp_path_factory: pytest.TempPathFactory) -> None:
    run_dir = cached_run(tmp_path_factory, *SHORT_WINDOW).run_dir
    before = {k: v for k, v in tree_hashes(run_dir).items() if not k.startswith("journal.sqlite-")}
    result = aurora("status", "--run-dir", run_dir, "--json", timeout=QUICK_TIMEOUT)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["progress"] == {"sessions_done": SHORT_SESSIONS, "sessions_total": SHORT_SESSIONS}
    assert info["last_session"] == "2013-03-01"
    assert info["trading_state"] == "ACTIVE"
    assert info["resume_needed"] is False
    assert info["phase"] == "completed"
    assert info["next"] == [f"aurora report --run-dir {run_dir}"]
    assert info["kill"] == {"active": False, "trigger": None}
    assert not any(b["tripped"] for b in info["breakers"].values())
    equity = query(run_dir, "SELECT equity_cents FROM equity_snapshots ORDER BY session DESC LIMIT 1")[0][0]
    assert info["equity_usd"] == equity / 100.0
    after = {k: v for k, v in tree_hashes(run_dir).items() if not k.startswith("journal.sqlite-")}
    assert after == before  # status never changes a run


# --------------------------------------------------------- drawdown halt
@pytest.fixture(scope="module")
def halted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A private copy of the test run's shared drawdown-halted run (the tests here reset and resume it)."""
    shared = cached_run(tmp_path_factory, *SHORT_WINDOW, config_toml=DRAWDOWN_TOML, expect=None)
    run_dir = copy_run(shared.run_dir, tmp_path_factory.mktemp("drawdown") / "run")
    return run_dir, subprocess.CompletedProcess(["aurora", "run"], shared.returncode, "", shared.stderr)


def test_a_drawdown_trip_halts_with_exit_4_and_status_shows_it(halted) -> None:
    run_dir, result = halted
    assert result.returncode == BREAKER_EXIT, result.stderr[-3000:]
    assert "circuit breaker open (drawdown" in result.stderr
    assert "Traceback" not in result.stderr
    done = committed_sessions(run_dir)
    assert 0 < done < SHORT_SESSIONS
    trips = query(run_dir, "SELECT breaker, event FROM breaker_events ORDER BY seq")
    assert trips == [("drawdown", "BreakerTripped")]
    # Nothing is routed after the trip: the halting session placed no order.
    last = query(run_dir, "SELECT MAX(session) FROM checkpoints")[0][0]
    assert (
        query(
            run_dir, "SELECT COUNT(*) FROM route_results WHERE session >= ? AND action = 'submit'", (last,)
        )[0][0]
        == 0
    )

    status = aurora("status", "--run-dir", run_dir, "--json", timeout=QUICK_TIMEOUT)
    info = json.loads(status.stdout)
    assert info["trading_state"] == "HALTED"
    assert info["breakers"]["drawdown"]["tripped"] is True
    assert "exceeds max_drawdown_pct 1%" in info["breakers"]["drawdown"]["reason"]
    assert info["resume_needed"] is True
    assert info["phase"] == "halted"
    assert info["halt"]["cause"] == "breaker_trip"
    assert info["halt"]["open_breakers"] == ["drawdown"]
    assert info["next"] == [
        f"aurora breaker reset drawdown --reason TEXT --run-dir {run_dir}",
        f"aurora resume --run-dir {run_dir}",
    ]
    assert info["progress"]["sessions_done"] == done


@pytest.mark.l1
def test_human_status_of_a_halted_run(halted) -> None:
    run_dir, _ = halted
    human = aurora("status", "--run-dir", run_dir, timeout=QUICK_TIMEOUT)
    assert human.returncode == 0, human.stderr
    assert "TRIPPED" in human.stdout
    assert "aurora resume --run-dir" in human.stdout


@pytest.mark.l1
def test_a_halt_survives_resume_until_an_operator_resets_it(halted) -> None:
    run_dir, first = halted
    assert first.returncode == BREAKER_EXIT
    frozen = journal_content(run_dir)

    # Resume alone does not trade: still exit 4, the journal unchanged.
    again = aurora("resume", "--run-dir", run_dir)
    assert again.returncode == BREAKER_EXIT
    assert "aurora breaker reset" in again.stderr
    assert journal_content(run_dir) == frozen

    # Operator errors are bad input and change nothing.
    for name, reason in (("drawdown", "   "), ("no_such_breaker", "drill")):
        refused = aurora(
            "breaker", "reset", name, "--reason", reason, "--run-dir", run_dir, timeout=QUICK_TIMEOUT
        )
        assert_one_line_error((refused.returncode, refused.stderr))
    assert journal_content(run_dir) == frozen

    # The logged reset, then resume: trading proceeds from the next session. The drawdown
    # is measured from the retained peak, so with a 1% limit the breaker trips again.
    reset = aurora("breaker", "reset", "drawdown", "--reason", "drill: limit reviewed", "--run-dir", run_dir)
    assert reset.returncode == 0, reset.stderr
    assert f"aurora resume --run-dir {run_dir}" in reset.stdout
    events = query(run_dir, "SELECT breaker, event, data_json FROM breaker_events ORDER BY seq")
    assert [e[:2] for e in events] == [("drawdown", "BreakerTripped"), ("drawdown", "BreakerReset")]
    assert "drill: limit reviewed" in events[-1][2]
    before = committed_sessions(run_dir)

    resumed = aurora("resume", "--run-dir", run_dir)
    after = committed_sessions(run_dir)
    states = query(run_dir, "SELECT from_state, to_state, reason FROM trading_state_events ORDER BY seq")
    assert states[1] == ("HALTED", "ACTIVE", "operator resume")
    assert after > before, "resume after the reset did not trade on"
    if resumed.returncode == BREAKER_EXIT:
        events = query(run_dir, "SELECT breaker, event, ts_ns FROM breaker_events ORDER BY seq")
        assert [e[:2] for e in events][-1] == ("drawdown", "BreakerTripped")
        assert states[-1][1] == "HALTED"
        assert states[-1][2].startswith("drawdown:")
        assert events[-1][2] > events[0][2]  # a new trip, at a later session (event time)
        assert after < SHORT_SESSIONS
    else:
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        assert after == SHORT_SESSIONS
