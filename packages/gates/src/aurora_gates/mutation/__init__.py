"""L1 mutation testing: run mutmut 3 on packages, score each, gate on the score.

    python -m aurora_gates.mutation --package packages/e2d --package packages/safety --report-dir reports/l1

Modules, one concept each: ``counts`` (mutmut's stats and statuses, the
equivalents file), ``score`` (the raw score decides), ``targets`` (which
packages, which thresholds), ``process`` (a command under a deadline, its
process group killed on expiry), ``progress`` (a terminal status line),
``run`` (one package end to end), ``cli``.

A missing mutmut, a mutmut crash, a timeout, missing or malformed stats, or
zero mutants (a vacuous pass) are all FAILED results with the reason, never a
skip. The mutation runs use the tests' Hypothesis profile ``mutation``
(``HYPOTHESIS_PROFILE=mutation``: derandomised, no deadline, no database).
"""

from aurora_gates.mutation.cli import format_summary, main
from aurora_gates.mutation.counts import (
    EQUIVALENTS_FILE,
    STATS_RELPATH,
    MutationError,
    MutationStats,
    load_equivalents,
    parse_results,
    parse_stats,
)
from aurora_gates.mutation.run import DEFAULT_TIMEOUT_S, run_mutation
from aurora_gates.mutation.score import DEFAULT_THRESHOLD, Mutant, MutationResult, evaluate
from aurora_gates.mutation.targets import TARGETS, MutationTarget

__all__ = [
    "DEFAULT_THRESHOLD",
    "DEFAULT_TIMEOUT_S",
    "EQUIVALENTS_FILE",
    "STATS_RELPATH",
    "TARGETS",
    "Mutant",
    "MutationError",
    "MutationResult",
    "MutationStats",
    "MutationTarget",
    "evaluate",
    "format_summary",
    "load_equivalents",
    "main",
    "parse_results",
    "parse_stats",
    "run_mutation",
]
