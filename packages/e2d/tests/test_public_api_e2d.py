"""e2d's surface: its rooms, their public names, and the order they may import each other in.

The import direction itself is an import-linter contract (`.importlinter`,
checked by `nox -s lint`); these tests keep the rooms and the contract
describing the same house, and every declared public name importable.
"""

from __future__ import annotations

import ast
import configparser
import importlib
from pathlib import Path

import pytest

import aurora_e2d
from _runs import REPO_ROOT

SRC = Path(aurora_e2d.__file__).parent
# Bottom first: each room may import only those before it.
ROOMS = ["core", "rundir", "data", "research", "engine", "report", "run", "blessing", "cli"]
LOOSE = {"__init__.py", "launch.py", "testkit.py"}  # the entry point, test support shipped with the package


def _contract_layers(repo_root: Path) -> list[str]:
    parser = configparser.ConfigParser()
    parser.read(repo_root / ".importlinter")
    layers = parser["importlinter:contract:e2d-rooms"]["layers"]
    return [line.strip() for line in layers.splitlines() if line.strip()]


def test_the_package_is_its_rooms_and_nothing_loose() -> None:
    rooms = sorted(p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").is_file())
    assert rooms == sorted(ROOMS)
    loose = {p.name for p in SRC.glob("*.py")}
    assert loose == LOOSE, f"modules outside any room: {sorted(loose - LOOSE)}"


def test_the_import_contract_lists_every_room_in_order() -> None:
    assert _contract_layers(REPO_ROOT) == list(reversed(ROOMS))


@pytest.mark.parametrize("room", [r for r in ROOMS if (SRC / r / "__init__.pyi").is_file()])
def test_every_public_name_of_a_room_resolves_once(room: str) -> None:
    module = importlib.import_module(f"aurora_e2d.{room}")
    names = list(module.__all__)
    assert names
    assert len(set(names)) == len(names)
    for name in names:
        assert getattr(module, name) is not None, f"aurora_e2d.{room}.{name}"


def test_no_room_reaches_upward_even_lazily() -> None:
    """Function-level imports count too: import-linter sees them, and so does this scan."""
    order = {room: i for i, room in enumerate(ROOMS)}
    upward: list[str] = []
    for room in ROOMS:
        for path in (SRC / room).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("aurora_e2d."):
                    target = node.module.split(".")[1]
                    if target in order and order[target] > order[room]:
                        upward.append(f"{path.relative_to(SRC)} imports {node.module}")
    assert not upward, upward
