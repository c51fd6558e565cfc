"""Where the repository (goldens, docs, ci) is, seen from the gates."""

from __future__ import annotations

from pathlib import Path

MARKER = Path("goldens")


def repo_root(start: Path | None = None) -> Path:
    """The nearest directory holding noxfile.py and goldens/, from cwd then this file."""
    for base in (start or Path.cwd(), Path(__file__).resolve()):
        for candidate in (base, *base.parents):
            if (candidate / "noxfile.py").is_file() and (candidate / MARKER).is_dir():
                return candidate
    raise FileNotFoundError("cannot find the Aurora repository (a directory with noxfile.py and goldens/)")
