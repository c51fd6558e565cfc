"""``python -m aurora_gates.mutation``: run one or more packages, print a summary, exit 0 only if all pass."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from aurora_gates.evidence import mutation_report_name
from aurora_gates.mutation.counts import EQUIVALENTS_FILE
from aurora_gates.mutation.run import DEFAULT_TIMEOUT_S, run_mutation
from aurora_gates.mutation.score import DEFAULT_THRESHOLD, MutationResult
from aurora_gates.mutation.targets import target

__all__ = ["format_summary", "main", "threshold_for"]

USAGE = """\
python -m aurora_gates.mutation --package packages/e2d --package packages/safety --report-dir reports/l1
python -m aurora_gates.mutation --package packages/e2d --report reports/mutation.json --threshold 0.8"""


def threshold_for(package_dir: Path, override: float | None) -> float:
    """``--threshold`` if given, else the package's target (targets.py), else the default."""
    if override is not None:
        return override
    declared = target(Path(package_dir).resolve().name)
    return DEFAULT_THRESHOLD if declared is None else declared.threshold


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
            f"  score     {result.score:.1%} (threshold {result.threshold:.0%}); "
            f"excluding equivalent mutants {excl}"
        )
    if result.survivors:
        unexplained = result.unexplained
        lines.append(
            f"  not killed ({len(result.survivors)}: {len(unexplained)} unexplained, "
            f"{len(result.survivors) - len(unexplained)} equivalent):"
        )
        for m in result.survivors:
            why = f"equivalent: {m.equivalent}" if m.equivalent else "UNEXPLAINED"
            lines.append(f"    {m.name} [{m.status}] {why}")
    if result.stale_equivalents:
        lines.append(
            "  stale equivalents (listed, but killed or gone; update the file): "
            f"{len(result.stale_equivalents)}"
        )
        lines.extend(f"    {name}" for name in sorted(result.stale_equivalents))
    lines.append(f"  duration  {result.duration_s:.1f} s (mutmut {result.mutmut_version or 'missing'})")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aurora_gates.mutation",
        description="Mutation testing with mutmut 3: score each package, exit 1 if any is under its threshold.",
        usage=USAGE,
    )
    parser.add_argument(
        "--package",
        type=Path,
        action="append",
        required=True,
        help="package directory with [tool.mutmut]; repeat for several, run one after the other",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--report", type=Path, default=None, help="report file (one --package only)")
    where.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        help="writes mutation-<package>.json (and .log) per package here (default: reports)",
    )
    parser.add_argument(
        "--threshold", type=float, default=None, help="minimum score in [0, 1] (default: per package)"
    )
    parser.add_argument(
        "--timeout", type=int, default=DEFAULT_TIMEOUT_S, help="wall-clock limit per package, seconds"
    )
    parser.add_argument(
        "--equivalents",
        type=Path,
        default=None,
        help=f"one --package only (default: <package>/{EQUIVALENTS_FILE})",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    packages: list[Path] = args.package
    if len(packages) > 1 and (args.report is not None or args.equivalents is not None):
        parser.error("'--report' and '--equivalents' take one '--package'; use '--report-dir' for several")
    failed = 0
    for package in packages:
        report = args.report or args.report_dir / mutation_report_name(package.resolve().name)
        try:
            result = run_mutation(
                package,
                report,
                threshold=threshold_for(package, args.threshold),
                timeout_s=args.timeout,
                equivalents_path=args.equivalents,
                progress=sys.stderr,
            )
        except OSError as exc:  # the report itself could not be written
            print(f"mutation FAILED: cannot write the report {report}: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(format_summary(result))
        print(f"  report    {report}", flush=True)
        failed += not result.passed
    return 0 if failed == 0 else 1
