"""L2 checks (pre-promotion) besides the ratchet: cross-process determinism.

Same snapshot + same config + same flags => byte-identical Parquet artifacts
across processes, hash seeds and thread counts (DESIGN.md §6). The check runs
a second, independent `aurora run` of the run's own config.json with another
PYTHONHASHSEED, one OpenMP thread and one polars thread, in another directory,
and compares every Parquet artifact's sha256 with the run's manifest.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from aurora_e2d.core.exitcodes import ExitCode
from aurora_e2d.core.paths import aurora_executable
from aurora_e2d.engine.catalog import ARTIFACTS
from aurora_e2d.rundir.artifacts import sha256_file
from aurora_e2d.rundir.layout import CONFIG_FILE, MANIFEST_FILE
from aurora_gates.registry import REGISTRY, CheckFailed, GateContext, Level

# Another process with other sources of nondeterminism than the run under test.
PERTURBED_ENV = {"PYTHONHASHSEED": "4242", "OMP_NUM_THREADS": "1", "POLARS_MAX_THREADS": "1"}
TIMEOUT_S = 900
REPRODUCIBLE_EXITS = frozenset({ExitCode.OK, ExitCode.BREAKER})  # a breaker halt is a legitimate outcome


def _aurora() -> str:
    exe = aurora_executable()
    if exe is None:
        raise CheckFailed("the aurora console script is not installed")
    return exe


@REGISTRY.register(
    "cross_process_determinism",
    Level.L2,
    "A second process (other hash seed, 1 OpenMP and 1 polars thread) reproduces every Parquet artifact byte for byte.",
)
def cross_process_determinism(ctx: GateContext) -> dict[str, Any]:
    run_dir = ctx.require_run_dir()
    manifest = json.loads((run_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    env = {**ctx.environ, **PERTURBED_ENV}
    with tempfile.TemporaryDirectory(prefix="aurora-determinism-") as scratch:
        other = Path(scratch) / "run"
        result = subprocess.run(
            [_aurora(), "run", "--config", str(run_dir / CONFIG_FILE), "--run-dir", str(other)],
            cwd=ctx.repo_root,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        if result.returncode not in REPRODUCIBLE_EXITS:
            raise CheckFailed(
                f"the second run exited {result.returncode}", stderr=result.stderr.strip().splitlines()[-3:]
            )
        compared, differing = [], []
        for name, spec in ARTIFACTS.items():
            recorded = manifest["artifacts"].get(name)
            if recorded is None:
                raise CheckFailed(f"{spec.file}: not in the run's manifest", artifact=spec.file)
            again = sha256_file(other / spec.file)
            compared.append(spec.file)
            if again != recorded["sha256"]:
                differing.append({"artifact": spec.file, "run": recorded["sha256"], "second_process": again})
    if differing:
        raise CheckFailed(
            f"{len(differing)} artifacts differ across processes: {', '.join(d['artifact'] for d in differing)}",
            differing=differing,
            env=PERTURBED_ENV,
        )
    return {"artifacts_identical": compared, "env": PERTURBED_ENV}
