"""The team's project, seen from the gates: the directory whose goldens, docs and reports they judge.

Not ``aurora_e2d.core.paths.repo_root`` (where Aurora's own bundled snapshot
lives, found from the installed source first): a team's project is found from
the current directory first, by its ``noxfile.py`` and ``goldens/``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["MARKER", "project_root"]

MARKER = Path("goldens")


def project_root(start: Path | None = None) -> Path:
    """The nearest directory holding noxfile.py and goldens/, from cwd then this file."""
    for base in (start or Path.cwd(), Path(__file__).resolve()):
        for candidate in (base, *base.parents):
            if (candidate / "noxfile.py").is_file() and (candidate / MARKER).is_dir():
                return candidate
    raise FileNotFoundError("cannot find the Aurora repository (a directory with noxfile.py and goldens/)")
