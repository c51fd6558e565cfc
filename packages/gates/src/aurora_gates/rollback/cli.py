"""``python -m aurora_gates.rollback`` (`nox -s rollback-test`): run it, write the report, exit 0/1/2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from aurora_e2d.core.exitcodes import ExitCode
from aurora_gates.evidence import REPORTS, Evidence
from aurora_gates.paths import project_root
from aurora_gates.reference import load_reference
from aurora_gates.rollback.runs import rollback_test
from aurora_safety import AuroraError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aurora_gates.rollback",
        description="The rollback-test: each flag changes the run; AURORA_ROLLBACK=1 restores the baseline byte for byte.",
    )
    parser.add_argument(
        "--work-dir", type=Path, default=Path("runs/rollback"), help="parent of the fresh run dirs"
    )
    parser.add_argument("--report", type=Path, default=Evidence(REPORTS).rollback, help="JSON report path")
    parser.add_argument(
        "--goldens",
        type=Path,
        default=None,
        help="pinned baseline hashes (default: the reference's goldens, aurora.toml [gates] goldens)",
    )
    parser.add_argument(
        "--no-goldens", action="store_true", help="do not compare the baseline with the goldens"
    )
    args = parser.parse_args(argv)
    root = project_root()
    try:
        reference = load_reference(root)  # every run is of the reference config on its snapshot
        goldens = None if args.no_goldens else (args.goldens or reference.metrics_path)
        report = rollback_test(
            root, args.work_dir.resolve(), goldens=goldens, extra_args=reference.run_args()
        )
    except AuroraError as error:
        print(f"rollback-test: error: {error}", file=sys.stderr)
        return ExitCode.BAD_INPUT
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
    return ExitCode.OK if report.passed else ExitCode.CHECK_FAILED
