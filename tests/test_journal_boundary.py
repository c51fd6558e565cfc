"""No module outside aurora_broker talks SQL to the journal: they read it through JournalReader.

The journal's schema is the broker's private business; a report or status
module with its own SELECT would break silently on the next schema change.
Tests may read the journal with SQL (they check the broker from outside);
source modules may not.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SQL = re.compile(
    r"^\s*(SELECT\s.+\sFROM\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|CREATE\s+(TABLE|INDEX)\s|PRAGMA\s)",
    re.DOTALL,
)


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(n == "sqlite3" or n.startswith("sqlite3.") for n in names):
                found.append(f"{path}:{node.lineno}: imports sqlite3")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
            found.append(f"{path}:{node.lineno}: SQL {node.value.strip()[:40]!r}")
        elif isinstance(node, ast.Attribute) and node.attr in {"query", "execute"}:
            owner = ast.unparse(node.value)
            if "journal" in owner.lower():
                found.append(f"{path}:{node.lineno}: {owner}.{node.attr}(...) on the journal")
    return found


def test_only_the_broker_speaks_sql(repo_root: Path) -> None:
    offences = []
    for package in sorted((repo_root / "packages").iterdir()):
        if package.name == "broker" or not (package / "src").is_dir():
            continue
        for path in sorted((package / "src").rglob("*.py")):
            offences += _offences(path)
    assert offences == []


def test_the_check_finds_a_select(tmp_path: Path) -> None:
    module = tmp_path / "status.py"
    module.write_text('import sqlite3\nrows = journal.query("SELECT 1 FROM orders")\n')
    assert _offences(module) == [
        f"{module}:1: imports sqlite3",
        f"{module}:2: journal.query(...) on the journal",
        f"{module}:2: SQL 'SELECT 1 FROM orders'",
    ]
