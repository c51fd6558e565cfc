"""The rollback-test: a flag changes the output, and `AURORA_ROLLBACK=1` undoes it byte for byte.

Runs the real `aurora run` in fresh run directories: once with every flag off
(the baseline), once per active flag with `AURORA_FLAG_<NAME>=1` (its
predictions or decisions must differ from the baseline: proof the flag does
something), and once per flag with `AURORA_FLAG_<NAME>=1 AURORA_ROLLBACK=1`
(every Parquet artifact must equal the baseline's byte for byte, and the
manifest must record every flag off). The baseline's decisions and fills must
also equal the hashes pinned in goldens/metrics.json. `nox -s rollback-test`
runs exactly this; docs/runbooks/rollback.md describes the same steps.

    python -m aurora_gates.rollback --work-dir runs/rollback --report reports/rollback-test.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aurora_e2d.artifacts import atomic_write_bytes, sha256_file
from aurora_e2d.manifest import MANIFEST
from aurora_gates.paths import repo_root as find_repo_root
from aurora_gates.ratchet import BASELINE_ARTIFACTS, GOLDENS, RatchetError, load_goldens
from aurora_gates.runner import git_revision
from aurora_safety import AuroraError, FlagStatus, load_declarations

__all__ = [
    "DIFFER_ARTIFACTS",
    "RollbackError",
    "RollbackReport",
    "RunRecord",
    "Verdict",
    "flag_differs",
    "golden_matches",
    "main",
    "parquet_hashes",
    "rollback_identical",
    "rollback_test",
]

ROLLBACK_ENV = "AURORA_ROLLBACK"
FLAG_ENV_PREFIX = "AURORA_FLAG_"
# A flag must change at least one of these, or it does nothing we can see.
DIFFER_ARTIFACTS = ("predictions", "decisions")
RUN_TIMEOUT_SECS = 1800.0
EXIT_OK = 0
# A flag-on run halted by a circuit breaker (exit 4) still committed its
# artifacts: the candidate behaved differently, which is what is being proved.
EXIT_BREAKER = 4


class RollbackError(AuroraError, ValueError):
    """A run directory that cannot be read as a run (no manifest, a listed artifact missing)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """One `aurora run` of the test and what it produced."""

    name: str  # baseline, flag-<name>, rollback-<name>
    env: Mapping[str, str]  # the AURORA_* variables set for this run
    run_dir: str
    exit_code: int
    duration_s: float
    flags: Mapping[str, bool] = field(default_factory=dict)  # as recorded in manifest.json
    hashes: Mapping[str, str] = field(default_factory=dict)  # Parquet artifact -> sha256 of the file
    error: str | None = None  # why the run or reading its directory failed


@dataclass(frozen=True, slots=True)
class Verdict:
    name: str
    passed: bool
    reason: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


def _manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RollbackError(f"{path}: manifest.json does not exist") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise RollbackError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("artifacts"), dict):
        raise RollbackError(f"{path}: has no 'artifacts' object")
    return data


def parquet_hashes(run_dir: Path) -> dict[str, str]:
    """sha256 of every Parquet artifact the manifest lists, hashed from the files themselves.

    Only Parquet artifacts are content-hashed products; config.json carries the
    run id and model files are covered by the predictions they produce.
    """
    hashes = {}
    for name, entry in sorted(_manifest(run_dir)["artifacts"].items()):
        rel = entry.get("path", "") if isinstance(entry, Mapping) else ""
        if not str(rel).endswith(".parquet"):
            continue
        path = run_dir / rel
        if not path.is_file():
            raise RollbackError(f"{path}: artifact '{name}' is listed in manifest.json but missing")
        hashes[name] = sha256_file(path)
    if not hashes:
        raise RollbackError(f"{run_dir / MANIFEST}: lists no Parquet artifact")
    return hashes


def manifest_flags(run_dir: Path) -> dict[str, bool]:
    flags = _manifest(run_dir).get("flags")
    if not isinstance(flags, dict):
        raise RollbackError(f"{run_dir / MANIFEST}: has no 'flags' object")
    return flags


def _broken(*records: RunRecord) -> str | None:
    for record in records:
        if record.error is not None:
            return f"run '{record.name}' failed: {record.error}"
    return None


def flag_differs(flag: str, baseline: RunRecord, flagged: RunRecord) -> Verdict:
    """With the flag on, the manifest records it on and predictions or decisions differ."""
    name = f"flag-{flag}-differs"
    if (broken := _broken(baseline, flagged)) is not None:
        return Verdict(name, False, broken)
    if flagged.flags.get(flag) is not True:
        return Verdict(
            name,
            False,
            f"run '{flagged.name}': manifest.json records flag '{flag}' as {flagged.flags.get(flag)!r}, not True",
            {"flags": dict(flagged.flags)},
        )
    compared = {
        a: {"baseline": baseline.hashes.get(a), "flag": flagged.hashes.get(a)} for a in DIFFER_ARTIFACTS
    }
    absent = [a for a, h in compared.items() if h["baseline"] is None or h["flag"] is None]
    if absent:
        return Verdict(name, False, f"artifact '{absent[0]}' is missing from a run, cannot compare", compared)
    differing = [a for a, h in compared.items() if h["baseline"] != h["flag"]]
    if not differing:
        return Verdict(
            name,
            False,
            f"flag '{flag}' changed none of {', '.join(DIFFER_ARTIFACTS)}: the flag does nothing visible",
            compared,
        )
    return Verdict(
        name, True, "", {"differing": differing, "flag_run_exit_code": flagged.exit_code, **compared}
    )


def rollback_identical(flag: str | None, baseline: RunRecord, rolled: RunRecord) -> Verdict:
    """With AURORA_ROLLBACK=1, every flag is recorded off and every Parquet artifact equals the baseline."""
    name = f"rollback-{flag}-identical" if flag is not None else "rollback-identical"
    if (broken := _broken(baseline, rolled)) is not None:
        return Verdict(name, False, broken)
    on = sorted(f for f, value in rolled.flags.items() if value is not False)
    if on or not rolled.flags:
        return Verdict(
            name,
            False,
            f"run '{rolled.name}': manifest.json records flags {on} on under {ROLLBACK_ENV}=1"
            if on
            else f"run '{rolled.name}': manifest.json records no flags",
            {"flags": dict(rolled.flags)},
        )
    names = sorted(set(baseline.hashes) | set(rolled.hashes))
    differing = {
        a: {"baseline": baseline.hashes.get(a), "rollback": rolled.hashes.get(a)}
        for a in names
        if baseline.hashes.get(a) != rolled.hashes.get(a)
    }
    if differing:
        first = next(iter(differing))
        return Verdict(
            name,
            False,
            f"run '{rolled.name}': {first} differs from the baseline byte for byte"
            + (f" (and {len(differing) - 1} more)" if len(differing) > 1 else ""),
            {"differing": differing},
        )
    return Verdict(name, True, "", {"identical": names})


def golden_matches(baseline: RunRecord, pinned: Mapping[str, str], source: str = str(GOLDENS)) -> Verdict:
    """The baseline's decisions and fills equal the flags-off hashes pinned in the goldens."""
    name = "baseline-matches-golden"
    if (broken := _broken(baseline)) is not None:
        return Verdict(name, False, broken)
    compared = {a: {"golden": pinned.get(a), "baseline": baseline.hashes.get(a)} for a in BASELINE_ARTIFACTS}
    for artifact, pair in compared.items():
        if pair["golden"] is None:
            return Verdict(
                name,
                False,
                f"{source}: no baseline hash pinned for '{artifact}' (`aurora ratchet --update`)",
                compared,
            )
        if pair["golden"] != pair["baseline"]:
            return Verdict(
                name, False, f"baseline {artifact} differs from the hash pinned in {source}", compared
            )
    return Verdict(name, True, "", compared)


def _aurora_command() -> list[str]:
    exe = shutil.which("aurora", path=str(Path(sys.executable).parent)) or shutil.which("aurora")
    return [exe] if exe is not None else [sys.executable, "-m", "aurora_e2d.cli"]


def _run(
    name: str,
    run_dir: Path,
    overrides: Mapping[str, str],
    *,
    cwd: Path,
    base_env: Mapping[str, str],
    command: Sequence[str],
    extra_args: Sequence[str],
    accept: frozenset[int] = frozenset({EXIT_OK}),
) -> RunRecord:
    if run_dir.exists():
        shutil.rmtree(run_dir)  # a fresh directory each time: nothing reused from a stale run
    env = {**base_env, **overrides}
    started = time.perf_counter()
    try:
        result = subprocess.run(
            [*command, "run", "--run-dir", str(run_dir), *extra_args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_SECS,
        )
        code, output = result.returncode, (result.stderr.strip() or result.stdout.strip())
    except subprocess.TimeoutExpired:
        code, output = -1, f"timed out after {RUN_TIMEOUT_SECS:.0f} s"
    except OSError as error:
        code, output = -1, f"cannot start {command[0]!r}: {error}"
    duration = round(time.perf_counter() - started, 3)
    record = {
        "name": name,
        "env": dict(overrides),
        "run_dir": str(run_dir),
        "exit_code": code,
        "duration_s": duration,
    }
    if code not in accept:
        tail = output.splitlines()[-1] if output else ""
        return RunRecord(**record, error=f"`aurora run` exited {code}: {tail}")
    try:
        return RunRecord(**record, flags=manifest_flags(run_dir), hashes=parquet_hashes(run_dir))
    except RollbackError as error:
        return RunRecord(**record, error=str(error))


@dataclass(frozen=True)
class RollbackReport:
    revision: str | None
    flags: Sequence[str]
    runs: Sequence[RunRecord]
    verdicts: Sequence[Verdict]
    duration_s: float

    @property
    def passed(self) -> bool:
        return bool(self.verdicts) and all(v.passed for v in self.verdicts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "passed": self.passed,
            "flags": list(self.flags),
            "runs": {r.name: asdict(r) for r in self.runs},
            "verdicts": [asdict(v) for v in self.verdicts],
            "duration_s": self.duration_s,
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(
            path, (json.dumps(self.as_dict(), indent=2, sort_keys=True, default=str) + "\n").encode()
        )


def active_flags() -> list[str]:
    return sorted(d.name for d in load_declarations() if d.status is FlagStatus.ACTIVE)


def rollback_test(
    repo_root: Path,
    work_dir: Path,
    *,
    flags: Sequence[str] | None = None,
    goldens: Path | None = None,
    environ: Mapping[str, str] | None = None,
    command: Sequence[str] | None = None,
    extra_args: Sequence[str] = (),
) -> RollbackReport:
    """Run baseline, flag-on and rollback runs; every verdict must pass.

    ``flags`` defaults to every active declared flag. With none, the test still
    proves that `AURORA_ROLLBACK=1` leaves the baseline unchanged. ``goldens``
    (goldens/metrics.json) pins the baseline's decisions and fills; None skips that.
    """
    started = time.perf_counter()
    flags = active_flags() if flags is None else sorted(flags)
    source = os.environ if environ is None else environ
    # A stray AURORA_FLAG_* or AURORA_ROLLBACK in the caller's shell would spoil the baseline.
    base_env = {k: v for k, v in source.items() if not k.startswith(FLAG_ENV_PREFIX) and k != ROLLBACK_ENV}
    options = {
        "cwd": repo_root,
        "base_env": base_env,
        "command": list(command) if command is not None else _aurora_command(),
        "extra_args": list(extra_args),
    }
    baseline = _run("baseline", work_dir / "baseline", {}, **options)
    runs, verdicts = [baseline], []
    if goldens is not None:
        try:
            pinned = load_goldens(goldens).baseline_hashes
        except RatchetError as error:
            verdicts.append(Verdict("baseline-matches-golden", False, str(error)))
        else:
            verdicts.append(golden_matches(baseline, pinned, str(goldens)))
    for flag in flags:
        variable = FLAG_ENV_PREFIX + flag.upper()
        flagged = _run(
            f"flag-{flag}",
            work_dir / f"flag-{flag}",
            {variable: "1"},
            accept=frozenset({EXIT_OK, EXIT_BREAKER}),
            **options,
        )
        rolled = _run(
            f"rollback-{flag}", work_dir / f"rollback-{flag}", {variable: "1", ROLLBACK_ENV: "1"}, **options
        )
        runs += [flagged, rolled]
        verdicts += [flag_differs(flag, baseline, flagged), rollback_identical(flag, baseline, rolled)]
    if not flags:
        rolled = _run("rollback", work_dir / "rollback", {ROLLBACK_ENV: "1"}, **options)
        runs.append(rolled)
        verdicts.append(rollback_identical(None, baseline, rolled))
    return RollbackReport(
        revision=git_revision(repo_root),
        flags=flags,
        runs=runs,
        verdicts=verdicts,
        duration_s=round(time.perf_counter() - started, 3),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aurora_gates.rollback",
        description="The rollback-test: each flag changes the run; AURORA_ROLLBACK=1 restores the baseline byte for byte.",
    )
    parser.add_argument(
        "--work-dir", type=Path, default=Path("runs/rollback"), help="parent of the fresh run dirs"
    )
    parser.add_argument(
        "--report", type=Path, default=Path("reports/rollback-test.json"), help="JSON report path"
    )
    parser.add_argument(
        "--goldens", type=Path, default=None, help=f"pinned baseline hashes (default <repo>/{GOLDENS})"
    )
    parser.add_argument(
        "--no-goldens", action="store_true", help="do not compare the baseline with the goldens"
    )
    args = parser.parse_args(argv)
    root = find_repo_root()
    goldens = None if args.no_goldens else (args.goldens or root / GOLDENS)
    try:
        report = rollback_test(root, args.work_dir.resolve(), goldens=goldens)
    except AuroraError as error:
        print(f"rollback-test: error: {error}", file=sys.stderr)
        return 2
    report.write(args.report)
    for record in report.runs:
        print(f"run {record.name:<28} exit {record.exit_code}  {record.duration_s:7.1f} s  {record.run_dir}")
    for verdict in report.verdicts:
        print(
            f"{'pass' if verdict.passed else 'FAIL'}  {verdict.name}"
            + (f": {verdict.reason}" if verdict.reason else "")
        )
    print(
        f"rollback-test: {'PASSED' if report.passed else 'FAILED'} (revision {report.revision}); wrote {args.report}"
    )
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
