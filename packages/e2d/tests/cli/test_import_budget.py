"""The commands an operator types import only what they need (issue 17 item 4).

Latency is measured by `nox -s bench -- cli` (benchmarks/bench_cli.py), not
here: a timed test fails on a busy machine and passes a slow change on a
quiet one. What makes these commands slow is known and checkable, though:
pandas (through exchange-calendars), pyarrow, numpy, polars, scikit-learn
and onnxruntime each cost a noticeable fraction of a second to import. Each
test runs the console script's entry point and reads ``sys.modules`` as it
exits; one heavy import sneaking back into the path of
`--help`, `kill`, `unkill`, `status` or `run --snapshot MISSING` fails here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from _runs import AURORA, QUICK_TIMEOUT, REPO_ROOT, SHORT_WINDOW, aurora, cached_run, child_env, copy_run

HEAVY = ("pandas", "exchange_calendars", "pyarrow", "numpy", "polars", "sklearn", "onnxruntime")


# The console script's own start (aurora_e2d.launch.entry), with os._exit -- its way out -- made to
# write the names in sys.modules first: every module the command loaded, however it was imported.
WRAPPER = """
import json, os, sys
real_exit, listing = os._exit, sys.argv.pop(1)
def _exit(code):
    with open(listing, "w") as out:
        json.dump(sorted(sys.modules), out)
    real_exit(code)
os._exit = _exit
sys.argv[0] = {script!r}
from aurora_e2d.launch import entry
entry()
"""


def imported(args: list[str], cache: Path) -> tuple[set[str], str]:
    """Top-level packages ``aurora ARGS`` had loaded when it exited, and its stdout."""
    assert AURORA is not None
    listing = cache.parent / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER.format(script=AURORA), str(listing), *args],
        cwd=REPO_ROOT,
        env=child_env({"AURORA_CACHE_DIR": str(cache)}),
        capture_output=True,
        text=True,
        timeout=QUICK_TIMEOUT,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    names = {name.split(".")[0] for name in json.loads(listing.read_text())}
    assert {"aurora_e2d", "typer"} <= names  # the listing itself works
    return names, proc.stdout


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cached_run(tmp_path_factory, *SHORT_WINDOW).run_dir


def test_help_imports_no_heavy_library_nor_pydantic(tmp_path: Path) -> None:
    names, out = imported(["--help"], tmp_path / "cache")
    assert "status" in out
    assert not names & {*HEAVY, "pydantic"}, sorted(names & {*HEAVY, "pydantic"})


def test_kill_and_unkill_import_no_heavy_library(tmp_path: Path, finished: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    shutil.copy2(finished / "config.json", run_dir / "config.json")  # what makes a directory a run
    names, out = imported(["kill", "--run-dir", str(run_dir), "--reason", "budget"], tmp_path / "cache")
    assert (run_dir / "kill.flag").is_file(), out
    assert not names & set(HEAVY), sorted(names & set(HEAVY))
    names, out = imported(["unkill", "--run-dir", str(run_dir)], tmp_path / "cache")
    assert not (run_dir / "kill.flag").exists(), out
    assert not names & set(HEAVY), sorted(names & set(HEAVY))


def test_status_reads_the_calendar_and_decision_dates_once_per_user(tmp_path: Path, finished: Path) -> None:
    """The first status derives the sessions (pandas, pyarrow) and remembers them; the next imports neither
    and says exactly the same."""
    cache = tmp_path / "cache"
    first, cold = imported(["status", "--run-dir", str(finished), "--json"], cache)
    assert {"exchange_calendars", "pyarrow"} <= first  # derived on the first call
    assert sorted(p.name.split("-")[0] for p in cache.iterdir()) == ["decision", "sessions"]
    names, warm = imported(["status", "--run-dir", str(finished), "--json"], cache)
    assert warm == cold
    assert '"sessions_total": 187' in warm
    assert not names & set(HEAVY), sorted(names & set(HEAVY))


def test_run_refuses_a_missing_snapshot_directory_at_once(tmp_path: Path, finished: Path) -> None:
    """One line naming the directory, exit 2, nothing created, and no heavy import on the way."""
    nowhere, target = tmp_path / "nowhere", tmp_path / "new-run"
    line = f"aurora: error: {nowhere}: snapshot directory is missing (no such directory); make one with `aurora data import`"
    names, _ = imported(["run", "--snapshot", str(nowhere), "--run-dir", str(target)], tmp_path / "cache")
    assert not names & set(HEAVY), sorted(names & set(HEAVY))
    proc = aurora("run", "--snapshot", nowhere, "--run-dir", target)
    assert (proc.returncode, proc.stderr.strip()) == (2, line)
    assert not target.exists()


def test_a_resume_that_refits_nothing_loads_no_model_toolkit(tmp_path: Path, finished: Path) -> None:
    """Predicting needs onnxruntime alone: the `onnx` package (0.6 s with ml_dtypes), scikit-learn,
    skl2onnx and skops load only when a fold is fitted (a resume after every stage finished fits none)."""
    run_dir = copy_run(finished, tmp_path / "run")  # resume rewrites metrics.prom: never the shared run
    names, out = imported(["resume", "--run-dir", str(run_dir)], tmp_path / "cache")
    assert "nothing to resume" in out
    toolkit = {"onnx", "ml_dtypes", "sklearn", "skl2onnx", "skops", "matplotlib"}
    assert not names & toolkit, sorted(names & toolkit)
