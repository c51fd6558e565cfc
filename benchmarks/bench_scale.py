"""Whole `aurora run` at scale: wall, stage times and peak RSS beside the issue-21 targets.

    python benchmarks/bench_scale.py [--symbols 500 2000] [--years 10] [--big] [--executor dask]
                                     [--data-dir DIR] [--json PATH]

Each size is a SYNTHETIC snapshot (``aurora data synthetic``; symbols
``SYN0000``..., not market data) traded with the 20-name book
(``top_k = 20, max_weight = 0.05``: the default top-2 book reaches the
drawdown breaker on a market with no edge and would time a shorter run).
``--big`` adds 5,000 symbols x 20 years (long: minutes). The bundled 5-symbol
run is timed first and every wall is also given in that unit, so a figure
from a busy machine can still be compared with one from a quiet one.

Peak RSS is the run process's own (``wait4``'s ``ru_maxrss``) plus, for
``--executor dask``, the largest worker's. A sampler reads the process
tree's RSS every 50 ms; each stage's peak is the highest sample inside that
stage's trace span, which is the memory profile when a target is missed.

Timing targets judge a quiet machine: before each run the benchmark waits (up
to 90 s) for the load its previous run left to decay, prints the 1-minute load
average at the run's start and says UNFAIR when it was above half the cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from _report import write_report

CHILD_TIMEOUT_S = 3600
SYN = "SYNTHETIC"
SCALE_CONFIG = "[decisions]\ntop_k = 20\nmax_weight = 0.05\n"
# Issue 21: (symbols, years) -> targets. 5,000 x 20 has a memory target only; its time is reported.
TARGETS: dict[tuple[int, float], dict[str, float]] = {
    (500, 10.0): {"wall_s": 8.0, "peak_rss_mb": 800.0},
    (2000, 10.0): {"wall_s": 25.0, "peak_rss_mb": 1500.0},
    (5000, 20.0): {"peak_rss_mb": 8192.0},
}
CLI = "import sys; from aurora_e2d.cli.app import main; sys.exit(main(sys.argv[1:]))"
SAMPLE_S = 0.05


def _load() -> float:
    return os.getloadavg()[0]


SETTLE_S = 90.0  # at most this long for the load the previous run left behind to decay


def _settled_load() -> float:
    """The 1-minute load once it is under half the cores, waiting up to ``SETTLE_S`` for the
    benchmark's own previous run to fade from it (the average lags a minute); else the load then."""
    limit, waited = (os.cpu_count() or 1) / 2, 0.0
    while _load() > limit and waited < SETTLE_S:
        time.sleep(5.0)
        waited += 5.0
    return _load()


def _fair(load: float) -> str:
    limit = (os.cpu_count() or 1) / 2
    return "" if load <= limit else f"UNFAIR (load {load:.2f} > {limit:g}: the machine is busy)"


def _tree_rss_mb(pid: int) -> float:
    """RSS of ``pid`` and all its descendants (dask workers), MB, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
                        break
        except OSError:
            continue
    return total


class Sampler(threading.Thread):
    """Samples the process tree's RSS until the process ends: (unix time, MB) pairs."""

    def __init__(self, pid: int, tree: bool) -> None:
        super().__init__(daemon=True)
        self.pid, self.tree = pid, tree
        self.samples: list[tuple[float, float]] = []
        self.done = threading.Event()

    def _one(self) -> float:
        if self.tree:
            return _tree_rss_mb(self.pid)
        with open(f"/proc/{self.pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def run(self) -> None:
        while not self.done.is_set():
            try:
                self.samples.append((time.time(), self._one()))
            except OSError:
                return
            self.done.wait(SAMPLE_S)


def _run(cmd: list[str], cwd: Path, tree: bool) -> dict[str, Any]:
    """Run ``cmd``; wall, exit, peak RSS (own and children's), RSS samples, stderr's last line."""
    load = _settled_load()
    start = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=cwd, text=True)
        sampler = Sampler(proc.pid, tree)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        sampler.done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().strip().splitlines()[-1:] if proc.returncode else []
    sampled = max((mb for _, mb in sampler.samples), default=0.0)
    return {
        "exit": proc.returncode,
        "error": tail[0] if tail else None,
        "wall_s": wall,
        "peak_rss_mb": max(usage.ru_maxrss / 1024.0, sampled),
        "load_1m_at_start": load,
        "samples": sampler.samples,
    }


def _stages(run_dir: Path, samples: list[tuple[float, float]]) -> dict[str, dict[str, float]]:
    """Each ``stage:*`` span's seconds and the peak RSS sampled inside it."""
    stages: dict[str, dict[str, float]] = {}
    trace = run_dir / "trace.jsonl"
    for line in trace.read_text().splitlines() if trace.is_file() else []:
        record = json.loads(line)
        span = str(record.get("span", ""))
        if record.get("event") != "span" or not span.startswith("stage:"):
            continue
        t0 = datetime.fromisoformat(record["start"]).timestamp()
        t1 = t0 + record["duration_ms"] / 1e3
        inside = [mb for t, mb in samples if t0 <= t <= t1 + SAMPLE_S]
        entry = stages.setdefault(span[6:], {"s": 0.0, "peak_rss_mb": 0.0})
        entry["s"] += record["duration_ms"] / 1e3
        entry["peak_rss_mb"] = max(entry["peak_rss_mb"], max(inside, default=0.0))
    return stages


def _snapshot(data_dir: Path, symbols: int, years: float, seed: int) -> tuple[Path, float | None]:
    """A SYNTHETIC snapshot, made once per (symbols, years, seed) in ``data_dir``; seconds to make it."""
    path = data_dir / f"syn{symbols}x{years:g}s{seed}"
    if (path / "snapshot.lock").is_file() or (path.is_dir() and any(path.iterdir())):
        return path, None
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", CLI, "data", "synthetic", "--symbols", str(symbols), "--years", str(years),
         "--seed", str(seed), "--out", str(path)],
        check=True, capture_output=True, timeout=CHILD_TIMEOUT_S, cwd=data_dir,
    )  # fmt: skip
    return path, time.perf_counter() - start


def _bundled(tmp: Path) -> dict[str, Any]:
    """The bundled 5-symbol run, cold: the unit every wall is also given in."""
    result = _run([sys.executable, "-c", CLI, "run", "--run-dir", str(tmp / "bundled")], tmp, tree=False)
    result.pop("samples")
    return result


def measure(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    data_dir = args.data_dir or tmp
    data_dir.mkdir(parents=True, exist_ok=True)
    config = tmp / "scale.toml"
    config.write_text(SCALE_CONFIG)
    sizes = [(n, args.years) for n in args.symbols] + ([(5000, 20.0)] if args.big else [])
    print(f"[{SYN}] timing the bundled run (the unit) ...", flush=True)
    bundled = _bundled(tmp)
    runs = []
    for n, years in sizes:
        print(f"[{SYN}] {n} symbols x {years:g} years: snapshot ...", flush=True)
        snapshot, made_s = _snapshot(data_dir, n, years, args.seed)
        run_dir = tmp / f"run{n}x{years:g}"
        cmd = [sys.executable, "-c", CLI, "run", "--snapshot", str(snapshot), "--config", str(config),
               "--run-dir", str(run_dir), "--executor", args.executor]  # fmt: skip
        print(f"[{SYN}] {n} symbols x {years:g} years: aurora run --executor {args.executor} ...", flush=True)
        result = _run(cmd, tmp, tree=args.executor == "dask")
        result["stages"] = _stages(run_dir, result.pop("samples"))
        summary = run_dir / "summary.json"
        result["sessions"] = json.loads(summary.read_text()).get("sessions") if summary.is_file() else None
        result.update(symbols=n, years=years, snapshot_made_s=made_s, targets=TARGETS.get((n, years), {}))
        runs.append(result)
    return {"bundled": bundled, "runs": runs}


def _verdict(value: float, target: float | None) -> str:
    if target is None:
        return "(no target)"
    return "met" if value <= target else "MISSED"


def report(found: dict[str, Any], executor: str) -> None:
    p = lambda s="": print(f"[{SYN}] {s}".rstrip())  # noqa: E731  every line says SYNTHETIC
    b = found["bundled"]
    unit = b["wall_s"] if b["exit"] == 0 else None
    p()
    p(f"unit: bundled 5-symbol `aurora run` {b['wall_s']:.1f} s (exit {b['exit']}), "
      f"load {b['load_1m_at_start']:.2f} {_fair(b['load_1m_at_start'])}")  # fmt: skip
    p(f"whole runs, executor {executor}, 20-name book (SYNTHETIC universes, not market data)")
    p(f"  {'size':<14} {'wall s':>7} {'target':>7} {'x unit':>7} {'peak MB':>8} {'target':>7}  verdict")
    for r in found["runs"]:
        t = r["targets"]
        size = f"{r['symbols']} x {r['years']:g} y"
        ratio = f"{r['wall_s'] / unit:7.1f}" if unit else "      -"
        p(
            f"  {size:<14} {r['wall_s']:7.1f} {t.get('wall_s', float('nan')):7.1f} {ratio} "
            f"{r['peak_rss_mb']:8.0f} {t.get('peak_rss_mb', float('nan')):7.0f}  "
            f"time {_verdict(r['wall_s'], t.get('wall_s'))}, memory {_verdict(r['peak_rss_mb'], t.get('peak_rss_mb'))}"
        )
        p(f"  {'':<14} exit {r['exit']}, {r['sessions']} sessions, load {r['load_1m_at_start']:.2f} "
          f"{_fair(r['load_1m_at_start'])}")  # fmt: skip
        if r["error"]:
            p(f"  {'':<14} {r['error']}")
        p(f"  {'':<14} stage s (peak MB): " + ", ".join(
            f"{k} {v['s']:.1f} ({v['peak_rss_mb']:.0f})" for k, v in r["stages"].items()))  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/bench_scale.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--symbols", type=int, nargs="+", default=[500, 2000], help="universe sizes (500 2000)"
    )
    parser.add_argument("--years", type=float, default=10.0, help="years of sessions for --symbols (10)")
    parser.add_argument("--big", action="store_true", help="also 5,000 symbols x 20 years (long)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (0)")
    parser.add_argument("--executor", choices=("local", "dask"), default="local", help="what runs stages 2-5")
    parser.add_argument("--data-dir", type=Path, help="keep the SYNTHETIC snapshots here between benches")
    parser.add_argument(
        "--json", type=Path, default=Path("reports/bench-scale.json"), help="JSON output path"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if min(args.symbols) < 1 or args.years <= 0:
        print("bench_scale: --symbols and --years must be positive", file=sys.stderr)
        return 2
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="aurora-bench-scale-") as tmp:
        found = measure(args, Path(tmp))
    report(found, args.executor)
    out = {
        "benchmark": "e2d-scale",
        "note": "SYNTHETIC data (aurora_e2d.data.synthetic), not market data; figures beside targets",
        "executor": args.executor,
        "cpus": os.cpu_count(),
        "targets": {f"{n}x{y:g}": t for (n, y), t in TARGETS.items()},
        **found,
        "wall_s": time.perf_counter() - started,
    }
    write_report(args.json, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
