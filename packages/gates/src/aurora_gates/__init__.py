"""L0/L1/L2 gates, goldens, ratchet and the promotion checklist.

The names below are the public API of the gate machinery. The concepts live in
their own subpackages, each with its own ``__all__``: ``mutation`` (mutmut
runs and scores), ``promote`` (the checklist), ``ratchet`` (goldens),
``rollback`` (the rollback-test); ``evidence`` says where reports live.
"""

from aurora_gates.evidence import REPORTS, Evidence
from aurora_gates.registry import (
    REGISTRY,
    Check,
    CheckFailed,
    CheckResult,
    GateContext,
    Level,
    Registry,
    run_check,
)
from aurora_gates.report import GateReport
from aurora_gates.runner import run_gate

__all__ = [
    "REGISTRY",
    "REPORTS",
    "Check",
    "CheckFailed",
    "CheckResult",
    "Evidence",
    "GateContext",
    "GateReport",
    "Level",
    "Registry",
    "run_check",
    "run_gate",
]
