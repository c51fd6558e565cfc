"""`aurora promote`: the promotion checklist, each item checked from real files.

Every item states what it checked and the evidence that decided it; an item
that cannot run (no git, no nox, an unreadable report) fails. The checklist
writes `reports/promotion.md` for people and `reports/promotion.json` for
machines, and passes only if every item passes.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

import typer
from rich.console import Console
from rich.table import Table

from aurora_e2d.artifacts import atomic_write_bytes
from aurora_gates.ratchet import GOLDENS
from aurora_gates.registry import Check, CheckFailed, CheckResult, GateContext, Level, run_check
from aurora_gates.runner import git_revision
from aurora_safety import ConfigError, FlagDeclaration, FlagStatus, load_declarations, missing_adrs

__all__ = [
    "REPORT_JSON",
    "REPORT_MD",
    "RUNBOOKS",
    "CommandInventory",
    "Git",
    "PromotionReport",
    "SubprocessGit",
    "extract_commands",
    "nox_sessions_from_list",
    "run_checklist",
]

REPORTS = Path("reports")
REPORT_JSON = REPORTS / "promotion.json"
REPORT_MD = REPORTS / "promotion.md"
ROLLBACK_REPORT = REPORTS / "rollback-test.json"
GATE_REPORTS = {"l0": REPORTS / "gate-l0.json", "l1": REPORTS / "gate-l1.json"}
RUNBOOK_DIR = Path("docs") / "runbooks"
# What each runbook covers -> its file. Each must exist and name only real commands.
RUNBOOKS = {
    "kill switch": "kill-switch.md",
    "circuit-breaker trip and reset": "circuit-breaker.md",
    "crash recovery and resume": "crash-recovery.md",
    "rollback": "rollback.md",
    "promotion": "promotion.md",
    "performance regression": "performance-regression.md",
}
# Every runbook says how to see the problem, confirm it, check the fix and undo it.
RUNBOOK_SECTIONS = ("symptom", "confirm", "verify", "undo")
ADR_DIR = Path("docs") / "adr"
ADR_TEMPLATE = "0000-template.md"
_ENV_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*")
_SEPARATORS = frozenset({"&&", "||", "|", ";", "&"})
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")


class Git(Protocol):
    """The two questions the checklist asks git (a fake stands in for it in tests)."""

    def revision(self) -> str | None: ...

    def changed(self, *pathspecs: str) -> list[str]:
        """Paths under ``pathspecs`` that differ from HEAD, untracked ones included."""
        ...


@dataclass(frozen=True)
class SubprocessGit:
    root: Path

    def revision(self) -> str | None:
        return git_revision(self.root)

    def _run(self, *args: str) -> str:
        try:
            out = subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True, check=True)
        except FileNotFoundError:
            raise CheckFailed(
                "git is not installed; cannot tell what changed since the last commit"
            ) from None
        except subprocess.CalledProcessError as error:
            raise CheckFailed(f"`git {' '.join(args)}` failed: {error.stderr.strip()}") from None
        return out.stdout

    def changed(self, *pathspecs: str) -> list[str]:
        diff = self._run("diff", "--name-only", "HEAD", "--", *pathspecs).splitlines()
        status = self._run("status", "--porcelain", "--untracked-files=all", "--", *pathspecs).splitlines()
        untracked = [line[3:] for line in status if line.startswith("??")]
        return sorted({p.strip() for p in [*diff, *untracked] if p.strip()})


# --- what commands exist -------------------------------------------------------------------


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


# --- runbooks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunbookCommand:
    line: int  # 1-based line in the runbook
    tokens: tuple[str, ...]  # from `aurora` or `nox` on, environment assignments dropped

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


def extract_commands(markdown: str) -> list[RunbookCommand]:
    """Every `aurora …` and `nox …` command in the fenced code blocks of a markdown text.

    Comments, leading ``VAR=value`` assignments and other programs are skipped;
    ``a && b``, ``a; b`` and pipes are split into their commands.
    """
    found: list[RunbookCommand] = []
    fenced = False
    pending = ""
    for number, raw in enumerate(markdown.splitlines(), start=1):
        if _FENCE.match(raw):
            fenced, pending = not fenced, ""
            continue
        if not fenced:
            continue
        line = pending + raw
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1] + " "
            continue
        pending = ""
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:
            tokens = line.split()
        for segment in _segments(tokens):
            while segment and _ENV_ASSIGNMENT.fullmatch(segment[0]):
                segment = segment[1:]
            if segment and segment[0] in {"aurora", "nox"}:
                found.append(RunbookCommand(number, tuple(segment)))
    return found


def _segments(tokens: Iterable[str]) -> list[list[str]]:
    segments: list[list[str]] = [[]]
    for token in tokens:
        if token in _SEPARATORS:
            segments.append([])
        elif token.endswith(";"):
            segments[-1].append(token[:-1])
            segments.append([])
        else:
            segments[-1].append(token)
    return [s for s in segments if s]


def _headings(markdown: str) -> list[str]:
    return [m.group(1).strip().lower() for line in markdown.splitlines() if (m := _HEADING.match(line))]


# --- the checklist -----------------------------------------------------------------------------


@dataclass
class PromotionInputs:
    """Everything the items look at; the defaults ask the real repository."""

    repo_root: Path
    git: Git
    flags_text: str | None = None  # a flag declaration file's text instead of the installed one
    inventory_factory: Callable[[], CommandInventory] | None = None

    @cached_property
    def revision(self) -> str | None:
        return self.git.revision()

    @cached_property
    def inventory(self) -> CommandInventory:
        if self.inventory_factory is not None:
            return self.inventory_factory()
        return CommandInventory(aurora=aurora_command(), nox_sessions=nox_sessions(self.repo_root))

    def declarations(self) -> tuple[FlagDeclaration, ...]:
        try:
            return load_declarations() if self.flags_text is None else load_declarations(self.flags_text)
        except ConfigError as error:
            raise CheckFailed(f"flag declarations refused: {error}") from None

    def require_revision(self) -> str:
        if self.revision is None:
            raise CheckFailed(
                "not a git work tree: the current revision is unknown", repo=str(self.repo_root)
            )
        return self.revision


def flags_item(inputs: PromotionInputs) -> dict[str, Any]:
    declarations = inputs.declarations()
    if not declarations:
        raise CheckFailed("no flags are declared: nothing to check (the declaration file is empty)")
    on = [d.name for d in declarations if d.default is not False]
    if on:
        raise CheckFailed(f"flag '{on[0]}' does not default off", flags=on)
    missing = missing_adrs(inputs.repo_root, declarations)
    if missing:
        raise CheckFailed(
            f"flag '{missing[0].name}': ADR {missing[0].adr} does not exist",
            missing={d.name: d.adr for d in missing},
        )
    return {d.name: {"default": d.default, "status": str(d.status), "adr": d.adr} for d in declarations}


def _read_report(path: Path, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise CheckFailed(f"{what} report {path} does not exist", report=str(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise CheckFailed(f"{what} report {path} is not valid JSON: {error}", report=str(path)) from None
    if not isinstance(data, dict):
        raise CheckFailed(f"{what} report {path} is not a JSON object", report=str(path))
    return data


def _same_revision(data: Mapping[str, Any], revision: str, what: str, path: Path) -> None:
    if data.get("revision") != revision:
        raise CheckFailed(
            f"{what} report is for revision {data.get('revision')!r}, not the current {revision!r}",
            report=str(path),
            report_revision=data.get("revision"),
            current_revision=revision,
        )


def rollback_item(inputs: PromotionInputs) -> dict[str, Any]:
    revision = inputs.require_revision()
    path = inputs.repo_root / ROLLBACK_REPORT
    data = _read_report(path, "rollback-test")
    _same_revision(data, revision, "rollback-test", path)
    if data.get("passed") is not True:
        failed = [v for v in data.get("verdicts", []) if isinstance(v, Mapping) and not v.get("passed")]
        raise CheckFailed(
            "rollback-test did not pass"
            + (f": {failed[0].get('reason')}" if failed else f" (passed={data.get('passed')!r})"),
            report=str(path),
        )
    active = sorted(d.name for d in inputs.declarations() if d.status is FlagStatus.ACTIVE)
    tested = sorted(data.get("flags", []))
    if tested != active:
        raise CheckFailed(
            "rollback-test did not cover exactly the active flags",
            report=str(path),
            tested=tested,
            active=active,
        )
    return {
        "report": str(path),
        "revision": revision,
        "flags": tested,
        "verdicts": len(data.get("verdicts", [])),
    }


def gate_item(level: str) -> Callable[[PromotionInputs], dict[str, Any]]:
    def item(inputs: PromotionInputs) -> dict[str, Any]:
        revision = inputs.require_revision()
        path = inputs.repo_root / GATE_REPORTS[level]
        data = _read_report(path, f"gate {level}")
        if data.get("level") != level:
            raise CheckFailed(
                f"{path} is a report of level {data.get('level')!r}, not {level!r}", report=str(path)
            )
        _same_revision(data, revision, f"gate {level}", path)
        checks = data.get("checks")
        if not isinstance(checks, list) or not checks:
            raise CheckFailed(f"gate {level} report has no checks: it proves nothing", report=str(path))
        failed = [c.get("name") for c in checks if not (isinstance(c, Mapping) and c.get("passed") is True)]
        if data.get("passed") is not True or failed:
            raise CheckFailed(f"gate {level} did not pass", report=str(path), failed_checks=failed)
        return {"report": str(path), "revision": revision, "checks": [c["name"] for c in checks]}

    return item


def runbook_item(topic: str, filename: str) -> Callable[[PromotionInputs], dict[str, Any]]:
    def item(inputs: PromotionInputs) -> dict[str, Any]:
        rel = RUNBOOK_DIR / filename
        path = inputs.repo_root / rel
        if not path.is_file():
            raise CheckFailed(f"runbook {rel} ({topic}) does not exist", runbook=str(rel))
        text = path.read_text(encoding="utf-8")
        headings = _headings(text)
        absent = [s for s in RUNBOOK_SECTIONS if not any(s in h for h in headings)]
        if absent:
            raise CheckFailed(
                f"runbook {rel} has no '{absent[0]}' section",
                runbook=str(rel),
                missing=absent,
                headings=headings,
            )
        commands = extract_commands(text)
        if not commands:
            raise CheckFailed(
                f"runbook {rel} names no `aurora` or `nox` command in a code block", runbook=str(rel)
            )
        inventory = inputs.inventory
        for command in commands:
            problem = inventory.problem(command.tokens)
            if problem is not None:
                raise CheckFailed(
                    f"runbook {rel}:{command.line}: {problem}",
                    runbook=str(rel),
                    line=command.line,
                    command=command.text,
                )
        return {
            "runbook": str(rel),
            "sections": list(RUNBOOK_SECTIONS),
            "commands": [c.text for c in commands],
        }

    return item


def goldens_item(inputs: PromotionInputs) -> dict[str, Any]:
    goldens_dir = str(GOLDENS.parent)
    goldens = inputs.git.changed(goldens_dir)
    if not goldens:
        return {"goldens_changed": [], "note": "goldens unchanged since the last commit"}
    adrs = [p for p in inputs.git.changed(str(ADR_DIR)) if p.endswith(".md") and not p.endswith(ADR_TEMPLATE)]
    if not adrs:
        raise CheckFailed(
            f"goldens changed since the last commit without a new or changed ADR under {ADR_DIR}/",
            goldens_changed=goldens,
        )
    return {"goldens_changed": goldens, "adrs_changed": adrs}


ITEMS: tuple[tuple[str, str, Callable[[PromotionInputs], Mapping[str, Any]]], ...] = (
    ("flags", "Every declared flag defaults off and its ADR exists.", flags_item),
    (
        "rollback_test",
        f"{ROLLBACK_REPORT} exists, passed, covers every active flag, and is for the current git revision.",
        rollback_item,
    ),
    (
        "gate_l0",
        f"{GATE_REPORTS['l0']} exists for the current revision and every check passed.",
        gate_item("l0"),
    ),
    (
        "gate_l1",
        f"{GATE_REPORTS['l1']} exists for the current revision and every check passed.",
        gate_item("l1"),
    ),
    *(
        (
            f"runbook:{filename.removesuffix('.md')}",
            f"The {topic} runbook exists with symptom/confirm/verify/undo, and its commands exist.",
            runbook_item(topic, filename),
        )
        for topic, filename in RUNBOOKS.items()
    ),
    (
        "goldens",
        "goldens/ is unchanged since the last commit, or changed together with a new or changed ADR.",
        goldens_item,
    ),
)


@dataclass(frozen=True)
class PromotionReport:
    revision: str | None
    results: Sequence[CheckResult] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "passed": self.passed,
            "items": [r.as_dict() for r in self.results],
        }

    def markdown(self) -> str:
        verdict = "PASSED" if self.passed else "FAILED"
        lines = [
            "# Promotion checklist",
            "",
            f"- revision: `{self.revision}`",
            f"- verdict: **{verdict}** ({sum(r.passed for r in self.results)}/{len(self.results)} items pass)",
            "",
            "| item | result | what it checked |",
            "|---|---|---|",
        ]
        lines += [
            f"| {r.name} | {'pass' if r.passed else '**FAIL**'} | {r.statement} |" for r in self.results
        ]
        for r in self.results:
            lines += ["", f"## {r.name}: {'pass' if r.passed else 'FAIL'}", "", r.statement, ""]
            if not r.passed:
                lines += [f"Reason: {r.reason}", ""]
            evidence = json.dumps(dict(r.evidence), indent=2, sort_keys=True, default=str)
            lines += ["Evidence:", "", "```json", evidence, "```"]
        return "\n".join(lines) + "\n"

    def write(self, json_path: Path, markdown_path: Path) -> None:
        for path, text in (
            (json_path, json.dumps(self.as_dict(), indent=2, sort_keys=True, default=str) + "\n"),
            (markdown_path, self.markdown()),
        ):
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, text.encode())

    def print_table(self, console: Console) -> None:
        table = Table(title=f"promotion checklist (revision {self.revision})")
        for column in ("item", "result", "checked / reason"):
            table.add_column(column)
        for r in self.results:
            verdict = "[green]pass[/green]" if r.passed else "[bold red]FAIL[/bold red]"
            table.add_row(r.name, verdict, r.statement if r.passed else r.reason)
        console.print(table)
        console.print(f"promotion: {'PASSED' if self.passed else 'FAILED'}")


def run_checklist(
    repo_root: Path,
    *,
    git: Git | None = None,
    flags_text: str | None = None,
    inventory_factory: Callable[[], CommandInventory] | None = None,
) -> PromotionReport:
    inputs = PromotionInputs(repo_root, git or SubprocessGit(repo_root), flags_text, inventory_factory)
    context = GateContext(repo_root=repo_root)
    results = [
        run_check(Check(name, Level.L2, statement, lambda _ctx, fn=fn: fn(inputs)), context)
        for name, statement, fn in ITEMS
    ]
    return PromotionReport(_safe_revision(inputs), tuple(results))


def _safe_revision(inputs: PromotionInputs) -> str | None:
    try:
        return inputs.revision
    except Exception:
        return None
