"""Which commands exist: the `aurora` command tree (e2d's plus every plugin's) and nox's sessions.

A runbook may name only commands from this inventory, so a renamed option or
session breaks the promotion checklist instead of an operator at 3 a.m.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import typer

from aurora_gates.registry import CheckFailed

__all__ = ["CommandInventory", "aurora_command", "nox_sessions", "nox_sessions_from_list"]


def aurora_command() -> Any:
    """The full `aurora` command tree: e2d's commands plus every plugin's, as typer builds it.

    Typer's command objects are used by duck type (``commands``, ``params``):
    typer vendors click privately, so its classes are not a stable import.
    """
    from aurora_e2d.cli import app

    scratch = typer.Typer()
    scratch.registered_commands = list(app.registered_commands)
    scratch.registered_groups = list(app.registered_groups)
    known = {c.name or c.callback.__name__ for c in app.registered_commands if c.callback is not None}
    plugin = typer.Typer()
    for ep in sorted(entry_points(group="aurora.commands"), key=lambda e: e.name):
        ep.load()(plugin)
    for command in plugin.registered_commands:
        name = command.name or (command.callback.__name__ if command.callback else None)
        if name not in known:  # already there when called inside the running `aurora`
            scratch.registered_commands.append(command)
    scratch.registered_groups += plugin.registered_groups
    return typer.main.get_command(scratch)


def nox_sessions_from_list(output: str) -> frozenset[str]:
    """Session names from `nox --list` (lines "* name -> doc" or "- name -> doc"), plus bare
    names of parametrized sessions (`unit` for `unit(package='e2d')`)."""
    names = {line[2:].split(" -> ")[0].strip() for line in output.splitlines() if line[:2] in {"* ", "- "}}
    return frozenset(names | {name.split("(")[0] for name in names})


def nox_sessions(root: Path) -> frozenset[str]:
    """The sessions of ``root``'s noxfile, asked of nox itself."""
    exe = shutil.which("nox")
    command = [exe] if exe is not None else [sys.executable, "-m", "nox"]
    try:
        out = subprocess.run(
            [*command, "--list", "--noxfile", str(root / "noxfile.py")],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        raise CheckFailed(f"cannot list nox sessions (`nox --list`): {error}") from None
    sessions = nox_sessions_from_list(out.stdout)
    if not sessions:
        raise CheckFailed("`nox --list` listed no sessions", output=out.stdout[-500:])
    return sessions


@dataclass(frozen=True)
class CommandInventory:
    """The commands that exist, to check a runbook's commands against."""

    aurora: Any  # the root command: a group with ``commands``; each command has ``params``
    nox_sessions: frozenset[str]

    def problem(self, tokens: Sequence[str]) -> str | None:
        """Why a command line (tokens from `aurora` or `nox` on) names something that does not exist."""
        if tokens[0] == "aurora":
            return self._aurora_problem(tokens[1:])
        return self._nox_problem(tokens[1:])

    def _aurora_problem(self, args: Sequence[str]) -> str | None:
        command = self.aurora
        path = ["aurora"]
        for arg in args:
            if arg.startswith("-") and not _is_number(arg):
                option = arg.split("=", 1)[0]
                if option not in _options(command):
                    return f"`{' '.join(path)}` has no option '{option}'"
                if option == "--help":
                    return None
                continue
            if _is_group(command):
                sub = command.commands.get(arg)
                if sub is None:
                    return f"`{' '.join(path)}` has no command '{arg}'"
                command = sub
                path.append(arg)
        if _is_group(command):
            return f"`{' '.join(path)}` is a command group, not a command"
        return None

    def _nox_problem(self, args: Sequence[str]) -> str | None:
        wanted: list[str] = []
        collecting = False
        for arg in args:
            if arg == "--":
                break
            if arg in {"-s", "-e", "--session", "--sessions"}:
                collecting = True
                continue
            if arg.startswith(("--session=", "--sessions=")):
                wanted.append(arg.split("=", 1)[1])
                continue
            if arg.startswith("-"):
                collecting = False
                continue
            if collecting:
                wanted.append(arg)
        missing = [name for name in wanted if name not in self.nox_sessions]
        if missing:
            return f"nox has no session {missing[0]!r} (sessions: {', '.join(sorted(self.nox_sessions))})"
        return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_group(command: Any) -> bool:
    return isinstance(getattr(command, "commands", None), Mapping)


def _options(command: Any) -> set[str]:
    names = {"--help"}
    for param in command.params:
        if param.param_type_name == "option":
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names
