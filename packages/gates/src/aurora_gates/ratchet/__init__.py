"""The ratchet: a run's metrics may not get worse than the goldens, and goldens only tighten.

``goldens`` reads and validates goldens/metrics.json; ``compare`` judges
metrics and moves goldens (only the better way unless an ADR justifies
loosening); ``run`` reads a run directory and ``assess``es it - the one
comparison, used by `aurora ratchet` and by the L2 check in ``check``.
"""

from aurora_gates.ratchet.check import ratchet_check
from aurora_gates.ratchet.compare import (
    RatchetFinding,
    Verdict,
    check_adr,
    compare,
    describe_changes,
    update,
)
from aurora_gates.ratchet.goldens import (
    GOLDENS,
    Direction,
    GoldenMetric,
    Goldens,
    GoldensReference,
    RatchetError,
    load_goldens,
    write_goldens,
)
from aurora_gates.ratchet.run import (
    BASELINE_ARTIFACTS,
    SUMMARY,
    RatchetOutcome,
    assess,
    baseline_mismatches,
    load_summary,
    run_baseline_hashes,
    run_flags_on,
)

__all__ = [
    "BASELINE_ARTIFACTS",
    "GOLDENS",
    "SUMMARY",
    "Direction",
    "GoldenMetric",
    "Goldens",
    "GoldensReference",
    "RatchetError",
    "RatchetFinding",
    "RatchetOutcome",
    "Verdict",
    "assess",
    "baseline_mismatches",
    "check_adr",
    "compare",
    "describe_changes",
    "load_goldens",
    "load_summary",
    "ratchet_check",
    "run_baseline_hashes",
    "run_flags_on",
    "update",
    "write_goldens",
]
