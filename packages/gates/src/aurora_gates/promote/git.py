"""The two questions the checklist asks git: which revision, and what changed since it."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from aurora_gates.registry import CheckFailed
from aurora_gates.runner import git_revision

__all__ = ["Git", "SubprocessGit"]


class Git(Protocol):
    """What the checklist needs of git (a fake stands in for it in tests)."""

    def revision(self) -> str | None: ...

    def changed(self, *pathspecs: str) -> list[str]:
        """Paths under ``pathspecs`` that differ from HEAD, untracked ones included."""
        ...


@dataclass(frozen=True)
class SubprocessGit:
    """The real git of the work tree at ``root``."""

    root: Path

    def revision(self) -> str | None:
        return git_revision(self.root)

    def _run(self, *args: str) -> str:
        try:
            out = subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True, check=True)
        except FileNotFoundError:
            raise CheckFailed(
                "git is not installed; cannot tell what changed since the last commit"
            ) from None
        except subprocess.CalledProcessError as error:
            raise CheckFailed(f"`git {' '.join(args)}` failed: {error.stderr.strip()}") from None
        return out.stdout

    def changed(self, *pathspecs: str) -> list[str]:
        diff = self._run("diff", "--name-only", "HEAD", "--", *pathspecs).splitlines()
        status = self._run("status", "--porcelain", "--untracked-files=all", "--", *pathspecs).splitlines()
        untracked = [line[3:] for line in status if line.startswith("??")]
        return sorted({p.strip() for p in [*diff, *untracked] if p.strip()})
