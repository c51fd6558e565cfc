"""The run directory's file names, declared once (DESIGN.md's artifact list).

The Parquet artifacts are named by their specs (``engine.catalog``); the
journal's name is the broker's (``aurora_broker.JOURNAL_NAME``) and the kill
file's the safety package's (``aurora_safety.KILL_FILE_NAME``).
"""

from __future__ import annotations

CONFIG_FILE = "config.json"  # the frozen, validated run config
MANIFEST_FILE = "manifest.json"  # what the run was made of and produced
SUMMARY_FILE = "summary.json"  # the report's numbers
REPORT_FILE = "report.html"
BLESSING_FILE = "blessing.json"  # written by `aurora bless` into the candidate's run directory
TRACE_FILE = "trace.jsonl"  # the structured log
STAGES_FILE = "stages.json"  # stage checkpoints (operational state, not an artifact)
# the report's per-session binding limits, remembered for the next report (operational, a cache)
BINDING_MEMO_FILE = "binding-memo.json"
MODELS_DIR = "models"  # each fold's ONNX and skops exports and folds.json
REPORT_ENTRY = (
    "report"  # report.html's manifest entry: the manifest that lists it is the last thing a run writes
)

__all__ = [
    "BINDING_MEMO_FILE",
    "BLESSING_FILE",
    "CONFIG_FILE",
    "MANIFEST_FILE",
    "MODELS_DIR",
    "REPORT_ENTRY",
    "REPORT_FILE",
    "STAGES_FILE",
    "SUMMARY_FILE",
    "TRACE_FILE",
]
