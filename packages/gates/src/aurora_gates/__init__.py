"""L0/L1/L2 gates, goldens, ratchet and the promotion checklist.

The names below are the public API of the gate machinery. The concepts live in
their own subpackages, each with its own ``__all__``: ``mutation`` (mutmut
runs and scores), ``promote`` (the checklist), ``ratchet`` (goldens),
``rollback`` (the rollback-test); ``evidence`` says where reports live.
"""

from importlib import import_module
from typing import Any

# Loaded on first use (PEP 562): `aurora --help` loads this package for its commands, and the
# report module pulls in pyarrow; nothing heavy should load before a command needs it.
_HOME = {
    "REGISTRY": "aurora_gates.registry",
    "REPORTS": "aurora_gates.evidence",
    "Check": "aurora_gates.registry",
    "CheckFailed": "aurora_gates.registry",
    "CheckResult": "aurora_gates.registry",
    "Evidence": "aurora_gates.evidence",
    "GateContext": "aurora_gates.registry",
    "GateReport": "aurora_gates.report",
    "Level": "aurora_gates.registry",
    "Registry": "aurora_gates.registry",
    "run_check": "aurora_gates.registry",
    "run_gate": "aurora_gates.runner",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'aurora_gates' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


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
