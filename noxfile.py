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

import atexit
import json
import os
import shutil
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import nox

ROOT = Path(__file__).parent
sys.path.insert(0, str(ROOT / "tools"))
import requirements_lock  # noqa: E402  (tools/: the hashed lock and its consistency check)

CONSTRAINTS = ROOT / "constraints.txt"
REPORTS = ROOT / "reports"  # gate results, benchmark figures (git-ignored)

# uv builds a fresh environment 5-15x faster than venv here; fall back to
# virtualenv on a machine where only `pip install nox` was run.
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["l0"]
# The PR workflow restores .nox from a cache keyed by the lock's hash and sets this: environments are
# reused, and every session still installs from the lock with --require-hashes (a no-op when unchanged).
if os.environ.get("AURORA_NOX_REUSE_VENVS") == "1":
    nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True

# Hypothesis + PYTHONDONTWRITEBYTECODE=1 makes pytest re-rewrite assertions on
# every run (about +1 s per run); sessions clear it.
# One directory per nox invocation where the test suites share their real runs (aurora_e2d.testkit):
# the e2d, gates and repository tests of one `nox -s l0` build each bundled run once between them,
# and l0's gate checks that same full run. Removed when nox exits, so no run outlives its code.
RUN_CACHE = Path(tempfile.mkdtemp(prefix="aurora-test-runs-"))
atexit.register(shutil.rmtree, RUN_CACHE, ignore_errors=True)
SESSION_ENV = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONHASHSEED": "0", "AURORA_TEST_RUN_CACHE": str(RUN_CACHE)}


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


def _scratch(session: nox.Session) -> Path:
    """A scratch directory inside the session's environment. Not ``session.create_tmp()``: that also
    sets TMPDIR, which would put pytest's temporary directories inside the repository (tests that
    walk up from a temporary directory would then find the repository's goldens and git revision)."""
    path = Path(session.virtualenv.location) / "scratch"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _locked(session: nox.Session, roots: set[str], editables: list[str]) -> None:
    """Install ``roots`` and what they need from requirements.lock, every artifact checked against
    its sha256 (``--require-hashes``: unpinned, unhashed or mismatched is refused), then the local
    packages ``editables`` without dependencies (theirs came from the lock)."""
    found = requirements_lock.problems(ROOT)
    if found:
        session.error("; ".join(found))
    if editables:  # their build backend comes from the lock too (built without isolation below)
        roots = roots | set(requirements_lock.BUILD_REQUIREMENTS)
    pinned = _scratch(session) / "requirements.txt"
    pinned.write_text(requirements_lock.subset(roots))
    session.install("--require-hashes", "-r", str(pinned))
    if editables:
        session.install("--no-deps", "--no-build-isolation", *editables)


def install(session: nox.Session, short: str, *extras: str, tools: tuple[str, ...] = ()) -> None:
    """Install one package (with extras), its local dependencies and ``tools``, all from the lock.

    The local packages go in by path, without dependencies (the bare names exist on PyPI:
    dependency confusion); their third-party dependencies come from requirements.lock, hashed.
    """
    wanted = {PACKAGES[name].dist: (extras if name == short else ()) for name in _closure(short)}
    roots = requirements_lock.package_roots(wanted, ROOT) | set(tools)
    editables: list[str] = []
    for name in _closure(short):
        spec = str(PACKAGES[name].path)
        if name == short and extras:
            spec += f"[{','.join(extras)}]"
        editables += ["-e", spec]
    _locked(session, roots, editables)


def install_tools(session: nox.Session, *tools: str) -> None:
    """Third-party tools alone (no local package), from the lock, hashed."""
    _locked(session, set(tools), [])


def _fresh_run_dir(name: str) -> Path:
    """A run directory for a gate session, emptied first so nothing is reused by accident."""
    run_dir = ROOT / "runs" / f"gate-{name}"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    return run_dir


def install_all_with_tests(session: nox.Session, *tools: str) -> None:
    """Every package with its test extras (gate sessions), and ``tools``, from the lock."""
    wanted = {PACKAGES[name].dist: ("test",) for name in _closure("gates")}
    roots = requirements_lock.package_roots(wanted, ROOT) | set(tools)
    editables: list[str] = []
    for name in _closure("gates"):
        editables += ["-e", f"{PACKAGES[name].path}[test]"]
    _locked(session, roots, editables)


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
    # the hook drills run the workflow hooks' tools from this environment (hashed, like everything)
    tools = ("pytest", "pre-commit", "nox", "pyyaml", "uv", *requirements_lock.LINT_TOOLS)
    install(session, "gates", "test", tools=tools)
    # gates' test extra brings pytest-xdist; the l1-marked runbook breadth runs nightly in `nox -s l1`.
    _pytest(session, *_spread(), "-m", "not l1", str(ROOT / "tests"))
    run_dir = _fresh_run_dir("l0")
    # The full bundled run e2d's tests made in this invocation (built now if they did not), copied:
    # the gate checks the run the tests checked, and the pipeline is not paid for twice.
    session.run("python", "-m", "aurora_e2d.testkit", "--copy-to", str(run_dir), env=SESSION_ENV)
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
    tests.append(str(ROOT / "tests" / "test_runbooks_operator.py"))  # the literal runbooks' l1 part
    phases: dict[str, float] = {}
    started = time.monotonic()
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
    phases["pytest_s"] = round(time.monotonic() - started, 1)
    _write_durations(out / "junit.xml", out / "durations.txt")
    started = time.monotonic()
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
    phases["mutation_s"] = round(time.monotonic() - started, 1)
    (out / "timings.json").write_text(json.dumps(phases, indent=2) + "\n")  # the nightly uploads it
    session.log(f"l1 timings: {phases}")
    # The gate decides: it fails on any test failure, skip or a low mutation score.
    session.run("aurora", "gate", "l1", "--json", str(REPORTS / "gate-l1.json"), env=SESSION_ENV)


def _write_durations(junit: Path, target: Path) -> None:
    """Every test's duration from the junit XML, slowest first (the nightly uploads it)."""
    import xml.etree.ElementTree as ET

    if not junit.is_file():
        return
    cases = [
        (float(case.get("time", 0)), f"{case.get('classname')}::{case.get('name')}")
        for case in ET.parse(junit).getroot().iter("testcase")
    ]
    lines = [f"{seconds:9.2f} s  {name}" for seconds, name in sorted(cases, reverse=True)]
    target.write_text(f"{sum(s for s, _ in cases):.1f} s in {len(cases)} tests\n" + "\n".join(lines) + "\n")


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
    install(session, "gates", tools=("nox",))  # promote checks runbook sessions with `nox --list`
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
    _supply_chain(session, evidence)  # the SBOM of this environment and the audit, for promote to list
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
    """Benchmarks: figures and ratios printed (reports/bench-*.json), no pass/fail timing. `nox -s bench`
    runs them all; `nox -s bench -- e2d ARGS`, `-- router ARGS`, `-- cli`, `-- evening ARGS` or
    `-- scale ARGS` runs one (evening: `aurora advance` by one session; scale: whole runs at 500 /
    2,000 symbols beside their targets, `-- scale --big` adds 5,000 x 20 years)."""
    # NautilusTrader is the router bench's yardstick: installed here only, never a package
    # dependency. It declares pandas<3 while every session pins pandas 3.1.1; the RiskEngine
    # path the bench drives runs on it, so it goes in without its declared dependencies (from
    # requirements-nodeps.lock, hashed) and its runtime ones are listed here (from the lock).
    install(session, "e2d", tools=("click", "fsspec", "msgspec", "portion", "pytz", "tqdm", "uvloop"))
    session.install("--require-hashes", "--no-deps", "-r", str(requirements_lock.NODEPS_LOCK))
    names = ("e2d", "router", "cli", "evening", "scale")
    chosen = session.posargs[0] if session.posargs[:1] and session.posargs[0] in names else None
    args = session.posargs[1:] if chosen else session.posargs
    # cli: command latency before / target / now; evening: `aurora advance` by one session (issue 21);
    # scale: whole runs and stages beside the issue-21 targets
    for name in names:
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
    install(session, "e2d", tools=("bokeh-sampledata",))
    session.run("python", "-m", "aurora_e2d.data.snapshot", "--check", env=SESSION_ENV)


@nox.session
def lint(session: nox.Session) -> None:
    """`pre-commit run --all-files`: the same hooks a commit runs."""
    # the hooks run these from PATH (.pre-commit-config.yaml): hashed, from the lock, like everything else
    install_tools(session, "pre-commit", *requirements_lock.LINT_TOOLS)
    session.run(
        "pre-commit",
        "run",
        "--all-files",
        "--show-diff-on-failure",
        env={
            **SESSION_ENV,
            # pre-commit's own cache (no hook environments any more) beside this session's environment
            "PRE_COMMIT_HOME": os.environ.get(
                "PRE_COMMIT_HOME", str(Path(session.virtualenv.location) / "pre-commit")
            ),
        },
    )


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy as configured in mypy.ini: strict on safety, broker and router; e2d's settled rooms
    (core, rundir, engine, run, blessing, cli) and the public API modules of the rest and of gates
    without strict's per-function rules."""
    install(session, "gates", tools=("mypy",))  # every package, so that their imports resolve
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
    found = requirements_lock.problems(ROOT)
    if found:
        session.error("; ".join(found))
    wanted = {PACKAGES[name].dist: ("test",) for name in _closure("gates")}
    pinned = ROOT / ".nox" / "dev-requirements.txt"
    pinned.parent.mkdir(exist_ok=True)
    roots = requirements_lock.package_roots(wanted, ROOT) | set(requirements_lock.BUILD_REQUIREMENTS)
    pinned.write_text(requirements_lock.subset(roots))
    session.run(
        uv, "pip", "install", "--python", python, "--require-hashes", "-r", str(pinned), external=True
    )
    no_isolation = ("--no-deps", "--no-build-isolation")  # hatchling from the lock builds them
    session.run(uv, "pip", "install", "--python", python, *no_isolation, *editables, external=True)
    session.log("ready: source .venv/bin/activate && aurora --help")


@nox.session(venv_backend="none")
def lock(session: nox.Session) -> None:
    """Regenerate requirements.lock (and requirements-nodeps.lock) from constraints.txt and every
    package's declared dependencies, with sha256 hashes: run it after changing either, and commit."""
    uv = _uv(session)
    work = ROOT / ".nox" / "lock-inputs"  # a fixed relative path: the lock's `# via -r` lines stay stable
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    request = work / "lock.in"
    lines = [
        f"-e ./packages/{name}[{','.join(_extras(name))}]" if _extras(name) else f"-e ./packages/{name}"
        for name in sorted(PACKAGES)
    ]
    request.write_text("\n".join([*lines, *requirements_lock.TOOLS]) + "\n")
    common = ["--generate-hashes", "--python-version", "3.11", "--no-header", "--quiet"]
    locals_ = [arg for name in sorted(PACKAGES) for arg in ("--no-emit-package", PACKAGES[name].dist)]
    out = work / "requirements.lock"
    rel = str(request.relative_to(ROOT))
    session.run(
        uv, "pip", "compile", *common, *locals_, "-c", "constraints.txt", rel, "-o", str(out), external=True
    )
    header = [
        requirements_lock.DIGEST_PREFIX + requirements_lock.inputs_digest(ROOT),
        f"# Made by `{requirements_lock.REGENERATE}` (uv pip compile --generate-hashes); do not edit by hand.",
        "# Every nox session installs from it with --require-hashes (tools/requirements_lock.py).",
    ]
    requirements_lock.LOCK.write_text("\n".join(header) + "\n" + out.read_text())
    nodeps = work / "nodeps.in"
    pins = {
        requirements_lock.canonical(line.split("==")[0]): line.split("#")[0].strip()
        for line in CONSTRAINTS.read_text().splitlines()
        if "==" in line.split("#")[0]
    }
    nodeps.write_text(
        "\n".join(pins[requirements_lock.canonical(n)] for n in requirements_lock.NODEPS) + "\n"
    )
    session.run(
        uv,
        "pip",
        "compile",
        *common,
        "--no-deps",
        str(nodeps.relative_to(ROOT)),
        "-o",
        str(requirements_lock.NODEPS_LOCK),
        external=True,
    )
    shutil.rmtree(work)
    session.log(f"wrote {requirements_lock.LOCK.name} and {requirements_lock.NODEPS_LOCK.name}; commit both")


def _extras(short: str) -> list[str]:
    project = tomllib.loads(pyproject_path(short).read_text())["project"]
    return sorted(project.get("optional-dependencies", {}))


@nox.session(name="supply-chain")
def supply_chain(session: nox.Session) -> None:
    """A CycloneDX SBOM of the run environment (every package, installed from the lock) and a
    vulnerability audit of everything the locks pin: reports/sbom.cdx.json, reports/audit.json.
    Known vulnerabilities fail it; no reachable vulnerability service is one clear line, not a
    failure (audit.json then says "not audited"). `nox -s l2` does the same into its evidence."""
    install(session, "gates")  # the run environment the SBOM describes
    _supply_chain(session, REPORTS)


def _supply_chain(session: nox.Session, out: Path) -> None:
    """SBOM of this session's environment and the audit of the pinned set, written into ``out``."""
    tools = _scratch(session) / "tools"  # the tools stay out of the SBOM they write
    uv = _uv(session)
    session.run(uv, "venv", "--quiet", "--clear", "--python", sys.executable, str(tools), external=True)
    pinned = tools.parent / "tools-requirements.txt"
    pinned.write_text(requirements_lock.subset({"cyclonedx-bom", "pip-audit"}))
    tool_python = str(tools / "bin" / "python")
    session.run(
        uv, "pip", "install", "--python", tool_python, "--require-hashes", "-r", str(pinned), external=True
    )
    out.mkdir(parents=True, exist_ok=True)
    sbom = out / "sbom.cdx.json"
    env_python = str(Path(session.virtualenv.location) / "bin" / "python")
    session.run(
        str(tools / "bin" / "cyclonedx-py"),
        "environment",
        "--output-reproducible",
        "--of",
        "JSON",
        "-o",
        str(sbom),
        env_python,
        external=True,
    )
    raw = _scratch(session) / "pip-audit.json"
    audited: list[dict] = []
    for lock_file in (requirements_lock.LOCK, requirements_lock.NODEPS_LOCK):
        session.run(
            str(tools / "bin" / "pip-audit"),
            "--disable-pip",
            "--require-hashes",
            "--progress-spinner",
            "off",
            "-r",
            str(lock_file),
            "-f",
            "json",
            "-o",
            str(raw),
            external=True,
            success_codes=[0, 1],
        )
        audited += json.loads(raw.read_text())["dependencies"] if raw.is_file() else []
    checked = [dep for dep in audited if "skip_reason" not in dep]
    vulnerable = [dep for dep in checked if dep.get("vulns")]
    if not checked:
        status = "not audited"
        line = (
            f"audit: no vulnerability service reachable from here (all {len(audited)} pins skipped: "
            f"{audited[0]['skip_reason'] if audited else 'no answer'}); the pinned set was NOT audited"
        )
    elif vulnerable:
        status = "vulnerable"
        line = "audit: known vulnerabilities in " + ", ".join(
            f"{d['name']}=={d['version']}" for d in vulnerable
        )
    else:
        status = "clean"
        line = f"audit: no known vulnerability in {len(checked)} pins ({len(audited) - len(checked)} not audited)"
    report = {
        "status": status,
        "line": line,
        "pins": len(audited),
        "audited": len(checked),
        "vulnerable": vulnerable,
        "sbom": sbom.name,
        "lock_inputs_sha256": requirements_lock.inputs_digest(ROOT),
    }
    (out / "audit.json").write_text(json.dumps(report, indent=2) + "\n")
    session.log(line)
    if vulnerable:
        session.error(line)
