"""L1 mutation testing: run mutmut 3 on a package, score it, gate on the score.

    python -m aurora_gates.mutation --package packages/e2d --report reports/mutation.json --threshold 0.8

What it does, in order, and why each step fails closed:

1. deletes ``<package>/mutants`` (mutmut's incremental cache kept a stale
   "survived" after a new test had killed that mutant: TOOLING.md);
2. runs ``python -m mutmut run`` as a subprocess *from the package directory*
   (mutmut reads ``[tool.mutmut]`` of ``./pyproject.toml`` at import time), in
   its own process group, under an overall wall-clock timeout: on expiry the
   whole group (mutmut, its fork server, the workers) is killed and the gate
   fails; a hang can never pass or block the nightly;
3. ``mutmut export-cicd-stats`` -> ``mutants/mutmut-cicd-stats.json``; the
   score is ``(killed + timeout) / (total - skipped)``, raw, with nothing
   subtracted; ``mutmut results --all true`` must list exactly ``total``
   mutants, and ``mutmut show NAME`` gives each non-killed mutant's diff;
4. reads ``<package>/mutation-equivalents.toml`` (``[equivalent]`` table,
   mutant name -> one-line reason) and reports ``score_excluding_equivalent``
   beside the raw score, which alone decides the gate;
5. writes the JSON report atomically (temp file + rename) and exits 0 only
   when the raw score reaches the threshold.

A missing mutmut, a mutmut crash, a timeout, missing or malformed stats, or
zero mutants (a vacuous pass) are all FAILED results with the reason, never a
skip. The mutation runs use the tests' Hypothesis profile ``mutation``
(``HYPOTHESIS_PROFILE=mutation``: derandomised, no deadline, no database).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import math
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "EQUIVALENTS_FILE",
    "STATS_RELPATH",
    "Mutant",
    "MutationError",
    "MutationResult",
    "MutationStats",
    "evaluate",
    "load_equivalents",
    "main",
    "parse_results",
    "parse_stats",
    "run_mutation",
]

DEFAULT_THRESHOLD = 0.8
DEFAULT_TIMEOUT_S = 600  # a full e2d run measured 1.5 min on 2 loaded cores; 10 min means a hang
STATS_RELPATH = Path("mutants") / "mutmut-cicd-stats.json"
EQUIVALENTS_FILE = "mutation-equivalents.toml"
MUTMUT_MAJOR = 3
# Counted as the score's numerator / excluded from its denominator (mutmut's own formula).
DETECTED = ("killed", "timeout")
# mutmut status words (``mutmut results``) of mutants that count against the score.
SURVIVED = "survived"
STATS_KEYS = (
    "killed",
    "survived",
    "total",
    "no_tests",
    "skipped",
    "suspicious",
    "timeout",
    "check_was_interrupted_by_user",
    "segfault",
)
NOT_COUNTED_AGAINST = {"killed", "timeout", "skipped"}  # every other status lowers the score
MUTATION_ENV = {
    "HYPOTHESIS_PROFILE": "mutation",  # registered by the package's tests conftest
    "PYTHONHASHSEED": "0",  # the fork server runs a mutant's tests in set order: fix it
    "PYTHONDONTWRITEBYTECODE": "",  # with Hypothesis, pytest re-rewrites asserts otherwise
    "PYTHONIOENCODING": "utf-8",  # mutant names contain 'ǁ' (method separator)
}
_PROGRESS = re.compile(r"(\d+)/(\d+)\s+\S+\s+(\d+)")  # "⠙ 743/763  🎉 679 ..." from mutmut's spinner
KNOWN_STATUSES = (
    "killed",
    "survived",
    "timeout",
    "skipped",
    "no tests",
    "suspicious",
    "segfault",
    "not checked",
    "caught by type check",
    "check was interrupted by user",
)
_RESULT_LINE = re.compile(r"^\s+(\S+): (" + "|".join(re.escape(s) for s in KNOWN_STATUSES) + r")\s*$")


class MutationError(Exception):
    """The mutation run could not produce a trustworthy result (the gate fails with this reason)."""


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class MutationStats:
    """The counts of ``mutmut export-cicd-stats``."""

    killed: int
    survived: int
    total: int
    no_tests: int = 0
    skipped: int = 0
    suspicious: int = 0
    timeout: int = 0
    check_was_interrupted_by_user: int = 0
    segfault: int = 0

    @property
    def denominator(self) -> int:
        return self.total - self.skipped

    @property
    def score(self) -> float | None:
        """(killed + timeout) / (total - skipped); None when nothing was tested (vacuous)."""
        if self.denominator <= 0:
            return None
        return (self.killed + self.timeout) / self.denominator

    def as_dict(self) -> dict[str, int]:
        return {key: getattr(self, key) for key in STATS_KEYS}


@dataclass(frozen=True)
class Mutant:
    """A mutant that counts against the score (survived, no tests, suspicious, ...)."""

    name: str
    status: str
    diff: str
    equivalent: str | None = None  # the reason from mutation-equivalents.toml, if listed

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "equivalent": self.equivalent, "diff": self.diff}


@dataclass(frozen=True)
class MutationResult:
    passed: bool
    reason: str  # why it failed, or a one-line statement of the pass
    threshold: float
    package: str
    stats: MutationStats | None = None
    score: float | None = None
    score_excluding_equivalent: float | None = None
    survivors: tuple[Mutant, ...] = ()  # every mutant counted against the score, with its diff
    stale_equivalents: Mapping[str, str] = field(default_factory=dict)  # listed but not surviving
    duration_s: float = 0.0
    mutmut_version: str | None = None
    log_path: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": "mutation",
            "passed": self.passed,
            "reason": self.reason,
            "package": self.package,
            "threshold": self.threshold,
            "score": self.score,
            "score_excluding_equivalent": self.score_excluding_equivalent,
            "formula": "(killed + timeout) / (total - skipped)",
            "counts": self.stats.as_dict() if self.stats else None,
            "survivors": [m.as_dict() for m in self.survivors],
            "equivalent": {m.name: m.equivalent for m in self.survivors if m.equivalent is not None},
            "stale_equivalents": dict(self.stale_equivalents),
            "duration_s": round(self.duration_s, 2),
            "mutmut_version": self.mutmut_version,
            "log": self.log_path,
        }


# --------------------------------------------------------------------------- parsing and scoring (pure)


def parse_stats(path: Path) -> MutationStats:
    """Read ``mutmut-cicd-stats.json``; ``MutationError`` if missing, malformed or inconsistent."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MutationError(f"mutmut wrote no stats file {path}") from None
    except (OSError, ValueError) as exc:
        raise MutationError(f"unreadable mutmut stats {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise MutationError(f"mutmut stats {path} is not a JSON object")
    missing = [key for key in ("killed", "survived", "total") if key not in raw]
    if missing:
        raise MutationError(f"mutmut stats {path} lack {', '.join(missing)}")
    values: dict[str, int] = {}
    for key in STATS_KEYS:
        value = raw.get(key, 0)
        if type(value) is not int or value < 0:  # bool is not a count either
            raise MutationError(f"mutmut stats {path}: '{key}' must be a count >= 0, was {value!r}")
        values[key] = value
    stats = MutationStats(**values)
    listed = sum(v for k, v in values.items() if k != "total")
    if listed > stats.total:
        raise MutationError(
            f"mutmut stats {path}: the counts add up to {listed}, more than total {stats.total}"
        )
    return stats


def parse_results(text: str) -> dict[str, str]:
    """``mutmut results --all true`` lines (``    name: status``) -> {name: status}."""
    statuses: dict[str, str] = {}
    for line in text.splitlines():
        match = _RESULT_LINE.match(line)
        if match:
            statuses[match.group(1)] = match.group(2)
    return statuses


def load_equivalents(path: Path) -> dict[str, str]:
    """The ``[equivalent]`` map (mutant name -> one-line reason); empty when the file does not exist."""
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MutationError(f"unreadable equivalents file {path}: {exc}") from None
    table = data.get("equivalent", {})
    if not isinstance(table, dict):
        raise MutationError(f"{path}: [equivalent] must be a table of mutant name -> reason")
    for name, reason in table.items():
        if not isinstance(reason, str) or not reason.strip() or "\n" in reason.strip():
            raise MutationError(f"{path}: the reason for {name!r} must be one non-empty line")
    return {name: reason.strip() for name, reason in table.items()}


def evaluate(
    stats: MutationStats,
    threshold: float,
    *,
    survivors: Sequence[Mutant] = (),
    equivalents: Mapping[str, str] | None = None,
) -> tuple[bool, str, float | None, float | None]:
    """(passed, reason, score, score_excluding_equivalent). The raw score alone decides."""
    if not 0.0 <= threshold <= 1.0:
        raise MutationError(f"threshold must be in [0, 1], was {threshold!r}")
    if stats.total == 0:
        return False, "mutmut generated 0 mutants: a vacuous run proves nothing", None, None
    score = stats.score
    if score is None:
        return False, f"all {stats.total} mutants were skipped: a vacuous run proves nothing", None, None
    equivalents = equivalents or {}
    n_equivalent = sum(1 for m in survivors if m.name in equivalents)
    remaining = stats.denominator - n_equivalent
    excluding = (stats.killed + stats.timeout) / remaining if remaining > 0 else None
    detected = stats.killed + stats.timeout
    if score >= threshold:
        return (
            True,
            f"score {score:.1%} >= {threshold:.0%} ({detected}/{stats.denominator} detected)",
            score,
            excluding,
        )
    return (
        False,
        f"score {score:.1%} < {threshold:.0%} ({detected}/{stats.denominator} detected, "
        f"{stats.denominator - detected} not)",
        score,
        excluding,
    )


# --------------------------------------------------------------------------- running mutmut


def mutmut_version() -> str | None:
    if importlib.util.find_spec("mutmut") is None:
        return None
    try:
        return importlib.metadata.version("mutmut")
    except importlib.metadata.PackageNotFoundError:
        return None


class _Progress:
    """One self-overwriting status line on a terminal; silent otherwise (CI logs stay clean)."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream if stream is not None and stream.isatty() else None
        self._last = 0.0

    def update(self, text: str, *, force: bool = False) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        if force or now - self._last >= 0.5:
            self._last = now
            self.stream.write(f"\r\x1b[2K  mutation: {text}")
            self.stream.flush()

    def done(self) -> None:
        if self.stream is not None:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: mutmut, fork server and workers
    proc.wait()


def _run(
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    deadline: float,
    *,
    log: TextIO | None = None,
    on_output: Callable[[str], None] | None = None,
) -> tuple[int, str]:
    """Run ``args``; return (exit code, output). ``MutationError`` at the deadline (group killed)."""
    proc = subprocess.Popen(
        list(args),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert proc.stdout is not None
    chunks: list[bytes] = []
    fd = proc.stdout.fileno()
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _kill_group(proc)
                raise MutationError(
                    f"'{' '.join(args[2:])}' did not finish before the overall timeout; killed"
                )
            readable, _, _ = select.select([fd], [], [], min(remaining, 1.0))
            if not readable:
                continue
            data = os.read(fd, 65536)
            if not data:
                break
            chunks.append(data)
            text = data.decode("utf-8", errors="replace")
            if log is not None:
                log.write(text)
            if on_output is not None:
                on_output(text)
        remaining = max(deadline - time.monotonic(), 0.1)
        try:
            code = proc.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise MutationError(
                f"'{' '.join(args[2:])}' did not exit before the overall timeout; killed"
            ) from None
    except BaseException:
        if proc.poll() is None:
            _kill_group(proc)
        raise
    finally:
        proc.stdout.close()
    return code, b"".join(chunks).decode("utf-8", errors="replace")


def _tail(text: str, lines: int = 25) -> str:
    cleaned = [line.rsplit("\r", 1)[-1] for line in text.splitlines()]
    return "\n".join(line for line in cleaned[-lines:] if line.strip())


def _write_atomic(path: Path, payload: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _has_mutmut_config(package_dir: Path) -> bool:
    try:
        data = tomllib.loads((package_dir / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("tool", {}).get("mutmut"), dict)


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
    bar = _Progress(progress)
    log_path.unlink(missing_ok=True)  # never point the report at a previous run's log

    def finish(passed: bool, reason: str, **kwargs: Any) -> MutationResult:
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
        _write_atomic(report_path, result.as_dict())
        return result

    try:
        if not 0.0 <= threshold <= 1.0:
            raise MutationError(f"threshold must be in [0, 1], was {threshold!r}")
        if version is None:
            raise MutationError(
                f"mutmut is not installed for {python} (install mutmut==3.8.1, see constraints.txt)"
            )
        if not version.startswith(f"{MUTMUT_MAJOR}."):
            raise MutationError(f"mutmut {version} installed; this gate needs mutmut {MUTMUT_MAJOR}.x")
        if not _has_mutmut_config(package_dir):
            raise MutationError(f"{package_dir / 'pyproject.toml'} has no [tool.mutmut] section")
        equivalents = load_equivalents(equivalents_path)

        if (package_dir / "mutants").exists():
            shutil.rmtree(package_dir / "mutants")  # a fresh run every time: the cache can be stale
        env = {**os.environ, **MUTATION_ENV}
        deadline = started + timeout_s
        mutmut = [python, "-m", "mutmut"]
        log_path.parent.mkdir(parents=True, exist_ok=True)

        def on_output(text: str) -> None:
            found = _PROGRESS.findall(text)
            if found:
                done, total, killed = found[-1]
                bar.update(f"{done}/{total} mutants tested, {killed} killed")

        bar.update(f"mutmut run in {package_dir.name} (timeout {timeout_s} s)", force=True)
        with log_path.open("w", encoding="utf-8") as log:
            code, output = _run([*mutmut, "run"], package_dir, env, deadline, log=log, on_output=on_output)
            if code != 0:
                raise MutationError(f"mutmut run exited {code}:\n{_tail(output)}")
            bar.update("exporting stats", force=True)
            code, output = _run([*mutmut, "export-cicd-stats"], package_dir, env, deadline, log=log)
            if code != 0:
                raise MutationError(f"mutmut export-cicd-stats exited {code}:\n{_tail(output)}")
        stats = parse_stats(package_dir / STATS_RELPATH)
        if stats.total == 0:
            passed, reason, _, _ = evaluate(stats, threshold)
            bar.done()
            return finish(passed, reason, stats=stats)

        code, output = _run([*mutmut, "results", "--all", "true"], package_dir, env, deadline)
        if code != 0:
            raise MutationError(f"mutmut results exited {code}:\n{_tail(output)}")
        statuses = parse_results(output)
        if len(statuses) != stats.total:
            raise MutationError(
                f"mutmut results lists {len(statuses)} mutants but its stats say {stats.total}"
            )
        against = sorted(name for name, status in statuses.items() if status not in NOT_COUNTED_AGAINST)

        def show(name: str) -> Mutant:
            code, output = _run([*mutmut, "show", name], package_dir, env, deadline)
            if code != 0:
                raise MutationError(f"mutmut show {name} exited {code}:\n{_tail(output)}")
            diff = output.split("\n", 1)[1] if output.startswith("# ") else output
            return Mutant(name, statuses[name], diff.strip("\n"), equivalents.get(name))

        bar.update(f"collecting {len(against)} surviving mutants' diffs", force=True)
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            survivors = tuple(pool.map(show, against))
        stale = {name: reason for name, reason in equivalents.items() if name not in against}
        passed, reason, score, excluding = evaluate(
            stats, threshold, survivors=survivors, equivalents=equivalents
        )
        bar.done()
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
        bar.done()
        return finish(False, str(exc))
    except OSError as exc:
        bar.done()
        return finish(False, f"{type(exc).__name__}: {exc}")


# --------------------------------------------------------------------------- CLI


def format_summary(result: MutationResult) -> str:
    verdict = "PASSED" if result.passed else "FAILED"
    lines = [f"mutation {verdict}: {result.reason}", f"  package   {result.package}"]
    if result.stats is not None:
        s = result.stats
        lines.append(
            f"  counts    killed {s.killed}, survived {s.survived}, timeout {s.timeout}, "
            f"skipped {s.skipped}, no tests {s.no_tests}, suspicious {s.suspicious}, "
            f"segfault {s.segfault}, total {s.total}"
        )
    if result.score is not None:
        excluding = result.score_excluding_equivalent
        excl = f"{excluding:.1%}" if excluding is not None and math.isfinite(excluding) else "n/a"
        lines.append(
            f"  score     {result.score:.1%} (threshold {result.threshold:.0%}); excluding equivalent mutants {excl}"
        )
    if result.survivors:
        unexplained = [m for m in result.survivors if m.equivalent is None]
        lines.append(
            f"  not killed ({len(result.survivors)}: {len(unexplained)} unexplained, "
            f"{len(result.survivors) - len(unexplained)} equivalent):"
        )
        for m in result.survivors:
            why = f"equivalent: {m.equivalent}" if m.equivalent else "UNEXPLAINED"
            lines.append(f"    {m.name} [{m.status}] {why}")
    if result.stale_equivalents:
        lines.append(
            f"  stale equivalents (listed, but killed or gone; update the file): {len(result.stale_equivalents)}"
        )
        lines.extend(f"    {name}" for name in sorted(result.stale_equivalents))
    lines.append(f"  duration  {result.duration_s:.1f} s (mutmut {result.mutmut_version or 'missing'})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aurora_gates.mutation", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--package", type=Path, required=True, help="package directory with [tool.mutmut]")
    parser.add_argument("--report", type=Path, default=Path("reports/mutation.json"))
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="minimum score in [0, 1]")
    parser.add_argument(
        "--timeout", type=int, default=DEFAULT_TIMEOUT_S, help="overall wall-clock limit, seconds"
    )
    parser.add_argument(
        "--equivalents", type=Path, default=None, help=f"default: <package>/{EQUIVALENTS_FILE}"
    )
    args = parser.parse_args(argv)
    try:
        result = run_mutation(
            args.package,
            args.report,
            threshold=args.threshold,
            timeout_s=args.timeout,
            equivalents_path=args.equivalents,
            progress=sys.stderr,
        )
    except OSError as exc:  # the report itself could not be written
        print(f"mutation FAILED: cannot write the report {args.report}: {exc}", file=sys.stderr)
        return 1
    print(format_summary(result))
    print(f"  report    {args.report}")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
