"""Command latency: how fast `aurora` answers the commands an operator types (issue 17 item 4).

    python benchmarks/bench_cli.py [--repeats 3] [--json PATH] [--aurora CMD ...]

Figures only, no pass/fail. Each command runs as a fresh `aurora` process
(best of ``--repeats``; the load average is printed beside them, since a busy
2-core machine inflates every figure) against a short open-ended run on a cut
of the bundled data, built once in a temporary directory:

- ``--help``; ``kill`` / ``unkill`` on a run directory;
- ``status`` on the finished run (warm per-user cache, as every status after the first) and with
  that cache emptied before each try (a user's first status);
- a no-op ``advance`` (the same snapshot again: nothing new);
- a refused ``advance`` (a halted run: only ``aurora resume`` lifts a halt);
- ``advance`` and ``run`` with a snapshot directory that does not exist.

Each row prints the figure measured on main before this work (issue 17, the
same machine, best of 3, load average ~1-4), the target, and now.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

AURORA = [str(Path(sys.executable).parent / "aurora")]
# (name, before, target) in s. "before": main at 5de508b (before the lazy imports and the per-user
# memo of run/memo.py), measured with this script, best of 3, on the project's 2-core machine
# shared with other sessions: load average 5.5 (2.5 a minute earlier), so every figure is inflated.
# Issue 17's quiet-machine figures on older main (cd38524) were --help 0.29-0.32, kill 0.27-0.28,
# status 2.72-2.75, a no-op advance 2.19. The cold-cache status is the first status a user runs
# (nothing remembered yet): it derives the calendar and the decision dates as every status did before.
# `run` with a missing snapshot directory was measured by hand on 5de508b at load average 14-15
# (it loaded the whole stack before stage 1 said `snapshot.lock.json: missing`).
ROWS = [
    ("aurora --help", 0.52, 0.3),
    ("aurora kill --run-dir D", 0.55, 0.3),
    ("aurora unkill --run-dir D", 0.62, 0.3),
    ("aurora status (finished run)", 3.09, 0.5),
    ("aurora status (cold per-user cache)", 3.09, 1.0),
    ("aurora advance, nothing new", 1.43, 1.0),
    ("aurora advance, halted run (refused)", 1.35, 1.0),
    ("aurora advance, missing snapshot dir", 0.94, 1.0),
    ("aurora run, missing snapshot dir", 12.57, 1.0),
]


# Byte-code caching on, as an installed `aurora` has it (this machine exports PYTHONDONTWRITEBYTECODE).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
CACHE_ENV = "AURORA_CACHE_DIR"  # run/memo.py: a fresh per-user cache per bench, warmed by its first repeat


def _timed(argv: list[str], cwd: Path, prepare: Callable[[], None] | None, repeats: int) -> tuple[float, str]:
    best, last = float("inf"), ""
    for _ in range(repeats):
        if prepare is not None:
            prepare()
        start = time.perf_counter()
        proc = subprocess.run(
            argv, cwd=cwd, env=_ENV, capture_output=True, text=True, timeout=600, check=False
        )
        best = min(best, time.perf_counter() - start)
        last = f"exit {proc.returncode}: " + (proc.stderr or proc.stdout).strip().splitlines()[-1][:90]
    return best, last


def _fixtures(root: Path, aurora: list[str]) -> dict[str, Path]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packages" / "e2d" / "tests"))
    from _snapshots import cut_snapshot  # the daily-operation tests' own snapshot cutter

    cut1 = cut_snapshot(root / "cut1", dt.date(2013, 1, 15))
    cut2 = cut_snapshot(root / "cut2", dt.date(2013, 2, 1))
    done = root / "done"
    subprocess.run(
        [*aurora, "run", "--snapshot", cut1, "--run-dir", done, "--start", "2012-09-04"], check=True
    )
    halted = root / "halted"
    shutil.copytree(done, halted)
    subprocess.run([*aurora, "kill", "--run-dir", halted, "--reason", "bench"], check=True)
    subprocess.run([*aurora, "advance", "--run-dir", halted, "--snapshot", cut2], check=False)
    return {"cut1": cut1, "cut2": cut2, "done": done, "halted": halted}


def measure(aurora: list[str], repeats: int, fixtures: dict[str, Path], root: Path) -> dict[str, dict]:
    scratch = root / "scratch"

    def fresh(source: str) -> Callable[[], None]:
        def copy() -> None:
            shutil.rmtree(scratch, ignore_errors=True)
            shutil.copytree(fixtures[source], scratch)

        return copy

    def cold() -> None:
        shutil.rmtree(_ENV[CACHE_ENV], ignore_errors=True)

    def gone() -> None:
        shutil.rmtree(scratch, ignore_errors=True)

    cases = [
        ([*aurora, "--help"], None),
        ([*aurora, "kill", "--run-dir", str(fixtures["done"]), "--reason", "bench"], None),
        ([*aurora, "unkill", "--run-dir", str(fixtures["done"])], None),
        ([*aurora, "status", "--run-dir", str(fixtures["done"])], None),
        ([*aurora, "status", "--run-dir", str(fixtures["done"])], cold),
        ([*aurora, "advance", "--run-dir", str(scratch), "--snapshot", str(fixtures["cut1"])], fresh("done")),
        (
            [*aurora, "advance", "--run-dir", str(scratch), "--snapshot", str(fixtures["cut2"])],
            fresh("halted"),
        ),
        ([*aurora, "advance", "--run-dir", str(fixtures["done"]), "--snapshot", str(root / "missing")], None),
        ([*aurora, "run", "--run-dir", str(scratch), "--snapshot", str(root / "missing")], gone),
    ]
    results = {}
    for (name, before, target), (argv, prepare) in zip(ROWS, cases, strict=True):
        best, last = _timed(argv, root, prepare, repeats)
        results[name] = {"before_s": before, "target_s": target, "now_s": round(best, 3), "last": last}
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=Path("reports/bench-cli.json"), help="JSON output path")
    parser.add_argument("--aurora", nargs="+", default=AURORA, help="the command that runs aurora")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aurora-bench-cli-") as tmp:
        root = Path(tmp)
        _ENV[CACHE_ENV] = str(root / "cache")
        fixtures = _fixtures(root, AURORA)
        load = os.getloadavg()
        results = measure(args.aurora, args.repeats, fixtures, root)
    print(f"command latency, best of {args.repeats} (load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f})")
    print(f"{'command':40} {'before':>8} {'target':>8} {'now':>8}")
    for name, row in results.items():
        print(
            f"{name:40} {row['before_s']:>7.2f}s {row['target_s']:>7.2f}s {row['now_s']:>7.2f}s   {row['last']}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"load_average": load, "commands": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
