"""The one-way dependency graph of docs/adr/0001 holds in pyprojects and imports."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

# Left depends on nothing of ours; each package may use only those to its left.
ORDER = ["safety", "broker", "router", "e2d", "gates"]


def _pyproject(root: Path, short: str) -> dict:
    return tomllib.loads((root / "packages" / short / "pyproject.toml").read_text())["project"]


def _local_deps(root: Path, short: str) -> set[str]:
    deps = set()
    for requirement in _pyproject(root, short).get("dependencies", []):
        name = requirement.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip()
        if name.startswith("aurora-"):
            deps.add(name.removeprefix("aurora-"))
    return deps


def _aurora_imports(src: Path) -> dict[str, set[str]]:
    """Map each imported aurora package to the files importing it."""
    found: dict[str, set[str]] = {}
    for path in src.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top.startswith("aurora_"):
                    found.setdefault(top.removeprefix("aurora_"), set()).add(path.name)
    return found


def test_every_package_of_the_design_exists(repo_root: Path) -> None:
    present = sorted(p.parent.name for p in (repo_root / "packages").glob("*/pyproject.toml"))
    assert present == sorted(ORDER)


@pytest.mark.parametrize("short", ORDER)
def test_package_is_separately_installable(repo_root: Path, short: str) -> None:
    meta = _pyproject(repo_root, short)
    assert meta["name"] == f"aurora-{short}"  # never a bare PyPI name (dependency confusion)
    assert meta["requires-python"] == ">=3.11"
    assert (repo_root / "packages" / short / "src" / f"aurora_{short}" / "__init__.py").is_file()
    assert (repo_root / "packages" / short / "tests").is_dir()


@pytest.mark.parametrize("short", ORDER)
def test_declared_dependencies_point_left(repo_root: Path, short: str) -> None:
    allowed = set(ORDER[: ORDER.index(short)])
    assert _local_deps(repo_root, short) <= allowed


@pytest.mark.parametrize("short", ORDER)
def test_imports_only_declared_aurora_packages(repo_root: Path, short: str) -> None:
    src = repo_root / "packages" / short / "src"
    declared = _local_deps(repo_root, short) | {short}
    undeclared = {pkg: files for pkg, files in _aurora_imports(src).items() if pkg not in declared}
    assert not undeclared, f"aurora_{short} imports undeclared aurora packages: {undeclared}"


def test_import_scanner_sees_a_violation(tmp_path: Path) -> None:
    """The scanner itself can fail: a right-pointing import is found."""
    (tmp_path / "mod.py").write_text("from aurora_gates.registry import x\nimport aurora_e2d.cli.app\n")
    assert set(_aurora_imports(tmp_path)) == {"gates", "e2d"}
