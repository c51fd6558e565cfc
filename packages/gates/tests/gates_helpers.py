"""Helpers the gate tests import by name.

Not in conftest.py: `nox -s l1` collects every package's tests in one pytest
run, where ``from conftest import ...`` finds whichever package's conftest
came first (safety's has none of these names).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

__all__ = ["REPO_ROOT", "aurora_exe", "clean_env"]

REPO_ROOT = Path(__file__).resolve().parents[3]


def aurora_exe() -> str:
    exe = shutil.which("aurora", path=str(Path(sys.executable).parent))
    assert exe is not None, "the aurora console script is not installed in this environment"
    return exe


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURORA_")}
    env.update(extra)
    return env
