"""The rollback-test: a flag changes the output, and `AURORA_ROLLBACK=1` undoes it byte for byte.

Runs the real `aurora run` in fresh run directories: once with every flag off
(the baseline), once per active flag with `AURORA_FLAG_<NAME>=1` (its
predictions or decisions must differ from the baseline: proof the flag does
something), and once per flag with `AURORA_FLAG_<NAME>=1 AURORA_ROLLBACK=1`
(every Parquet artifact must equal the baseline's byte for byte, and the
manifest must record every flag off). The baseline's decisions and fills must
also equal the hashes pinned in goldens/metrics.json. `nox -s rollback-test`
runs exactly this; docs/runbooks/rollback.md describes the same steps.

    python -m aurora_gates.rollback --work-dir runs/rollback --report reports/rollback-test.json

Modules: ``verdicts`` (pure comparisons of finished runs), ``runs`` (starting
the runs, the report), ``cli``.
"""

from aurora_gates.rollback.cli import main
from aurora_gates.rollback.runs import RUN_TIMEOUT_SECS, RollbackReport, active_flags, rollback_test
from aurora_gates.rollback.verdicts import (
    DIFFER_ARTIFACTS,
    RollbackError,
    RunRecord,
    Verdict,
    flag_differs,
    golden_matches,
    manifest_flags,
    parquet_hashes,
    rollback_identical,
)

__all__ = [
    "DIFFER_ARTIFACTS",
    "RUN_TIMEOUT_SECS",
    "RollbackError",
    "RollbackReport",
    "RunRecord",
    "Verdict",
    "active_flags",
    "flag_differs",
    "golden_matches",
    "main",
    "manifest_flags",
    "parquet_hashes",
    "rollback_identical",
    "rollback_test",
]
