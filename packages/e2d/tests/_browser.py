"""Headless Chromium for the tests that open report.html (the report's and the blessing's)."""

from __future__ import annotations

import subprocess
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """One headless Chromium on a new, empty profile; console messages go to stderr."""
    profile.mkdir(parents=True)
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def console_problems(stderr: str) -> list[str]:
    """Every page console line (Chromium logs them all as CONSOLE) and every uncaught exception."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
