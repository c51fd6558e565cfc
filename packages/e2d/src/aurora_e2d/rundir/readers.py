"""Readers of a run directory's frozen config: one place decides what a readable run config is.

The manifest's reader is ``rundir.manifest.read_manifest``; the summary's is
``report.summary``'s, which writes it.
"""

from __future__ import annotations

import json
from pathlib import Path

from aurora_e2d.core.errors import InputError
from aurora_e2d.rundir.config import RunConfig, validate_config
from aurora_e2d.rundir.layout import CONFIG_FILE

__all__ = ["load_run_config", "read_frozen"]


def read_frozen(path: Path) -> dict:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        saved["run_id"], saved["config"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(str(path), f"unreadable run config ({type(error).__name__})") from None
    return saved


def load_run_config(run_dir: Path) -> RunConfig:
    """The config a run directory was created with (for resume and status)."""
    frozen = run_dir / CONFIG_FILE
    if not frozen.is_file():
        raise InputError(str(run_dir), "not an Aurora run directory (no config.json)")
    from aurora_e2d.rundir.runformat import check_run_format

    saved = read_frozen(frozen)
    check_run_format(run_dir, saved)  # a directory of a newer Aurora is refused, not misread
    return validate_config(saved["config"], str(frozen))
