"""Only the governor writes trading state or the breaker board; only the router acts on a kill.

``aurora_safety.TradingGovernor`` holds the state machine and the board
privately and hands out read-only views. This scan of every package's source
fails when a module builds its own state machine, board or breaker (which it
could then move), reaches into the governor's private attributes, calls the
state machine's ``transition``, writes trading state or the board to the
journal itself, or halts for a kill anywhere but the router's one kill
procedure. The journal sink in the router is the governor's listener: it
records what the governor decided, so it may write those events.
"""

from __future__ import annotations

import ast
from pathlib import Path

# The modules that are the governor, or the parts it owns.
OWNERS = {
    "safety/src/aurora_safety/governor.py",
    "safety/src/aurora_safety/board.py",
    "safety/src/aurora_safety/breakers.py",
    "safety/src/aurora_safety/_breaker.py",
    "safety/src/aurora_safety/state.py",
    "safety/src/aurora_safety/standing.py",
    "safety/src/aurora_safety/views.py",
}
BUILT_ONLY_BY_THE_GOVERNOR = {
    "TradingStateMachine",
    "BreakerBoard",
    "DrawdownBreaker",
    "DailyLossBreaker",
    "ConsecutiveRejectsBreaker",
    "RateBreaker",
}
PRIVATE = {"_board", "_machine", "_listeners", "_effective"}
# journal writes of trading state and breakers: the governor (through its BoardStore) and its listener
JOURNAL_WRITES = {"save_breaker_state", "record_state_change", "record_breaker_event"}
JOURNAL_WRITERS = {"safety/src/aurora_safety/governor.py", "router/src/aurora_router/results.py"}
KILL_HALT_AT = {"router/src/aurora_router/router.py"}


def _called(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def offences(path: Path, where: str) -> list[str]:
    """What ``path`` (shown as ``where``, relative to packages/) does that only the governor may."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in PRIVATE and where not in OWNERS:
            found.append(f"{where}:{node.lineno}: reaches into the governor ({node.attr})")
        if not isinstance(node, ast.Call):
            continue
        name = _called(node)
        func = node.func
        owner = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
        if where in OWNERS:
            continue
        if name in BUILT_ONLY_BY_THE_GOVERNOR or owner.split(".")[-1] in BUILT_ONLY_BY_THE_GOVERNOR:
            found.append(f"{where}:{node.lineno}: builds {ast.unparse(func)} (only the governor holds one)")
        elif name == "transition":
            found.append(f"{where}:{node.lineno}: moves a state machine ({ast.unparse(func)})")
        elif name in JOURNAL_WRITES and where not in JOURNAL_WRITERS:
            found.append(f"{where}:{node.lineno}: writes {name} itself (the governor persists)")
        elif name == "halt_for_kill" and where not in KILL_HALT_AT:
            found.append(f"{where}:{node.lineno}: halts for a kill (Router.enforce_kill is the one place)")
    return sorted(found, key=lambda line: int(line.split(":")[1]))


def test_nothing_but_the_governor_writes_trading_state_or_the_board(repo_root: Path) -> None:
    packages = repo_root / "packages"
    found = []
    for path in sorted(packages.glob("*/src/**/*.py")):
        found += offences(path, path.relative_to(packages).as_posix())
    assert found == []


def test_the_scan_finds_each_kind_of_write(tmp_path: Path) -> None:
    module = tmp_path / "loop.py"
    module.write_text(
        "board = BreakerBoard.from_limits(limits)\n"
        "machine = aurora_safety.TradingStateMachine()\n"
        "machine.transition(HALTED, 'x', 0)\n"
        "governor._board.drawdown.reset('x', 0)\n"
        "journal.save_breaker_state(board.to_dict())\n"
        "governor.halt_for_kill('file:k', 0)\n"
        "governor.reset_breaker('drawdown', 'ok', 0, journal)\n"  # the governor's own door: fine
    )
    assert offences(module, "e2d/src/aurora_e2d/engine/loop.py") == [
        "e2d/src/aurora_e2d/engine/loop.py:1: builds BreakerBoard.from_limits (only the governor holds one)",
        "e2d/src/aurora_e2d/engine/loop.py:2: builds aurora_safety.TradingStateMachine (only the governor holds one)",
        "e2d/src/aurora_e2d/engine/loop.py:3: moves a state machine (machine.transition)",
        "e2d/src/aurora_e2d/engine/loop.py:4: reaches into the governor (_board)",
        "e2d/src/aurora_e2d/engine/loop.py:5: writes save_breaker_state itself (the governor persists)",
        "e2d/src/aurora_e2d/engine/loop.py:6: halts for a kill (Router.enforce_kill is the one place)",
    ]
    assert offences(module, "safety/src/aurora_safety/governor.py") == []
