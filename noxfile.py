"""Aurora's only task runner.

Packages are discovered from ``packages/*/pyproject.toml``; nothing here is
copied per package. Each package's unit tests run in a virtualenv that holds
only that package and its declared dependencies, so an undeclared import
fails. CI and people call exactly these sessions.

    nox -s l0              every pull request
    nox -s run             the main job (E2D + paper trading on bundled data)
    nox -s lint            pre-commit on every file
    nox -r -s l0           local re-run reusing environments, still installing (never in CI)
"""

from __future__ import annotations

import os
import shutil
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import nox

ROOT = Path(__file__).parent
CONSTRAINTS = ROOT / "constraints.txt"
REPORTS = ROOT / "reports"  # gate results, benchmark figures (git-ignored)

# uv builds a fresh environment 5-15x faster than venv here; fall back to
# virtualenv on a machine where only `pip install nox` was run.
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["l0"]
nox.options.error_on_missing_interpreters = True

# Hypothesis + PYTHONDONTWRITEBYTECODE=1 makes pytest re-rewrite assertions on
# every run (about +1 s per run); sessions clear it.
SESSION_ENV = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONHASHSEED": "0"}


@dataclass(frozen=True)
class Package:
    """One installable package of the monorepo, read from its pyproject."""

    short: str  # directory name under packages/
    dist: str  # distribution name, e.g. aurora-safety
    path: Path
    local_deps: tuple[str, ...]  # short names of aurora packages it needs
    parallel_tests: bool  # its test extra has pytest-xdist: tests run on every core


def _discover() -> dict[str, Package]:
    found: dict[str, Package] = {}
    raw: dict[str, dict] = {}
    for pyproject in sorted((ROOT / "packages").glob("*/pyproject.toml")):
        raw[pyproject.parent.name] = tomllib.loads(pyproject.read_text())["project"]
    dist_to_short = {meta["name"]: short for short, meta in raw.items()}
    for short, meta in raw.items():
        deps = []
        for requirement in meta.get("dependencies", []):
            name = requirement.split(";")[0].split("[")[0]
            for sep in "<>=!~ ":
                name = name.split(sep)[0]
            if name in dist_to_short:
                deps.append(dist_to_short[name])
        test_extra = meta.get("optional-dependencies", {}).get("test", [])
        parallel = any(req.startswith("pytest-xdist") for req in test_extra)
        found[short] = Package(short, meta["name"], pyproject_path(short).parent, tuple(deps), parallel)
    return found


def pyproject_path(short: str) -> Path:
    return ROOT / "packages" / short / "pyproject.toml"


PACKAGES = _discover()


def _closure(short: str) -> list[str]:
    """The package and every aurora package it needs, dependencies first."""
    order: list[str] = []

    def visit(name: str) -> None:
        for dep in PACKAGES[name].local_deps:
            visit(dep)
        if name not in order:
            order.append(name)

    visit(short)
    return order


def install(session: nox.Session, short: str, *extras: str) -> None:
    """Install one package (with extras) and its local dependencies in one call.

    One call lets the local packages satisfy each other instead of an index
    lookup (the bare names exist on PyPI: dependency confusion).
    """
    args: list[str] = []
    for name in _closure(short):
        spec = str(PACKAGES[name].path)
        if name == short and extras:
            spec += f"[{','.join(extras)}]"
        args += ["-e", spec]
    session.install("-c", str(CONSTRAINTS), *args)


def _fresh_run_dir(name: str) -> Path:
    """A run directory for a gate session, emptied first so nothing is reused by accident."""
    run_dir = ROOT / "runs" / f"gate-{name}"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    return run_dir


def install_all_with_tests(session: nox.Session, *extra: str) -> None:
    """Every package with its test extras, in one install call (gate sessions)."""
    args: list[str] = []
    for name in _closure("gates"):
        args += ["-e", f"{PACKAGES[name].path}[test]"]
    session.install("-c", str(CONSTRAINTS), *args, *extra)


def _spread(dist: str = "loadfile") -> list[str]:
    """pytest-xdist over every core. `loadfile` (per PR): one test file per worker at a time, so a
    file's module-scoped run fixtures (a whole `aurora run`) are built once, not once per worker.
    `worksteal` (nightly): the crash matrix (40 SIGKILLed runs) is one file and would keep one
    worker busy for most of the suite; a fixture built twice costs far less."""
    return ["-n", "auto", "--dist", dist]


def _pytest(session: nox.Session, *args: str) -> None:
    session.run("pytest", "-q", "-rs", "-p", "no:cacheprovider", *args, env=SESSION_ENV)


@nox.session(name="unit")
@nox.parametrize("package", sorted(PACKAGES))
def unit(session: nox.Session, package: str) -> None:
    """Unit tests of one package, alone with its declared dependencies."""
    install(session, package, "test")
    # l1-marked breadth (full crash matrix, 20 random SIGKILLs) runs nightly in `nox -s l1`.
    spread = _spread() if PACKAGES[package].parallel_tests else []
    _pytest(session, *spread, "-m", "not l1", str(PACKAGES[package].path / "tests"), *session.posargs)


@nox.session(requires=[f"unit(package='{name}')" for name in sorted(PACKAGES)])
def l0(session: nox.Session) -> None:
    """Every PR: each package's unit tests (own envs), then the repo-level checks."""
    install(session, "gates", "test")
    session.install("-c", str(CONSTRAINTS), "pytest", "pre-commit", "nox", "pyyaml")
    _pytest(session, *_spread(), str(ROOT / "tests"))  # gates' test extra brings pytest-xdist
    run_dir = _fresh_run_dir("l0")
    session.run("aurora", "run", "--run-dir", str(run_dir), env=SESSION_ENV)
    session.run(
        "aurora",
        "gate",
        "l0",
        "--run-dir",
        str(run_dir),
        "--json",
        str(REPORTS / "gate-l0.json"),
        env=SESSION_ENV,
    )


@nox.session
def l1(session: nox.Session) -> None:
    """Nightly: the breadth beyond l0 -- every l1-marked test (crash recovery at every fault point,
    random SIGKILLs, signals, advancing over random seams, the bless matrix) and every Hypothesis test
    at the 500-example profile -- then mutation testing and `aurora gate l1` on that evidence.

    The rest of each suite is l0's, which runs on every push of the same commit; promotion requires
    both commits' evidence, so nothing is run twice to get there."""
    install_all_with_tests(session, "mutmut", "bokeh-sampledata")
    out = REPORTS / "l1"
    if out.exists():
        shutil.rmtree(out)  # tonight's evidence only: a stale report must not pass
    out.mkdir(parents=True)
    tests = [str(PACKAGES[name].path / "tests") for name in sorted(PACKAGES)]
    session.run(
        "pytest",
        "-q",
        "-rs",
        "-p",
        "no:cacheprovider",
        *_spread("worksteal"),
        "-m",
        "l1 or hypothesis",  # hypothesis: the marker Hypothesis' pytest plugin puts on every @given test
        "--junitxml",
        str(out / "junit.xml"),
        *tests,
        env={**SESSION_ENV, "HYPOTHESIS_PROFILE": "nightly"},
        success_codes=[0, 1],
    )
    # Mutation testing, one package after the other (each run uses every core): e2d's metrics
    # and sanity, safety's kill switch, checks, throttle and breakers. Each threshold is declared
    # once, in aurora_gates.mutation.targets; reports/l1/mutation-<package>.json lists survivors.
    mutated = [arg for name in ("e2d", "safety") for arg in ("--package", str(PACKAGES[name].path))]
    session.run(
        "python",
        "-m",
        "aurora_gates.mutation",
        *mutated,
        "--report-dir",
        str(out),
        env=SESSION_ENV,
        success_codes=[0, 1],
    )
    # The gate decides: it fails on any test failure, skip or a low mutation score.
    session.run("aurora", "gate", "l1", "--json", str(REPORTS / "gate-l1.json"), env=SESSION_ENV)


@nox.session
def l2(session: nox.Session) -> None:
    """Pre-promotion: the candidate (this revision's default config) and the champion (flags forced
    off: the golden), `aurora gate l2` (ratchet vs goldens, cross-process determinism), `aurora bless`
    (reports/blessing.json) and `aurora promote` (the checklist, written to reports/promotion.*).

    `nox -s l2 -- DIR`: the evidence directory is DIR instead of reports/ (a CI job that downloaded the
    l0, l1 and rollback-test reports there); gate-l2.json and blessing.json are written beside them."""
    if len(session.posargs) > 1:
        session.error("nox -s l2 takes at most one argument: the evidence directory (default: reports/)")
    evidence = Path(session.posargs[0]).absolute() if session.posargs else REPORTS
    install(session, "gates")
    session.install("-c", str(CONSTRAINTS), "nox")  # promote checks runbook sessions with `nox --list`
    # Both runs are of the team's reference (aurora.toml [gates] goldens; the bundled demo by default).
    run_dir = _fresh_run_dir("l2")  # runs/gate-l2: `aurora ratchet`'s default run directory
    session.run("aurora", "goldens", "run", "--run-dir", str(run_dir), env=SESSION_ENV)
    champion = _fresh_run_dir("l2-champion")  # promote checks it against the golden baseline hashes
    session.run("aurora", "goldens", "run", "--champion", "--run-dir", str(champion), env=SESSION_ENV)
    session.run(
        "aurora",
        "gate",
        "l2",
        "--run-dir",
        str(run_dir),
        "--json",
        str(evidence / "gate-l2.json"),
        env=SESSION_ENV,
    )
    # exit 1 (not blessed) still goes on to promote, whose blessing item names every failed check
    session.run(
        "aurora",
        "bless",
        "--candidate-run",
        str(run_dir),
        "--champion-run",
        str(champion),
        "--json",
        str(evidence / "blessing.json"),
        "--record",  # one more trial in the reference's blessings.jsonl (the deflated Sharpe counts it)
        env=SESSION_ENV,
        success_codes=[0, 1],
    )
    session.run("aurora", "promote", "--evidence", str(evidence), env=SESSION_ENV)


@nox.session(name="rollback-test")
def rollback_test(session: nox.Session) -> None:
    """With each flag on the run differs; with AURORA_ROLLBACK=1 on top it equals the
    flags-off golden byte for byte (docs/runbooks/rollback.md is this procedure)."""
    install(session, "gates")
    session.run(
        "python",
        "-m",
        "aurora_gates.rollback",
        "--work-dir",
        str(ROOT / "runs" / "rollback"),
        "--report",
        str(REPORTS / "rollback-test.json"),
        env=SESSION_ENV,
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: figures and ratios printed (reports/bench-e2d.json, reports/bench-router.json), no
    pass/fail timing. `nox -s bench` runs both; `nox -s bench -- e2d ARGS` or `-- router ARGS` runs one."""
    install(session, "e2d")
    # NautilusTrader is the router bench's yardstick: installed here only, never a package
    # dependency. It declares pandas<3 while every session pins pandas 3.1.1; the RiskEngine
    # path the bench drives runs on it, so it goes in without its declared dependencies and
    # its runtime ones are listed here (all pinned in constraints.txt).
    session.install("-c", str(CONSTRAINTS), "click", "fsspec", "msgspec", "portion", "pytz", "tqdm", "uvloop")
    session.install("-c", str(CONSTRAINTS), "--no-deps", "nautilus_trader==1.221.0")
    chosen = session.posargs[0] if session.posargs[:1] in (["e2d"], ["router"]) else None
    args = session.posargs[1:] if chosen else session.posargs
    for name in ("e2d", "router"):
        if chosen in (None, name):
            script = str(ROOT / "benchmarks" / f"bench_{name}.py")
            session.run("python", script, *(args if chosen or name == "e2d" else []), env=SESSION_ENV)


@nox.session
def run(session: nox.Session) -> None:
    """The main job: `aurora run` on the bundled data (extra args pass through)."""
    install(session, "gates")
    session.run("aurora", "run", *session.posargs, env=SESSION_ENV)


@nox.session
def snapshot(session: nox.Session) -> None:
    """Rebuild the pinned data snapshot from bokeh-sampledata and prove the same sha256."""
    install(session, "e2d")
    session.install("-c", str(CONSTRAINTS), "bokeh-sampledata")
    session.run("python", "-m", "aurora_e2d.data.snapshot", "--check", env=SESSION_ENV)


@nox.session
def lint(session: nox.Session) -> None:
    """`pre-commit run --all-files`: the same hooks a commit runs."""
    session.install("-c", str(CONSTRAINTS), "pre-commit", "pre-commit-uv")
    session.run(
        "pre-commit",
        "run",
        "--all-files",
        "--show-diff-on-failure",
        env={
            **SESSION_ENV,
            "PRE_COMMIT_HOME": os.environ.get("PRE_COMMIT_HOME", str(ROOT / ".nox" / ".pre-commit-cache")),
        },
    )


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy as configured in mypy.ini: strict on safety, broker and router; e2d's and
    gates' public API modules less strictly while they are restructured."""
    install(session, "gates")  # every package, so that their imports resolve
    session.install("-c", str(CONSTRAINTS), "mypy")
    session.run("mypy", *session.posargs, env=SESSION_ENV)


def _uv(session: nox.Session) -> str:
    """uv as nox finds it: the one `pip install uv` put beside nox, else the one on PATH."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            session.error("uv is not installed: python3 -m pip install uv (README, Quickstart)")
        return found


@nox.session(venv_backend="none")
def dev(session: nox.Session) -> None:
    """A development virtualenv at .venv: every package editable with its test extras, pinned
    by constraints.txt. `source .venv/bin/activate` then puts `aurora` on PATH."""
    uv = _uv(session)
    venv = ROOT / ".venv"
    # Rebuilt from the pins every time (seconds, from uv's cache) so it never drifts.
    session.run(uv, "venv", "--clear", "--python", sys.executable, str(venv), external=True)
    editables: list[str] = []
    for name in _closure("gates"):  # one call: local packages satisfy each other (no index lookup)
        editables += ["-e", f"{PACKAGES[name].path}[test]"]
    python = str(venv / "bin" / "python")
    session.run(uv, "pip", "install", "--python", python, "-c", str(CONSTRAINTS), *editables, external=True)
    session.log("ready: source .venv/bin/activate && aurora --help")
