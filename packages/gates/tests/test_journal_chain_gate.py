"""Drills for `journal_chain` (gate l0): a real run's journal edited, corrupted or unbound from its
manifest the way a forger or a failing disk would, each named with its session or SQLite's finding."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from aurora_gates import REGISTRY, CheckResult, GateContext, run_check


def check(run_dir: Path, repo_root: Path) -> CheckResult:
    from aurora_gates import runner

    runner._load_checks()
    return run_check(REGISTRY.get("journal_chain"), GateContext(repo_root=repo_root, run_dir=run_dir))


def _sql(run_dir: Path, statement: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(run_dir / "journal.sqlite")
    try:
        rows = conn.execute(statement, params).fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()


def test_passes_on_the_real_run_and_the_manifest_holds_the_head(real_run: Path, repo_root: Path) -> None:
    result = check(real_run, repo_root)
    assert result.passed, result.reason
    manifest = json.loads((real_run / "manifest.json").read_text())
    assert manifest["format_version"] == 2
    assert manifest["journal"]["format_version"] == 3
    assert manifest["journal"]["chain_head"]["sha256"] == result.evidence["chain_head"]["sha256"]


def test_an_edited_past_fill_is_named_by_its_session(run_copy: Path, repo_root: Path) -> None:
    sessions = [r[0] for r in _sql(run_copy, "SELECT DISTINCT session FROM fills ORDER BY session")]
    target = sessions[len(sessions) // 2]
    _sql(run_copy, "UPDATE fills SET price = price * 2 WHERE session = ?", (target,))
    result = check(run_copy, repo_root)
    assert not result.passed
    assert f"session {target} does not match its checkpoint digest" in result.reason


def test_a_rewritten_chain_head_in_the_manifest_fails(run_copy: Path, repo_root: Path) -> None:
    path = run_copy / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["journal"]["chain_head"]["sha256"] = "0" * 64
    path.write_text(json.dumps(manifest))
    result = check(run_copy, repo_root)
    assert not result.passed
    assert "not derived from this journal" in result.reason


def test_a_manifest_without_a_chain_head_names_the_migration(run_copy: Path, repo_root: Path) -> None:
    path = run_copy / "manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["journal"], manifest["format_version"]
    path.write_text(json.dumps(manifest))
    result = check(run_copy, repo_root)
    assert not result.passed
    assert "run directory format 1 predates the journal chain" in result.reason
    assert f"aurora migrate --run-dir {run_copy}" in result.reason


def test_a_flipped_index_byte_is_named_by_sqlite(run_copy: Path, repo_root: Path) -> None:
    # the first leaf of the orders' unique index: flip a bit in its last cell's key text
    root, size = _sql(run_copy, "SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_master"
                      " WHERE name = 'sqlite_autoindex_orders_1'")[0]  # fmt: skip
    path = run_copy / "journal.sqlite"
    data = bytearray(path.read_bytes())
    data[(root - 1) * size + size - 4] ^= 0x01
    path.write_bytes(bytes(data))
    result = check(run_copy, repo_root)
    assert not result.passed
    assert "journal is corrupt (SQLite integrity_check:" in result.reason
