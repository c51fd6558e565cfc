"""aurora_e2d.testkit: a shared test run is built once, whoever asks and however many ask at once.

Cheap: the builds here write a marker file, not a pipeline run. Two real processes race for
the same entry (the xdist and cross-suite case) through the real file lock.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aurora_e2d.testkit import CACHE_ENV, cache_key, cache_root, cached

RACE = """
import sys, time
from pathlib import Path
from aurora_e2d.testkit import cached

def build(entry):
    with open(Path(sys.argv[1]) / "builds.log", "a") as log:
        log.write("built\\n")
    time.sleep(0.5)  # long enough for the other process to arrive while the lock is held
    (entry / "payload").write_text("ready")
    return {"pid": __import__("os").getpid()}

entry, facts = cached(Path(sys.argv[1]), "same-key", build)
print((entry / "payload").read_text(), facts["pid"])
"""


def test_two_processes_asking_at_once_build_once_and_both_get_the_result(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", RACE, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=120)[0].split() for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    assert (tmp_path / "builds.log").read_text() == "built\n"
    assert outputs[0] == outputs[1]  # the same payload and the same builder's facts
    assert outputs[0][0] == "ready"


def test_a_failed_build_leaves_nothing_and_the_next_caller_builds_again(tmp_path: Path) -> None:
    def broken(entry: Path) -> dict:
        (entry / "half").write_text("x")
        raise RuntimeError("the run crashed")

    with pytest.raises(RuntimeError):
        cached(tmp_path, "k", broken)
    assert not (tmp_path / "k").exists()
    entry, facts = cached(tmp_path, "k", lambda entry: {"ok": True})
    assert facts == {"ok": True}
    assert not (entry / "half").exists()


def test_keys_differ_with_any_input_and_are_stable() -> None:
    assert cache_key("run", ["--start", "2012-06-01"], None, {}) == cache_key(
        "run", ["--start", "2012-06-01"], None, {}
    )
    assert cache_key("run", [], None, {}) != cache_key("run", [], "[limits]\n", {})
    assert cache_key("run", [], None, {}) != cache_key("run", [], None, {"AURORA_FLAG_HGB_MODEL": "1"})


def test_the_cache_root_is_the_invocations_directory_when_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "invocation"))
    assert cache_root(tmp_path / "basetemp") == tmp_path / "invocation"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert cache_root(tmp_path / "basetemp") == tmp_path / "basetemp" / "run-cache"
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")  # workers share their run's root
    assert cache_root(tmp_path / "root" / "popen-gw1") == tmp_path / "root" / "run-cache"
