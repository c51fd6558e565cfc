"""One package's mutation run, from a clean slate to a written report; never raises on failure.

1. deletes ``<package>/mutants`` (mutmut's incremental cache kept a stale
   "survived" after a new test had killed that mutant: TOOLING.md);
2. runs ``python -m mutmut run`` *from the package directory* (mutmut reads
   ``[tool.mutmut]`` of ``./pyproject.toml`` at import time) under an overall
   deadline (``process.run_until``);
3. ``mutmut export-cicd-stats`` gives the counts; ``mutmut results --all true``
   must list exactly ``total`` mutants; ``diffs.collect_diffs`` gives each
   non-killed mutant's diff;
4. matches survivors with ``<package>/mutation-equivalents.toml``;
5. writes the JSON report atomically.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
import sys
import time
import tomllib
from pathlib import Path
from typing import Any, TextIO

from aurora_e2d.rundir.artifacts import atomic_write_bytes
from aurora_gates.mutation.counts import (
    EQUIVALENTS_FILE,
    NOT_COUNTED_AGAINST,
    STATS_RELPATH,
    MutationError,
    load_equivalents,
    parse_results,
    parse_stats,
)
from aurora_gates.mutation.diffs import collect_diffs
from aurora_gates.mutation.process import run_until, tail
from aurora_gates.mutation.progress import Progress
from aurora_gates.mutation.score import DEFAULT_THRESHOLD, Mutant, MutationResult, check_threshold, evaluate

__all__ = ["DEFAULT_TIMEOUT_S", "MUTATION_ENV", "mutmut_version", "run_mutation"]

DEFAULT_TIMEOUT_S = 600  # a full e2d run measured 1.5 min on 2 loaded cores; 10 min means a hang
MUTMUT_MAJOR = 3
MUTATION_ENV = {
    "HYPOTHESIS_PROFILE": "mutation",  # registered by the package's tests conftest
    "PYTHONHASHSEED": "0",  # the fork server runs a mutant's tests in set order: fix it
    "PYTHONDONTWRITEBYTECODE": "",  # with Hypothesis, pytest re-rewrites asserts otherwise
    "PYTHONIOENCODING": "utf-8",  # mutant names contain 'ǁ' (method separator)
}


def mutmut_version() -> str | None:
    if importlib.util.find_spec("mutmut") is None:
        return None
    try:
        return importlib.metadata.version("mutmut")
    except importlib.metadata.PackageNotFoundError:
        return None


def _has_mutmut_config(package_dir: Path) -> bool:
    try:
        data = tomllib.loads((package_dir / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("tool", {}).get("mutmut"), dict)


def _check_mutmut(version: str | None, python: str, package_dir: Path) -> None:
    if version is None:
        raise MutationError(
            f"mutmut is not installed for {python} (install mutmut==3.8.1, see constraints.txt)"
        )
    if not version.startswith(f"{MUTMUT_MAJOR}."):
        raise MutationError(f"mutmut {version} installed; this gate needs mutmut {MUTMUT_MAJOR}.x")
    if not _has_mutmut_config(package_dir):
        raise MutationError(f"{package_dir / 'pyproject.toml'} has no [tool.mutmut] section")


def run_mutation(
    package_dir: Path,
    report_path: Path,
    threshold: float = DEFAULT_THRESHOLD,
    timeout_s: int = DEFAULT_TIMEOUT_S,
    *,
    equivalents_path: Path | None = None,
    progress: TextIO | None = None,
    python: str = sys.executable,
) -> MutationResult:
    """Run mutmut on ``package_dir`` from scratch, score it, write ``report_path``; never raises on failure."""
    started = time.monotonic()
    package_dir = Path(package_dir).resolve()
    report_path = Path(report_path).resolve()
    equivalents_path = (equivalents_path or package_dir / EQUIVALENTS_FILE).resolve()
    log_path = report_path.with_suffix(".log")
    version = mutmut_version()
    bar = Progress(progress, f"mutation {package_dir.name}")
    log_path.unlink(missing_ok=True)  # never point the report at a previous run's log

    def finish(passed: bool, reason: str, **kwargs: Any) -> MutationResult:
        bar.done()
        result = MutationResult(
            passed=passed,
            reason=reason,
            threshold=threshold,
            package=str(package_dir),
            duration_s=time.monotonic() - started,
            mutmut_version=version,
            log_path=str(log_path) if log_path.exists() else None,
            **kwargs,
        )
        text = json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n"
        atomic_write_bytes(report_path, text.encode("utf-8"))
        return result

    try:
        check_threshold(threshold)
        _check_mutmut(version, python, package_dir)
        equivalents = load_equivalents(equivalents_path)
        if (package_dir / "mutants").exists():
            shutil.rmtree(package_dir / "mutants")  # a fresh run every time: the cache can be stale
        env = {**os.environ, **MUTATION_ENV}
        deadline = started + timeout_s
        mutmut = [python, "-m", "mutmut"]

        def call(*args: str, log: TextIO | None = None, **kwargs: Any) -> str:
            code, output = run_until([*mutmut, *args], package_dir, env, deadline, log=log, **kwargs)
            if code != 0:
                raise MutationError(f"mutmut {' '.join(args)} exited {code}:\n{tail(output)}")
            return output

        bar.update(f"mutmut run (timeout {timeout_s} s)", force=True)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("w", encoding="utf-8") as log:
            call("run", log=log, on_output=bar.on_mutmut_output)
            bar.update("exporting stats", force=True)
            call("export-cicd-stats", log=log)
        stats = parse_stats(package_dir / STATS_RELPATH)
        if stats.total == 0:
            passed, reason, _, _ = evaluate(stats, threshold)
            return finish(passed, reason, stats=stats)

        statuses = parse_results(call("results", "--all", "true"))
        if len(statuses) != stats.total:
            raise MutationError(
                f"mutmut results lists {len(statuses)} mutants but its stats say {stats.total}"
            )
        against = sorted(name for name, status in statuses.items() if status not in NOT_COUNTED_AGAINST)

        bar.update(f"collecting {len(against)} surviving mutants' diffs", force=True)
        diffs = collect_diffs(against, python, package_dir, env, deadline)
        survivors = tuple(Mutant(n, statuses[n], diffs[n].strip("\n"), equivalents.get(n)) for n in against)
        stale = {name: reason for name, reason in equivalents.items() if name not in against}
        passed, reason, score, excluding = evaluate(
            stats, threshold, survivors=survivors, equivalents=equivalents
        )
        return finish(
            passed,
            reason,
            stats=stats,
            score=score,
            score_excluding_equivalent=excluding,
            survivors=survivors,
            stale_equivalents=stale,
        )
    except MutationError as exc:
        return finish(False, str(exc))
    except OSError as exc:
        return finish(False, f"{type(exc).__name__}: {exc}")
