"""Same snapshot + config + flags => byte-identical artifacts across processes (DESIGN.md §6).

Runs in separate processes, in differently named run directories, with
different hash seeds and thread counts (OpenMP for scikit-learn/onnxruntime,
polars' pool), must write every Parquet artifact byte for byte the same,
the same journal rows (apart from wall-clock commit stamps) and the same
metrics. The short window runs on every PR; the whole bundled data is l1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _runs import (
    ALL_ARTIFACTS,
    RUN_TIMEOUT,
    SHORT_WINDOW,
    artifact_hashes,
    cached_run,
    finish,
    journal_content,
    spawn,
)

ENVIRONMENTS = (
    {"PYTHONHASHSEED": "1", "OMP_NUM_THREADS": "1", "POLARS_MAX_THREADS": "1"},
    {"PYTHONHASHSEED": "4242", "OMP_NUM_THREADS": "2", "POLARS_MAX_THREADS": "3"},
)


def _run_concurrently(dirs_and_envs: list[tuple[Path, dict[str, str]]], window: tuple[str, ...]) -> None:
    procs = [spawn("run", "--run-dir", d, *window, env=env) for d, env in dirs_and_envs]
    for proc in procs:
        code, _, err = finish(proc, timeout=RUN_TIMEOUT)
        assert code == 0, err[-3000:]


def _assert_identical(runs: list[Path]) -> None:
    reference, *others = runs
    expected = artifact_hashes(reference, ALL_ARTIFACTS)
    journal = journal_content(reference)
    metrics = json.loads((reference / "summary.json").read_text())["metrics"]
    manifest = json.loads((reference / "manifest.json").read_text())["artifacts"]
    for other in others:
        hashes = artifact_hashes(other, ALL_ARTIFACTS)
        differing = sorted(name for name in ALL_ARTIFACTS if hashes[name] != expected[name])
        assert differing == [], f"{other.parent.name} differs from {reference.parent.name}: {differing}"
        assert journal_content(other) == journal
        assert json.loads((other / "summary.json").read_text())["metrics"] == metrics
        other_manifest = json.loads((other / "manifest.json").read_text())["artifacts"]
        for name in ALL_ARTIFACTS:
            assert other_manifest[name]["sha256"] == manifest[name]["sha256"] == expected[name]


@pytest.mark.l1
def test_short_window_is_byte_identical_across_processes_seeds_and_threads(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The shared short run was made inside a test worker's interpreter (whatever ran there before,
    # its hash seed and default thread pools); this one by the console script in a process of its
    # own, a fixed seed and one thread everywhere, in a differently named directory.
    run = tmp_path / "elsewhere" / "seed-1-threads-1"
    _run_concurrently([(run, ENVIRONMENTS[0])], SHORT_WINDOW)
    _assert_identical([cached_run(tmp_path_factory, *SHORT_WINDOW).run_dir, run])


@pytest.mark.l1
def test_full_window_is_byte_identical_across_processes_seeds_and_threads(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    runs = [tmp_path / "full-seed-1", tmp_path / "full-seed-4242"]
    _run_concurrently(list(zip(runs, ENVIRONMENTS, strict=True)), ())
    _assert_identical([cached_run(tmp_path_factory).run_dir, *runs])
