"""Issue 18's flipped byte: a journal whose index no longer matches its table is refused by every
command that believes it, with one line naming the file and SQLite's finding (the real console script
on a copy of the previous release's run directory; no pipeline run needed)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from _runs import REPO_ROOT, aurora
from aurora_broker.testing import flip_index_byte

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "releases" / "cd38524-run"


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """A completed run whose orders index lost a row: SQLite's quick_check passes it, integrity_check not."""
    run_dir = tmp_path_factory.mktemp("damaged") / "run"
    shutil.copytree(FIXTURE, run_dir)
    path = run_dir / "journal.sqlite"
    flip_index_byte(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]  # the case quick_check misses
    assert "missing from index sqlite_autoindex_orders_1" in str(
        conn.execute("PRAGMA integrity_check").fetchall()
    )
    conn.close()
    return run_dir, path.read_bytes()


@pytest.mark.parametrize(
    "command",
    [
        ("status",),
        ("resume",),
        ("report",),
        ("migrate",),
        ("advance", "--snapshot", str(REPO_ROOT / "goldens" / "snapshot")),
    ],
)
def test_every_believing_command_refuses_it_in_one_line(
    damaged: tuple[Path, bytes], command: tuple[str, ...]
) -> None:
    run_dir, before = damaged
    result = aurora(command[0], "--run-dir", run_dir, *command[1:])
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"aurora: error: {run_dir / 'journal.sqlite'}: journal is corrupt")
    assert "missing from index sqlite_autoindex_orders_1" in result.stderr
    assert "Traceback" not in result.stderr
    assert (run_dir / "journal.sqlite").read_bytes() == before
