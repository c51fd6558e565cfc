from aurora_gates.evidence import REPORTS as REPORTS
from aurora_gates.evidence import Evidence as Evidence
from aurora_gates.registry import REGISTRY as REGISTRY
from aurora_gates.registry import Check as Check
from aurora_gates.registry import CheckFailed as CheckFailed
from aurora_gates.registry import CheckResult as CheckResult
from aurora_gates.registry import GateContext as GateContext
from aurora_gates.registry import Level as Level
from aurora_gates.registry import Registry as Registry
from aurora_gates.registry import run_check as run_check
from aurora_gates.report import GateReport as GateReport
from aurora_gates.runner import run_gate as run_gate

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
