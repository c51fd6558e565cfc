"""A config refused everywhere it is read: by ``load_config`` and by `aurora run`, in one line, writing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from aurora_e2d.cli.app import main
from aurora_e2d.rundir.config import load_config
from aurora_safety import ConfigError


def assert_config_refused(
    config: Path, message: str, run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``message`` (plus the file) from the loader and as the CLI's only line; exit 2; no run directory."""
    with pytest.raises(ConfigError) as refused:
        load_config(config)
    assert str(refused.value) == f"{message} ({config})"
    assert main(["run", "--config", str(config), "--run-dir", str(run_dir)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"aurora: error: {message} ({config})"]
    assert not run_dir.exists()
