"""The dask executor on real local clusters (worker processes, spawn): the local executor's bytes and errors.

Every cluster here is real: ``run_data_stages`` with ``--executor dask``
starts a ``LocalCluster`` of spawned worker processes (about 1-3 s), or
joins one this test started, by address. The command-line cases run the
real console script. Byte identity is checked on the files the stages
write (stages 6-8 read only those, so every later artifact follows; one
full run compares all eight).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import dask
import numpy as np
import psutil
import pyarrow as pa
import pytest
from distributed import LocalCluster

from _runs import (
    ALL_ARTIFACTS,
    SHORT_WINDOW,
    argv,
    artifact_hashes,
    aurora,
    cached_run,
    child_env,
    finish,
    resume_to_the_end,
    wait_for,
)
from aurora_e2d.core.errors import InputError
from aurora_e2d.core.trace import Trace
from aurora_e2d.data.ingest import Snapshot, load_snapshot
from aurora_e2d.data.snapshot_writer import write_snapshot_dir
from aurora_e2d.data.synthetic_snapshot import write_synthetic_snapshot
from aurora_e2d.engine.catalog import ARTIFACTS
from aurora_e2d.research.executors import (
    DaskExecutor,
    ExecutorError,
    ExecutorKind,
    ExecutorSpec,
    _sweep_stale_scratch,
)
from aurora_e2d.research.pipeline import StageRunner, run_data_stages
from aurora_e2d.rundir.config import RunConfig

LOCAL = ExecutorSpec()
DASK_1 = ExecutorSpec(kind=ExecutorKind.DASK, workers=1)
DASK_2 = ExecutorSpec(kind=ExecutorKind.DASK, workers=2)
SHORT = RunConfig(start=dt.date(2012, 6, 1), end=dt.date(2013, 3, 1))
STAGE_FILES = ("bars", "features")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SYNTHETIC snapshot directory, written the way `aurora data synthetic` writes one."""
    out = tmp_path_factory.mktemp("synthetic") / "syn200x3"
    write_synthetic_snapshot(out, 200, 3.0, seed=7)
    return out


@pytest.fixture(scope="module")
def dask1() -> Iterator[DaskExecutor]:
    """One started 1-worker cluster for the module (lent to each run, closed at the end)."""
    executor = DaskExecutor(DASK_1).start()
    yield executor
    executor.close()


@pytest.fixture(scope="module")
def dask2() -> Iterator[DaskExecutor]:
    executor = DaskExecutor(DASK_2).start()
    yield executor
    executor.close()


@pytest.fixture(autouse=True)
def scratch_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temp files of this process (the dask scratch space) under tmp_path, to prove they are removed."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr("tempfile.tempdir", None)  # re-read TMPDIR
    return tmp


def stage_bytes(
    snapshot: Snapshot, run_dir: Path, spec: ExecutorSpec | DaskExecutor, config: RunConfig = SHORT
) -> dict:
    run_dir.mkdir(parents=True)
    runner = StageRunner(run_dir, Trace(run_dir / "trace.jsonl", "test"))
    run_data_stages(runner, config, snapshot, spec)
    return {name: (run_dir / ARTIFACTS[name].file).read_bytes() for name in STAGE_FILES}


def _stage_error(snapshot: Snapshot, run_dir: Path, spec: ExecutorSpec) -> str:
    with pytest.raises(InputError) as raised:
        stage_bytes(snapshot, run_dir, spec, RunConfig())
    return str(raised.value)


def dask_leftovers(tmp: Path) -> list[str]:
    """What a dask cluster would leave in the temp directory (its scratch space, our scratch dir)."""
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith(("aurora-dask-", "dask-scratch-space")))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------ same bytes
def test_bundled_short_window_same_bytes_local_dask_1_and_2_workers(
    tmp_path: Path, dask1: DaskExecutor, dask2: DaskExecutor
) -> None:
    snapshot = load_snapshot()
    local = stage_bytes(snapshot, tmp_path / "local", LOCAL)
    assert stage_bytes(snapshot, tmp_path / "dask1", dask1) == local
    assert stage_bytes(snapshot, tmp_path / "dask2", dask2) == local


@pytest.mark.l1
def test_synthetic_universe_same_bytes_local_dask_1_and_2_workers(
    synthetic: Path, tmp_path: Path, dask1: DaskExecutor, dask2: DaskExecutor
) -> None:
    snapshot = load_snapshot(synthetic)
    config = RunConfig()
    local = stage_bytes(snapshot, tmp_path / "local", LOCAL, config)
    assert stage_bytes(snapshot, tmp_path / "dask1", dask1, config) == local
    assert stage_bytes(snapshot, tmp_path / "dask2", dask2, config) == local
    trace = [json.loads(x) for x in (tmp_path / "dask2" / "trace.jsonl").read_text().splitlines()]
    mapped = next(span for span in trace if span.get("span") == "stage:sanity")
    assert (mapped["executor"], mapped["workers"], mapped["partitions"]) == ("dask", 2, 4)


@pytest.mark.l1
def test_features_alone_on_workers_when_bars_are_reused(
    synthetic: Path, tmp_path: Path, dask2: DaskExecutor
) -> None:
    snapshot = load_snapshot(synthetic)
    local = stage_bytes(snapshot, tmp_path / "run", LOCAL, RunConfig())
    (tmp_path / "run" / ARTIFACTS["features"].file).unlink()
    runner = StageRunner(tmp_path / "run", Trace(tmp_path / "run" / "trace.jsonl", "test"))
    run_data_stages(runner, RunConfig(), snapshot, dask2)  # bars reused; stage 5 mapped on the workers
    assert (tmp_path / "run" / ARTIFACTS["features"].file).read_bytes() == local["features"]
    assert '"span": "map:features"' in (tmp_path / "run" / "trace.jsonl").read_text()


@pytest.mark.l1
def test_an_existing_cluster_by_address_same_bytes(synthetic: Path, tmp_path: Path) -> None:
    snapshot = load_snapshot(synthetic)
    local = stage_bytes(snapshot, tmp_path / "local", LOCAL, RunConfig())
    with (
        dask.config.set({"distributed.worker.multiprocessing-method": "spawn"}),
        LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            dashboard_address=None,
            local_directory=str(tmp_path / "cluster"),
        ) as cluster,
    ):
        spec = ExecutorSpec(kind=ExecutorKind.DASK, scheduler=cluster.scheduler_address)
        assert stage_bytes(snapshot, tmp_path / "remote", spec, RunConfig()) == local
        assert cluster.scheduler_info["workers"]  # the cluster outlives the run: it is not ours to close


def test_a_killed_drivers_scratch_space_is_removed_by_the_next_cluster(scratch_tmp: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = scratch_tmp / f"aurora-dask-{dead.pid}-x1" / "dask-scratch-space"
    live = scratch_tmp / f"aurora-dask-{os.getppid()}-x2"
    for path in (stale, live):
        path.mkdir(parents=True)
    _sweep_stale_scratch()
    assert dask_leftovers(scratch_tmp) == [live.name]  # a live driver's is never touched


# ------------------------------------------------------------------ errors
@pytest.mark.l1
def test_a_strict_failure_in_workers_is_the_local_one_line_error(
    synthetic: Path, tmp_path: Path, scratch_tmp: Path
) -> None:
    """Through the spec: run_data_stages starts its own cluster, and removes its scratch space."""
    snapshot = load_snapshot(synthetic)
    close = snapshot.prices.column("close").to_numpy().copy()
    close[[754 * 10 + 3, 754 * 150 + 7]] = np.nan  # two symbols far apart: two partitions, two workers
    i = snapshot.prices.schema.get_field_index("close")
    bad = snapshot.prices.set_column(i, "close", pa.array(close))
    broken = Snapshot(bad, snapshot.actions, "p", "a", "lock-broken")
    expected = _stage_error(broken, tmp_path / "local", LOCAL)
    assert expected.startswith("sanity check 'non_finite': 2 offending rows; first: SYN0010 ")
    assert _stage_error(broken, tmp_path / "dask2", DASK_2) == expected
    assert "\n" not in expected
    assert dask_leftovers(scratch_tmp) == []  # dask-scratch-space went with the cluster


def test_an_unreachable_scheduler_is_one_line_naming_the_address(tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{_closed_port()}"
    spec = ExecutorSpec(kind=ExecutorKind.DASK, scheduler=address)
    started = time.monotonic()
    message = _stage_error(load_snapshot(), tmp_path / "run", spec)
    assert message.startswith(f"--scheduler {address}: no dask scheduler reachable (ConnectionRefusedError: ")
    assert time.monotonic() - started < 5  # refused at once, not after the connect timeout


def _die(_: object) -> None:
    os._exit(1)


@pytest.mark.l1  # nightly breadth: a worker restart / a full resume cost ~10-30 s
def test_a_worker_that_dies_is_one_line_not_a_traceback() -> None:
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        executor = DaskExecutor(DASK_1).start()
        try:
            with pytest.raises(ExecutorError) as raised:
                executor.map(_die, [1])
        finally:
            executor.close()
    assert str(raised.value).startswith("executor dask: a worker died running a partition (")
    assert "\n" not in str(raised.value)


# ------------------------------------------------------------------ the command
@pytest.mark.l1
def test_cli_dask_run_gives_every_artifact_of_a_local_run(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    baseline = cached_run(tmp_path_factory, *SHORT_WINDOW).run_dir
    run_dir, tmp = tmp_path / "run", tmp_path / "child-tmp"
    tmp.mkdir()
    result = aurora(
        "run",
        "--run-dir",
        run_dir,
        *SHORT_WINDOW,
        "--executor",
        "dask",
        "--workers",
        "2",
        env={"TMPDIR": str(tmp)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert artifact_hashes(run_dir, ALL_ARTIFACTS) == artifact_hashes(baseline, ALL_ARTIFACTS)
    config = json.loads((run_dir / "config.json").read_text())
    assert config["config_hash"] == json.loads((baseline / "config.json").read_text())["config_hash"]
    assert dask_leftovers(tmp) == []


def test_cli_unreachable_scheduler_exits_2_with_one_line(tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{_closed_port()}"
    run_dir = tmp_path / "run"
    result = aurora("run", "--run-dir", run_dir, *SHORT_WINDOW, "--executor", "dask", "--scheduler", address)
    assert result.returncode == 2, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-3000:]
    assert lines[0].startswith(f"aurora: error: --scheduler {address}: no dask scheduler reachable (")
    assert not run_dir.exists()  # bad input leaves no half-made run directory


@pytest.mark.l1
def test_cli_a_bad_snapshot_fails_in_dask_workers_with_the_local_line(
    synthetic: Path, tmp_path: Path
) -> None:
    """Bad rows in two partitions, found by two worker processes: exit 2 and the local run's very line."""
    snapshot = load_snapshot(synthetic)
    volume = snapshot.prices.column("volume").to_numpy().copy()
    volume[[754 * 30 + 100, 754 * 170 + 200]] = 0
    i = snapshot.prices.schema.get_field_index("volume")
    bad = snapshot.prices.set_column(i, "volume", pa.array(volume))
    directory = tmp_path / "bad-snapshot"
    write_snapshot_dir(
        directory,
        prices=bad,
        actions=snapshot.actions,
        kind="synthetic",
        calendar="XNYS",
        price_basis="raw",
        source={"test": "two zero volumes"},
        sanity={},
        provenance=lambda lock: "SYNTHETIC test snapshot\n",
    )
    lines = {}
    for name, extra in (("local", ()), ("dask", ("--executor", "dask", "--workers", "2"))):
        result = aurora("run", "--run-dir", tmp_path / name, "--snapshot", directory, *extra)
        assert result.returncode == 2, result.stderr[-3000:]
        assert "Traceback" not in result.stderr
        lines[name] = result.stderr.strip().splitlines()
    assert len(lines["local"]) == 1
    assert lines["local"][0].startswith(
        "aurora: error: sanity check 'zero_volume': 2 offending rows; first: SYN0030 "
    )
    assert lines["dask"] == lines["local"]


@pytest.mark.l1
def test_cli_sigint_to_the_process_group_mid_map_stops_cleanly(synthetic: Path, tmp_path: Path) -> None:
    """Ctrl-C reaches the driver and every worker: exit 130, one line, no worker left, no scratch left."""
    run_dir, tmp = tmp_path / "run", tmp_path / "child-tmp"
    tmp.mkdir()
    args = ["run", "--run-dir", run_dir, "--snapshot", synthetic, "--executor", "dask", "--workers", "2"]
    proc = subprocess.Popen(
        argv(args),
        env=child_env({"TMPDIR": str(tmp)}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    trace = run_dir / "trace.jsonl"
    started = wait_for(
        lambda: trace.exists() and "executor:start" in trace.read_text(), timeout=120, proc=proc
    )
    assert started, finish(proc)
    workers = psutil.Process(proc.pid).children(recursive=True)
    assert len(workers) >= 2
    assert dask_leftovers(tmp) != []  # the live cluster's scratch space is there ...
    os.killpg(proc.pid, signal.SIGINT)
    code, _, err = finish(proc)
    assert code == 130, err[-3000:]
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err[-3000:]
    assert lines[0].startswith("aurora: interrupted by SIGINT (before the first session committed)")
    assert lines[0].endswith(f"resume with: aurora resume --run-dir {run_dir}")
    spans = {
        s["span"]: s for s in map(json.loads, trace.read_text().splitlines()) if s.get("event") == "span"
    }
    assert spans["stage:sanity"]["status"] == "error"  # it landed inside the map
    assert "stage:features" not in spans
    _gone, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []
    assert dask_leftovers(tmp) == []  # ... and went with it


@pytest.mark.l1  # nightly breadth: a worker restart / a full resume cost ~10-30 s
def test_cli_dask_run_interrupted_then_resumed_locally_gives_the_same_bytes(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    baseline = cached_run(tmp_path_factory, *SHORT_WINDOW).run_dir
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        argv(["run", "--run-dir", run_dir, *SHORT_WINDOW, "--executor", "dask", "--workers", "1"]),
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    trace = run_dir / "trace.jsonl"
    assert wait_for(lambda: trace.exists() and "executor:start" in trace.read_text(), timeout=120, proc=proc)
    os.killpg(proc.pid, signal.SIGINT)
    code, _, err = finish(proc)
    assert code == 130, err[-3000:]
    resume_to_the_end(run_dir)
    assert artifact_hashes(run_dir, ALL_ARTIFACTS) == artifact_hashes(baseline, ALL_ARTIFACTS)
