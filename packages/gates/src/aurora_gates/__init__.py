"""L0/L1/L2 gates, goldens, ratchet and the promotion checklist."""

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
    "Check",
    "CheckFailed",
    "CheckResult",
    "GateContext",
    "GateReport",
    "Level",
    "Registry",
    "run_check",
    "run_gate",
]
