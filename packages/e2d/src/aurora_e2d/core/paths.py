"""Locate the repository and its pinned snapshot without relying on the cwd alone.

An editable install runs from the source tree, so walking up from this file
finds the repo; a wheel install (or a test in a temp dir) falls back to the cwd.
"""

from __future__ import annotations

from pathlib import Path

from aurora_e2d.core.errors import InputError

__all__ = ["LOCK_NAME", "SNAPSHOT_RELPATH", "check_snapshot_dir", "repo_root", "snapshot_dir"]

SNAPSHOT_RELPATH = Path("goldens") / "snapshot"
LOCK_NAME = "snapshot.lock.json"


def _find_up(start: Path) -> Path | None:
    for candidate in (start, *start.parents):
        if (candidate / SNAPSHOT_RELPATH / LOCK_NAME).is_file():
            return candidate
    return None


def repo_root() -> Path:
    """The directory holding ``goldens/snapshot/snapshot.lock.json``; ``InputError`` if none."""
    here = Path(__file__).resolve().parent
    cwd = Path.cwd().resolve()
    for start in (here, cwd):
        found = _find_up(start)
        if found is not None:
            return found
    raise InputError(
        str(SNAPSHOT_RELPATH / LOCK_NAME), f"not found above {here} or {cwd}; run from the Aurora repository"
    )


def snapshot_dir() -> Path:
    """``goldens/snapshot`` of the repository."""
    return repo_root() / SNAPSHOT_RELPATH


def check_snapshot_dir(directory: Path) -> None:
    """One line naming a snapshot directory that is missing or holds no lock, before anything loads
    (`run`, `advance` and stage 1 say the same thing for the same mistake)."""
    if not directory.is_dir():
        raise InputError(
            str(directory),
            "snapshot directory is missing (no such directory); make one with `aurora data import`",
        )
    if not (directory / LOCK_NAME).is_file():
        raise InputError(
            str(directory), f"holds no snapshot ({LOCK_NAME} is missing); make one with `aurora data import`"
        )


def aurora_executable() -> str | None:
    """The ``aurora`` console script beside this interpreter (its environment), else on PATH, else None."""
    import shutil
    import sys

    return shutil.which("aurora", path=str(Path(sys.executable).parent)) or shutil.which("aurora")
