"""The hashed lock every nox session installs from, and the check that it matches its inputs.

``requirements.lock`` is ``uv pip compile --generate-hashes`` of every package's
declared dependencies (with every extra) and the tools the sessions install,
under ``constraints.txt``; ``requirements-nodeps.lock`` holds what is installed
without its dependencies (the router bench's NautilusTrader). Both are made by
``nox -s lock`` only. The lock's first line records a digest of its inputs
(constraints.txt, each pyproject's dependency lists, the tool list), so a
dependency added anywhere without regenerating the lock fails every session and
``tests/test_supply_chain.py`` with the one command that fixes it.

A session installs the part of the lock its roots need (the closure over the
lock's ``# via`` graph) with ``--require-hashes``: an unhashed, unpinned or
mismatched artifact is refused. Standard library plus ``packaging`` (nox's own
dependency), so the noxfile can import it before any environment exists.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
NODEPS_LOCK = ROOT / "requirements-nodeps.lock"
CONSTRAINTS = ROOT / "constraints.txt"
REGENERATE = "nox -s lock"
# The local packages' build backend (and what it needs for an editable build): installed from
# the lock, hashed, and the packages built without build isolation, so building them fetches
# nothing unpinned.
BUILD_BACKEND = "hatchling"
BUILD_REQUIREMENTS = (BUILD_BACKEND, "editables")
# What the pre-commit hooks run (`language: unsupported`: from PATH, never an environment of their
# own): `nox -s lint` installs them from the lock, hashed.
LINT_TOOLS = ("ruff", "import-linter", "check-jsonschema", "zizmor")
# Third-party tools nox sessions install beside the packages (each pinned in constraints.txt).
TOOLS = (
    "pytest",
    "pre-commit",
    "nox",
    "pyyaml",
    "mypy",
    "mutmut",
    "bokeh-sampledata",
    "uv",
    "cyclonedx-bom",
    "pip-audit",
    *LINT_TOOLS,
    # the router bench's NautilusTrader needs these at run time (it is installed without deps)
    "click",
    "fsspec",
    "msgspec",
    "portion",
    "pytz",
    "tqdm",
    "uvloop",
    *BUILD_REQUIREMENTS,
)
NODEPS = ("nautilus_trader",)  # declares pandas<3 while every session pins pandas 3
DIGEST_PREFIX = "# inputs-sha256: "
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    found = _NAME.match(requirement.strip())
    assert found, f"not a requirement: {requirement!r}"
    return canonical(found.group(1))


def pyprojects(root: Path = ROOT) -> dict[str, dict]:
    """Each package's [project] table, by distribution name."""
    found = {}
    for path in sorted((root / "packages").glob("*/pyproject.toml")):
        project = tomllib.loads(path.read_text())["project"]
        found[canonical(project["name"])] = project
    return found


def inputs_digest(root: Path = ROOT) -> str:
    """What the lock was made from: the constraints, every declared dependency, the tool lists."""
    declared = {
        name: [project.get("dependencies", []), project.get("optional-dependencies", {})]
        for name, project in pyprojects(root).items()
    }
    blob = json.dumps(
        [(root / "constraints.txt").read_text(), declared, TOOLS, NODEPS], sort_keys=True
    ).encode()
    return hashlib.sha256(blob).hexdigest()


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    text: str  # the entry as written: `name==version \` and its `--hash=` lines
    parents: frozenset[str]  # `# via` names (canonical)


def parse(text: str) -> dict[str, Pin]:
    """The lock's entries by canonical name."""
    pins: dict[str, Pin] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line or line.startswith((" ", "#", "-")):
            i += 1
            continue
        name, _, version = line.split(" ")[0].partition("==")
        entry = [line]
        parents: set[str] = set()
        i += 1
        while i < len(lines) and lines[i].startswith(" "):
            stripped = lines[i].strip()
            if stripped.startswith("--hash="):
                entry.append(lines[i])
            elif stripped.startswith("# via"):
                parents |= _via(stripped.removeprefix("# via"))
            elif stripped.startswith("#"):
                parents |= _via(stripped.removeprefix("#"))
            i += 1
        entry[-1] = entry[-1].rstrip(" \\")
        pins[canonical(name)] = Pin(
            canonical(name), version.split(";")[0].strip(), "\n".join(entry), frozenset(parents)
        )
    return pins


def _via(text: str) -> set[str]:
    text = text.strip()
    if not text or text.startswith(("-r ", "-c ")):
        return set()
    return {requirement_name(text)}


def closure(pins: dict[str, Pin], roots: set[str]) -> set[str]:
    """The roots and everything the lock says they pull in (children are entries naming a parent)."""
    children: dict[str, set[str]] = {}
    for pin in pins.values():
        for parent in pin.parents:
            children.setdefault(parent, set()).add(pin.name)
    todo, seen = [canonical(r) for r in roots], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(children.get(name, ()))
    return seen


def package_roots(distributions: dict[str, tuple[str, ...]], root: Path = ROOT) -> set[str]:
    """Third-party names the given local distributions (with their extras) declare."""
    projects = pyprojects(root)
    names: set[str] = set()
    for dist, extras in distributions.items():
        project = projects[canonical(dist)]
        declared = list(project.get("dependencies", []))
        for extra in extras:
            declared += project.get("optional-dependencies", {}).get(extra, [])
        names |= {requirement_name(r) for r in declared}
    return names - set(projects)


def subset(roots: set[str], lock: Path = LOCK) -> str:
    """A hashed requirements file holding exactly what ``roots`` need from the lock."""
    pins = parse(lock.read_text())
    missing = sorted(canonical(r) for r in roots if canonical(r) not in pins)
    if missing:
        raise LockError(f"{lock.name} has no pin for {', '.join(missing)}: regenerate it with `{REGENERATE}`")
    return "\n".join(pins[name].text for name in sorted(closure(pins, roots))) + "\n"


class LockError(Exception):
    pass


def problems(root: Path = ROOT) -> list[str]:
    """Why the lock does not match its inputs (empty: it does)."""
    from packaging.requirements import Requirement

    lock = root / LOCK.name
    if not lock.is_file():
        return [f"{lock.name} is missing: generate it with `{REGENERATE}`"]
    text = lock.read_text()
    found: list[str] = []
    first = text.splitlines()[0] if text else ""
    if first != DIGEST_PREFIX + inputs_digest(root):
        found.append(
            f"{lock.name} was made from other inputs than constraints.txt and the packages' declared"
            f" dependencies now hold: regenerate it with `{REGENERATE}` and commit it"
        )
    pins = parse(text)
    for project in pyprojects(root).values():
        declared = list(project.get("dependencies", []))
        for extra in project.get("optional-dependencies", {}).values():
            declared += extra
        for raw in declared:
            req = Requirement(raw)
            name = canonical(req.name)
            if name in pyprojects(root):
                continue
            pin = pins.get(name)
            if pin is None:
                found.append(
                    f"{project['name']} declares {raw!r} but {lock.name} has no pin for it: `{REGENERATE}`"
                )
            elif not req.specifier.contains(pin.version, prereleases=True):
                found.append(
                    f"{project['name']} declares {raw!r} but {lock.name} pins {pin.version}: `{REGENERATE}`"
                )
    for line in (root / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" not in line or canonical(line.split("==")[0]) in {canonical(n) for n in NODEPS}:
            continue
        name, version = canonical(line.split("==")[0]), line.split("==")[1].strip()
        if name in pins and pins[name].version != version:
            found.append(
                f"constraints.txt pins {name}=={version} but {lock.name} pins {pins[name].version}: `{REGENERATE}`"
            )
    for line in text.splitlines():
        if line and not line.startswith((" ", "#")) and "==" in line and not line.rstrip().endswith("\\"):
            found.append(f"{lock.name}: {line.split()[0]} has no hash: `{REGENERATE}`")
    return found


def main(argv: list[str]) -> int:
    """``python tools/requirements_lock.py --check``: exit 1 with one line per disagreement."""
    if argv != ["--check"]:
        print("usage: python tools/requirements_lock.py --check", file=sys.stderr)
        return 2
    found = problems()
    for line in found:
        print(f"lock: {line}", file=sys.stderr)
    if not found:
        print(f"lock: {LOCK.name} matches constraints.txt and every package's declared dependencies")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
