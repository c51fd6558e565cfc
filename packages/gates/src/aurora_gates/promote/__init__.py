"""`aurora promote`: the promotion checklist, each item checked from real files.

Modules, one concept each: ``git`` (revision, what changed), ``commands``
(the `aurora` command tree and nox's sessions), ``runbooks`` (which must
exist, their sections and commands), ``inputs`` (what the items look at),
``reports`` (items reading the evidence directory's gate reports), ``blessing`` (the
blessing of this revision's candidate against the golden champion), ``mltestscore`` (the ML
Test Score self-assessment written with the report),
``checklist`` (the items in order), ``render`` (markdown, JSON, a table).
The checklist writes ``reports/promotion.md`` for people and
``reports/promotion.json`` for machines, and passes only if every item passes.
"""

from aurora_gates.evidence import BLESSING_REPORT
from aurora_gates.promote.blessing import blessing_item, default_config_hash
from aurora_gates.promote.checklist import ITEMS, run_checklist
from aurora_gates.promote.commands import (
    CommandInventory,
    aurora_command,
    nox_sessions,
    nox_sessions_from_list,
)
from aurora_gates.promote.git import Git, SubprocessGit
from aurora_gates.promote.render import REPORT_JSON, REPORT_MD, PromotionReport
from aurora_gates.promote.runbooks import RUNBOOKS, RunbookCommand, extract_commands

__all__ = [
    "BLESSING_REPORT",
    "ITEMS",
    "REPORT_JSON",
    "REPORT_MD",
    "RUNBOOKS",
    "CommandInventory",
    "Git",
    "PromotionReport",
    "RunbookCommand",
    "SubprocessGit",
    "aurora_command",
    "blessing_item",
    "default_config_hash",
    "extract_commands",
    "nox_sessions",
    "nox_sessions_from_list",
    "run_checklist",
]
