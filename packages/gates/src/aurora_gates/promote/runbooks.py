"""Runbooks as the checklist reads them: which must exist, their sections, their commands.

Only fenced code blocks hold commands; an operator copies from those.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RUNBOOKS", "RUNBOOK_DIR", "RUNBOOK_SECTIONS", "RunbookCommand", "extract_commands", "headings"]

RUNBOOK_DIR = Path("docs") / "runbooks"
# What each runbook covers -> its file. Each must exist and name only real commands.
RUNBOOKS = {
    "kill switch": "kill-switch.md",
    "circuit-breaker trip and reset": "circuit-breaker.md",
    "crash recovery and resume": "crash-recovery.md",
    "rollback": "rollback.md",
    "promotion": "promotion.md",
    "performance regression": "performance-regression.md",
}
# Every runbook says how to see the problem, confirm it, check the fix and undo it.
RUNBOOK_SECTIONS = ("symptom", "confirm", "verify", "undo")
_ENV_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*")
_SEPARATORS = frozenset({"&&", "||", "|", ";", "&"})
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")


@dataclass(frozen=True)
class RunbookCommand:
    line: int  # 1-based line in the runbook
    tokens: tuple[str, ...]  # from `aurora` or `nox` on, environment assignments dropped

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


def extract_commands(markdown: str) -> list[RunbookCommand]:
    """Every `aurora …` and `nox …` command in the fenced code blocks of a markdown text.

    Comments, leading ``VAR=value`` assignments and other programs are skipped;
    ``a && b``, ``a; b`` and pipes are split into their commands.
    """
    found: list[RunbookCommand] = []
    fenced = False
    pending = ""
    for number, raw in enumerate(markdown.splitlines(), start=1):
        if _FENCE.match(raw):
            fenced, pending = not fenced, ""
            continue
        if not fenced:
            continue
        line = pending + raw
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1] + " "
            continue
        pending = ""
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:
            tokens = line.split()
        for segment in _segments(tokens):
            while segment and _ENV_ASSIGNMENT.fullmatch(segment[0]):
                segment = segment[1:]
            if segment and segment[0] in {"aurora", "nox"}:
                found.append(RunbookCommand(number, tuple(segment)))
    return found


def _segments(tokens: Iterable[str]) -> list[list[str]]:
    segments: list[list[str]] = [[]]
    for token in tokens:
        if token in _SEPARATORS:
            segments.append([])
        elif token.endswith(";"):
            segments[-1].append(token[:-1])
            segments.append([])
        else:
            segments[-1].append(token)
    return [s for s in segments if s]


def headings(markdown: str) -> list[str]:
    """Every heading's text, lower-cased."""
    return [m.group(1).strip().lower() for line in markdown.splitlines() if (m := _HEADING.match(line))]
