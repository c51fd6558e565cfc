"""Build a test run once per test run, not once per test module, worker or suite.

Test support that ships with the package (as ``numpy.testing`` does) because
several test suites share it: e2d's and gates' unit tests and the repository
tests each ask for the same real runs of the bundled data, in separate
pytest processes (pytest-xdist workers, one nox session per package). The
first process that asks builds the run under an exclusive file lock; every
other one waits for that lock and then reads the finished directory.

Where: ``$AURORA_TEST_RUN_CACHE`` when set (nox sets one fresh directory per
invocation, so every session of one ``nox -s l0`` shares it, and nothing
outlives the invocation); otherwise the root of this pytest run's temporary
directory, shared by its xdist workers.

A cached run is read-only: a test that changes one copies it first. A key
names what the run depends on (its arguments, configuration text and
environment); the installed code is the same for every process of one
invocation, which is why the cache never outlives it.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from aurora_broker import JOURNAL_NAME
from aurora_e2d.core.paths import aurora_executable
from aurora_e2d.rundir.layout import CONFIG_FILE

CACHE_ENV = "AURORA_TEST_RUN_CACHE"
_DONE = "done.json"
RUN_TIMEOUT = 600  # s: a hung run fails the test run instead of blocking it


def cache_root(pytest_basetemp: Path) -> Path:
    """Where cached runs live: the invocation's directory, else this pytest run's temp root."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        root = Path(chosen)
    else:
        # xdist workers get basetemp/popen-gwN; their shared parent is the run's root.
        root = pytest_basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else pytest_basetemp
        root = root / "run-cache"
    root.mkdir(parents=True, exist_ok=True)
    return root


def cache_key(*parts: Any) -> str:
    """A short stable name for what a cached entry depends on."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


def cached(root: Path, key: str, build: Callable[[Path], Mapping[str, Any]]) -> tuple[Path, dict[str, Any]]:
    """The entry ``key`` under ``root``: built by ``build(directory)`` once, under a file lock.

    ``build`` fills the empty directory it is given and returns JSON-able facts
    about it (exit code, timings); later callers get the same directory and facts.
    A build that raised leaves nothing behind, so the next caller tries again.
    """
    entry = root / key
    with open(root / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        done = entry / _DONE
        if done.is_file():
            return entry, json.loads(done.read_text())
        if entry.exists():
            shutil.rmtree(entry)  # a build that died half-way
        entry.mkdir()
        try:
            facts = dict(build(entry))
        except BaseException:
            shutil.rmtree(entry, ignore_errors=True)
            raise
        done.write_text(json.dumps(facts))
        return entry, facts


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment without any AURORA_* variable (and byte-code suppression), plus ``extra``."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("AURORA_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["COLUMNS"] = "200"  # rich wraps tables and help to the terminal width
    env.update(extra or {})
    return env


class InProcessTimeout(BaseException):
    """An in-process command passed its timeout (raised from SIGALRM: no ``except Exception`` stops it)."""


def run_in_process(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = RUN_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """``aurora ARGS`` by ``aurora_e2d.cli.app.main`` in this interpreter: the environment stripped of
    AURORA_* plus ``env``, ``cwd`` as the working directory, output captured, as a subprocess would be.

    The command's code is the console script's; what is skipped is a fresh interpreter and its
    imports (about 3 s per pipeline run on this 2-core machine). For tests where the process
    boundary is not the point; signals, another process's locks, SIGKILL, fault injection (fault
    points read their spec once per process) and the console script's own start-up need a real
    process. Call it from the main thread (the timeout is SIGALRM).
    """
    from aurora_e2d.cli.app import _builtin_command, main
    from aurora_e2d.core.faults import FAULT_ENV

    argv = [str(a) for a in args]
    environ = clean_env(env)
    if FAULT_ENV in environ:
        raise ValueError("fault injection needs a process of its own: run the console script")
    if not _builtin_command(argv):  # a plugin (`gate`) registers on the shared app when it loads
        raise ValueError(f"{argv[:1]} is a plugin command: run the console script")
    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    out, err = io.StringIO(), io.StringIO()

    def overran(signum: int, frame: object) -> None:
        raise InProcessTimeout(f"aurora {' '.join(argv)} did not finish within {timeout} s (in-process)")

    previous = signal.signal(signal.SIGALRM, overran)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        os.environ.clear()
        os.environ.update(environ)
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return subprocess.CompletedProcess(["aurora", *argv], int(code), out.getvalue(), err.getvalue())


def timed_aurora_run(
    aurora: str, run_dir: Path, args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``aurora run --run-dir RUN_DIR ARGS`` to its end: exit code, stderr and when (seconds after
    the spawn) config.json, the journal and orders.parquet appeared (kill instants are placed by them)."""
    marks = {"t_config": run_dir / CONFIG_FILE, "t_journal": run_dir / JOURNAL_NAME}
    marks["t_executed"] = run_dir / "orders.parquet"
    seen: dict[str, Any] = {}
    with tempfile.TemporaryFile("w+") as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            [aurora, "run", "--run-dir", str(run_dir), *args],
            cwd=cwd,
            env=clean_env(env),
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        )
        while proc.poll() is None and time.monotonic() - started < RUN_TIMEOUT:
            for name, path in marks.items():
                if name not in seen and path.exists():
                    seen[name] = time.monotonic() - started
            time.sleep(0.005)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        ended = time.monotonic() - started
        err.seek(0)
        seen.update(returncode=proc.returncode, stderr=err.read()[-20000:], t_end=ended)
    for name in marks:
        seen.setdefault(name, ended)
    return seen


def shared_run(
    root: Path,
    aurora: str,
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    config_toml: str | None = None,
    name: str = "run",
    timed: bool = False,
) -> tuple[Path, dict[str, Any]]:
    """One ``aurora run ARGS`` per cache root, whoever asks first: (run directory, facts).

    Built in the asking interpreter (``run_in_process``: no fresh interpreter's imports to pay)
    unless ``timed``: then by the console script in a subprocess, with the instants its files
    appeared (a crash test places its kills by them), under a key of its own.
    ``name``: the run directory's name, which a run records as its id when it is created."""

    def build(entry: Path) -> dict[str, Any]:
        extra: list[str] = []
        if config_toml is not None:
            (entry / "config.toml").write_text(config_toml)
            extra = ["--config", str(entry / "config.toml")]
        command = [*args, *extra]
        if timed:
            return timed_aurora_run(aurora, entry / name, command, cwd=cwd, env=env)
        done = run_in_process(["run", "--run-dir", str(entry / name), *command], cwd=cwd, env=env)
        return {"returncode": done.returncode, "stderr": done.stderr[-20000:]}

    parts: list[Any] = ["run", list(args), config_toml, dict(env or {})]
    parts += [name] if name != "run" else []
    parts += ["timed"] if timed else []
    entry, facts = cached(root, cache_key(*parts), build)
    return entry / name, facts


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m aurora_e2d.testkit --copy-to DIR [-- RUN ARGS]``: the invocation's shared run
    (built now if no test built it) copied to DIR, for a gate to check the run the tests checked."""
    parser = argparse.ArgumentParser(prog="python -m aurora_e2d.testkit")
    parser.add_argument("--copy-to", type=Path, required=True)
    parser.add_argument("run_args", nargs="*")
    ns = parser.parse_args(argv)
    aurora = aurora_executable()
    if aurora is None:
        print("aurora: error: the aurora console script is not installed beside this Python", file=sys.stderr)
        return 2
    root = cache_root(Path(tempfile.mkdtemp(prefix="aurora-run-cache-")))
    run_dir, facts = shared_run(root, aurora, ns.run_args, cwd=Path.cwd())
    if facts["returncode"] != 0:
        print(
            f"aurora: error: the shared run exited {facts['returncode']}: {facts['stderr'][-2000:]}",
            file=sys.stderr,
        )
        return 1
    if ns.copy_to.exists():
        shutil.rmtree(ns.copy_to)
    shutil.copytree(run_dir, ns.copy_to, ignore=shutil.ignore_patterns("run.lock"))
    print(f"shared run copied to {ns.copy_to}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
