"""`aurora gate l0` checks a run against its own snapshot and calendar, not only the bundled one.

import -> run -> gate l0 on an imported snapshot (the bundled real data cut
and written as a long Parquet in its source's shape), and on a SYNTHETIC
XLON snapshot; a tampered byte in a run's snapshot is caught.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from aurora_e2d.testkit import run_in_process
from gates_helpers import REPO_ROOT, aurora_exe, clean_env

SOURCE_NAMES = ["Ticker", "Date", "Open", "High", "Low", "Close", "Volume", "Adj Close"]


def aurora(*args: object, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [aurora_exe(), *map(str, args)], cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def imported_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("imported")
    prices = pq.read_table(REPO_ROOT / "goldens" / "snapshot" / "stocks.parquet")
    prices = prices.filter(pc.less_equal(prices.column("date"), pa.scalar(dt.date(2013, 1, 31))))
    pq.write_table(prices.rename_columns(SOURCE_NAMES), root / "stocks-long.parquet")
    # in this interpreter: the gate is under test here, not the import's or the run's process
    imported = run_in_process(
        ["data", "import", str(root / "stocks-long.parquet"), "--out", str(root / "snapshot")], cwd=REPO_ROOT
    )
    assert imported.returncode == 0, imported.stderr
    run = run_in_process(
        [
            "run",
            "--snapshot",
            str(root / "snapshot"),
            "--run-dir",
            str(root / "run"),
            "--start",
            "2012-10-01",
        ],
        cwd=REPO_ROOT,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return root


def test_gate_l0_passes_on_a_run_over_an_imported_snapshot(imported_run: Path) -> None:
    gate = aurora("gate", "l0", "--run-dir", imported_run / "run")
    assert gate.returncode == 0, gate.stdout[-3000:] + gate.stderr
    assert "gate l0: PASSED" in gate.stdout


def test_a_tampered_byte_in_the_runs_own_snapshot_fails_l0(imported_run: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "snapshot"
    shutil.copytree(imported_run / "snapshot", copy)
    run_dir = tmp_path / "run"
    shutil.copytree(imported_run / "run", run_dir)
    config = (run_dir / "config.json").read_text().replace(str(imported_run / "snapshot"), str(copy))
    (run_dir / "config.json").write_text(config)  # the copy reads the copied snapshot
    data = bytearray((copy / "stocks.parquet").read_bytes())
    data[len(data) // 2] ^= 0x01
    (copy / "stocks.parquet").write_bytes(bytes(data))
    gate = aurora("gate", "l0", "--run-dir", run_dir, "--json", tmp_path / "gate.json")
    assert gate.returncode == 1
    assert f"{copy / 'stocks.parquet'}: sha256 differs from the lock" in (tmp_path / "gate.json").read_text()


def test_gate_l0_uses_the_runs_own_calendar(tmp_path: Path) -> None:
    made = run_in_process(
        ["data", "synthetic", "--symbols", "8", "--years", "4", "--seed", "3", "--calendar", "XLON",
         "--out", str(tmp_path / "xlon")],
        cwd=REPO_ROOT,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    run = run_in_process(
        ["run", "--snapshot", str(tmp_path / "xlon"), "--run-dir", str(tmp_path / "run")], cwd=REPO_ROOT
    )
    assert run.returncode in (0, 4), run.stderr[-3000:]  # a synthetic market may trip the drawdown breaker
    gate = aurora("gate", "l0", "--run-dir", tmp_path / "run", "--json", tmp_path / "gate.json")
    assert gate.returncode == 0, gate.stdout[-3000:]
    assert '"calendar": "XLON"' in (tmp_path / "gate.json").read_text()
