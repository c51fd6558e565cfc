"""gates adds `aurora gate` to the e2d CLI through an entry point (e2d never imports gates)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


def test_gate_command_is_registered_and_documented(tmp_path: Path) -> None:
    aurora = shutil.which("aurora", path=str(Path(sys.executable).parent))
    assert aurora is not None
    result = subprocess.run(
        [aurora, "gate", "--help"], cwd=tmp_path, capture_output=True, text=True, env=dict(os.environ)
    )
    assert result.returncode == 0, result.stderr
    for text in ("l0", "--run-dir", "--json"):
        assert text in result.stdout


def test_gate_on_a_missing_run_dir_fails_with_exit_1_and_json(tmp_path: Path, repo_root: Path) -> None:
    aurora = shutil.which("aurora", path=str(Path(sys.executable).parent))
    assert aurora is not None
    out = tmp_path / "l0.json"
    result = subprocess.run(
        [aurora, "gate", "l0", "--run-dir", str(tmp_path / "absent"), "--json", str(out)],
        cwd=repo_root,
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(out.read_text())
    assert report["passed"] is False
    assert report["checks"], "an l0 gate must have checks"
    assert all(not check["passed"] for check in report["checks"] if check["name"] != "flags")


def test_unknown_level_is_a_usage_error(tmp_path: Path) -> None:
    aurora = shutil.which("aurora", path=str(Path(sys.executable).parent))
    assert aurora is not None
    result = subprocess.run([aurora, "gate", "l9"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
