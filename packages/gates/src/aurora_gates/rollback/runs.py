"""Running the rollback-test: real `aurora run`s in fresh directories, then the verdicts.

Each run is a separate process with its own environment: the baseline with
every flag off, then per active flag one run with the flag on and one with the
flag on and ``AURORA_ROLLBACK=1``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aurora_e2d.core.exitcodes import ExitCode
from aurora_e2d.core.paths import aurora_executable
from aurora_e2d.rundir.artifacts import atomic_write_bytes
from aurora_gates.ratchet import RatchetError, load_goldens
from aurora_gates.rollback.verdicts import (
    RollbackError,
    RunRecord,
    Verdict,
    flag_differs,
    golden_matches,
    manifest_flags,
    parquet_hashes,
    rollback_identical,
)
from aurora_gates.runner import git_revision
from aurora_safety import FlagStatus, load_declarations
from aurora_safety.env import FLAG_PREFIX, ROLLBACK_VAR, flag_var

__all__ = ["RUN_TIMEOUT_SECS", "RollbackReport", "active_flags", "rollback_test"]

RUN_TIMEOUT_SECS = 1800.0
# A flag-on run halted by a circuit breaker still committed its artifacts: the
# candidate behaved differently, which is what is being proved.
FLAG_RUN_EXITS = frozenset({ExitCode.OK, ExitCode.BREAKER})


def _aurora_command() -> list[str]:
    exe = aurora_executable()
    return [exe] if exe is not None else [sys.executable, "-m", "aurora_e2d.cli.app"]


def _run(
    name: str,
    run_dir: Path,
    overrides: Mapping[str, str],
    *,
    cwd: Path,
    base_env: Mapping[str, str],
    command: Sequence[str],
    extra_args: Sequence[str],
    accept: frozenset[int] = frozenset({ExitCode.OK}),
) -> RunRecord:
    if run_dir.exists():
        shutil.rmtree(run_dir)  # a fresh directory each time: nothing reused from a stale run
    env = {**base_env, **overrides}
    started = time.perf_counter()
    try:
        result = subprocess.run(
            [*command, "run", "--run-dir", str(run_dir), *extra_args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_SECS,
        )
        code, output = result.returncode, (result.stderr.strip() or result.stdout.strip())
    except subprocess.TimeoutExpired:
        code, output = -1, f"timed out after {RUN_TIMEOUT_SECS:.0f} s"
    except OSError as error:
        code, output = -1, f"cannot start {command[0]!r}: {error}"
    duration = round(time.perf_counter() - started, 3)
    record = {
        "name": name,
        "env": dict(overrides),
        "run_dir": str(run_dir),
        "exit_code": code,
        "duration_s": duration,
    }
    if code not in accept:
        tail = output.splitlines()[-1] if output else ""
        return RunRecord(**record, error=f"`aurora run` exited {code}: {tail}")
    try:
        return RunRecord(**record, flags=manifest_flags(run_dir), hashes=parquet_hashes(run_dir))
    except RollbackError as error:
        return RunRecord(**record, error=str(error))


@dataclass(frozen=True)
class RollbackReport:
    revision: str | None
    flags: Sequence[str]
    runs: Sequence[RunRecord]
    verdicts: Sequence[Verdict]
    duration_s: float

    @property
    def passed(self) -> bool:
        return bool(self.verdicts) and all(v.passed for v in self.verdicts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "passed": self.passed,
            "flags": list(self.flags),
            "runs": {r.name: asdict(r) for r in self.runs},
            "verdicts": [asdict(v) for v in self.verdicts],
            "duration_s": self.duration_s,
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(
            path, (json.dumps(self.as_dict(), indent=2, sort_keys=True, default=str) + "\n").encode()
        )


def active_flags() -> list[str]:
    return sorted(d.name for d in load_declarations() if d.status is FlagStatus.ACTIVE)


def rollback_test(
    repo_root: Path,
    work_dir: Path,
    *,
    flags: Sequence[str] | None = None,
    goldens: Path | None = None,
    environ: Mapping[str, str] | None = None,
    command: Sequence[str] | None = None,
    extra_args: Sequence[str] = (),
) -> RollbackReport:
    """Run baseline, flag-on and rollback runs; every verdict must pass.

    ``flags`` defaults to every active declared flag. With none, the test still
    proves that `AURORA_ROLLBACK=1` leaves the baseline unchanged. ``goldens``
    (goldens/metrics.json) pins the baseline's decisions and fills; None skips that.
    """
    started = time.perf_counter()
    flags = active_flags() if flags is None else sorted(flags)
    source = os.environ if environ is None else environ
    # A stray AURORA_FLAG_* or AURORA_ROLLBACK in the caller's shell would spoil the baseline.
    base_env = {k: v for k, v in source.items() if not k.startswith(FLAG_PREFIX) and k != ROLLBACK_VAR}
    options = {
        "cwd": repo_root,
        "base_env": base_env,
        "command": list(command) if command is not None else _aurora_command(),
        "extra_args": list(extra_args),
    }
    baseline = _run("baseline", work_dir / "baseline", {}, **options)
    runs, verdicts = [baseline], []
    if goldens is not None:
        try:
            pinned = load_goldens(goldens).baseline_hashes
        except RatchetError as error:
            verdicts.append(Verdict("baseline-matches-golden", False, str(error)))
        else:
            verdicts.append(golden_matches(baseline, pinned, str(goldens)))
    for flag in flags:
        variable = flag_var(flag)
        flagged = _run(
            f"flag-{flag}",
            work_dir / f"flag-{flag}",
            {variable: "1"},
            accept=FLAG_RUN_EXITS,
            **options,
        )
        rolled = _run(
            f"rollback-{flag}", work_dir / f"rollback-{flag}", {variable: "1", ROLLBACK_VAR: "1"}, **options
        )
        runs += [flagged, rolled]
        verdicts += [flag_differs(flag, baseline, flagged), rollback_identical(flag, baseline, rolled)]
    if not flags:
        rolled = _run("rollback", work_dir / "rollback", {ROLLBACK_VAR: "1"}, **options)
        runs.append(rolled)
        verdicts.append(rollback_identical(None, baseline, rolled))
    return RollbackReport(
        revision=git_revision(repo_root),
        flags=flags,
        runs=runs,
        verdicts=verdicts,
        duration_s=round(time.perf_counter() - started, 3),
    )
