"""Pre-commit hook: refuse unsafe defaults before they reach a commit.

Blocks, with one line per finding naming file, field and value:
- a feature flag that defaults to true, has no ADR file, or reuses a name
  (a retired flag's name can never come back: Knight Capital, 2012);
- a risk-limit default that is missing, zero, negative, infinite or NaN;
- code outside aurora_safety that reads AURORA_KILL, AURORA_KILL_FILE,
  AURORA_ROLLBACK or AURORA_FLAG_* directly (safety's env module owns them).

Standard library only, so the hook needs no environment of its own.
Usage: python tools/unsafe_defaults.py [--root DIR] [FILES...]
"""

from __future__ import annotations

import argparse
import ast
import math
import sys
import tomllib
from pathlib import Path

FLAGS_FILE = Path("packages/safety/src/aurora_safety/flags.toml")
LIMITS_FILE = Path("packages/safety/src/aurora_safety/config.py")
LIMITS_CLASS = "Limits"
SAFETY_SRC = Path("packages/safety/src/aurora_safety")
GUARDED_PREFIXES = ("AURORA_KILL", "AURORA_ROLLBACK", "AURORA_FLAG_")
EXCLUDED_DIRS = {".git", ".nox", "mutants", ".venv", "build", "dist", "__pycache__"}


def check_flags(root: Path) -> list[str]:
    path = root / FLAGS_FILE
    if not path.is_file():
        return [f"{FLAGS_FILE}: flag declaration file is missing"]
    try:
        declared = tomllib.loads(path.read_text(encoding="utf-8")).get("flag", [])
    except tomllib.TOMLDecodeError as error:
        return [f"{FLAGS_FILE}: not valid TOML: {error}"]
    problems: list[str] = []
    seen: dict[str, str] = {}
    for index, flag in enumerate(declared):
        name = flag.get("name", f"<flag #{index}>")
        where = f"{FLAGS_FILE}: flag '{name}'"
        if name in seen:
            problems.append(f"{where}: name already declared ({seen[name]}); a flag name is never reused")
        seen.setdefault(name, flag.get("status", "?"))
        if flag.get("default") is not False:
            problems.append(f"{where}: 'default' must be false, was {flag.get('default')!r}")
        adr = flag.get("adr")
        if not isinstance(adr, str) or not adr.startswith("docs/adr/"):
            problems.append(f"{where}: 'adr' must be a path under docs/adr/, was {adr!r}")
        elif not (root / adr).is_file():
            problems.append(f"{where}: ADR file {adr} does not exist")
        if flag.get("status") not in {"active", "retired"}:
            problems.append(f"{where}: 'status' must be 'active' or 'retired', was {flag.get('status')!r}")
    return problems


def _literal(node: ast.expr) -> object:
    """The value of a default expression, or a marker when it is not a literal."""
    try:
        return ast.literal_eval(node)
    except ValueError:
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "float":
            return float(ast.literal_eval(node.args[0]))
        if isinstance(node, ast.Attribute):
            return node.attr  # an enum member, e.g. TradingState.HALTED
        return _NOT_LITERAL


_NOT_LITERAL = object()


def _default_of(value: ast.expr | None) -> object:
    if value is None:
        return None
    if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "Field":
        for keyword in value.keywords:
            if keyword.arg == "default":
                return _literal(keyword.value)
        return _literal(value.args[0]) if value.args else None
    return _literal(value)


def check_limits(root: Path) -> list[str]:
    path = root / LIMITS_FILE
    if not path.is_file():
        return [f"{LIMITS_FILE}: limits config is missing"]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == LIMITS_CLASS]
    if not classes:
        return [f"{LIMITS_FILE}: class {LIMITS_CLASS} not found"]
    problems: list[str] = []
    for statement in classes[0].body:
        if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
            continue
        field = statement.target.id
        if field.startswith("_") or field == "model_config":
            continue
        default = _default_of(statement.value)
        where = f"{LIMITS_FILE}: {LIMITS_CLASS}.{field}"
        if default is None:
            problems.append(f"{where}: default is missing; every limit needs a finite positive default")
        elif default is _NOT_LITERAL:
            problems.append(f"{where}: default must be a literal the hook can read")
        elif isinstance(default, bool):
            problems.append(f"{where}: default must be a number, was {default!r}")
        elif isinstance(default, int | float) and not (math.isfinite(default) and default > 0):
            problems.append(f"{where}: default must be finite and > 0, was {default!r}")
    return problems


class _EnvReads(ast.NodeVisitor):
    """Finds reads of guarded environment variables: getenv, environ.get/[...]."""

    def __init__(self) -> None:
        self.hits: list[tuple[int, str]] = []

    @staticmethod
    def _guarded(node: ast.expr | None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            text = str(node.values[0].value)
        elif isinstance(node, ast.BinOp) and isinstance(node.left, ast.Constant):
            text = str(node.left.value)
        else:
            return None
        return text if text.startswith(GUARDED_PREFIXES) else None

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        target = getattr(func, "value", None)
        on_environ = isinstance(target, ast.Attribute | ast.Name) and (
            getattr(target, "attr", None) == "environ" or getattr(target, "id", None) == "environ"
        )
        if (name == "getenv" or (on_environ and name in {"get", "pop", "setdefault"})) and node.args:
            var = self._guarded(node.args[0])
            if var:
                self.hits.append((node.lineno, var))
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        value = node.value
        is_environ = getattr(value, "attr", None) == "environ" or getattr(value, "id", None) == "environ"
        if is_environ and isinstance(node.ctx, ast.Load):
            var = self._guarded(node.slice)
            if var:
                self.hits.append((node.lineno, var))
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        # "AURORA_KILL" in os.environ
        if any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
            var = self._guarded(node.left)
            if var and any(getattr(c, "attr", getattr(c, "id", None)) == "environ" for c in node.comparators):
                self.hits.append((node.lineno, var))
        self.generic_visit(node)


def check_env_reads(root: Path, files: list[Path]) -> list[str]:
    problems: list[str] = []
    safety = (root / SAFETY_SRC).resolve()
    for path in files:
        resolved = path.resolve()
        if resolved.suffix != ".py" or resolved.is_relative_to(safety):
            continue
        try:
            tree = ast.parse(resolved.read_text(encoding="utf-8"), filename=str(path))
        except (SyntaxError, UnicodeDecodeError):
            continue  # ruff reports syntax errors; this hook reads only what parses
        visitor = _EnvReads()
        visitor.visit(tree)
        rel = resolved.relative_to(root.resolve()) if resolved.is_relative_to(root.resolve()) else path
        for line, var in visitor.hits:
            problems.append(
                f"{rel}:{line}: reads {var} directly; only aurora_safety may read the kill/rollback/flag "
                "environment (use aurora_safety's KillSwitch / effective_flags)"
            )
    return problems


def _python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if not (EXCLUDED_DIRS & set(p.relative_to(root).parts)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path.cwd())
    parser.add_argument("files", nargs="*", type=Path, help="files to scan for env reads (default: all)")
    args = parser.parse_args(argv)
    root = args.root
    files = [root / f if not f.is_absolute() else f for f in args.files] or _python_files(root)
    problems = check_flags(root) + check_limits(root) + check_env_reads(root, files)
    for problem in problems:
        print(f"unsafe-defaults: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
