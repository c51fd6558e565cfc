"""Everything the checklist items look at, gathered once; the defaults ask the real repository."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from aurora_gates.evidence import Evidence
from aurora_gates.promote.commands import CommandInventory, aurora_command, nox_sessions
from aurora_gates.promote.git import Git
from aurora_gates.registry import CheckFailed
from aurora_safety import ConfigError, FlagDeclaration, load_declarations

__all__ = ["PromotionInputs"]


@dataclass
class PromotionInputs:
    repo_root: Path
    git: Git
    evidence: Evidence  # where the l0, l1 and rollback-test reports are read from
    flags_text: str | None = None  # a flag declaration file's text instead of the installed one
    inventory_factory: Callable[[], CommandInventory] | None = None

    @cached_property
    def revision(self) -> str | None:
        return self.git.revision()

    @cached_property
    def inventory(self) -> CommandInventory:
        if self.inventory_factory is not None:
            return self.inventory_factory()
        return CommandInventory(aurora=aurora_command(), nox_sessions=nox_sessions(self.repo_root))

    def declarations(self) -> tuple[FlagDeclaration, ...]:
        try:
            return load_declarations() if self.flags_text is None else load_declarations(self.flags_text)
        except ConfigError as error:
            raise CheckFailed(f"flag declarations refused: {error}") from None

    def require_revision(self) -> str:
        if self.revision is None:
            raise CheckFailed(
                "not a git work tree: the current revision is unknown", repo=str(self.repo_root)
            )
        return self.revision

    def safe_revision(self) -> str | None:
        """The revision for the report's header; a git that cannot answer gives None, not an error."""
        try:
            return self.revision
        except Exception:
            return None
