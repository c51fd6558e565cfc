"""Evening benchmark: `aurora advance` by one new session, figures beside the targets (issue 21).

    python benchmarks/bench_evening.py [--symbols 2000] [--years 10] [--seed 0] [--skip-batch] [--json PATH]

For the bundled data and each SYNTHETIC size: the snapshot is cut at its
second-to-last session (``aurora_e2d.data.snapshot_cut``), `aurora run`
trades that history, then `aurora advance` adds the last session. Reported:
the evening's wall and peak RSS (``wait4``), its stage spans from the run's
trace, whether stages 6-7 took the incremental path (trace event
``incremental``, with the reason when not), and -- unless ``--skip-batch`` --
whether every content artifact equals one batch run over the full snapshot
byte for byte. The unit is the bundled data's whole `aurora run` wall on
this machine. Targets: an evening <= 5 s and <= 1.5 GB at 2,000 symbols x 10
years, <= 1 s on the bundled data. Figures only, no pass/fail; the load
average is printed beside every figure (a busy machine inflates them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _report import write_report

TIMEOUT_S = 1800
SYN = "SYNTHETIC"
SCALE_CONFIG = "[decisions]\ntop_k = 20\nmax_weight = 0.05\n"  # the 20-name book (bench_e2d.py)
TARGETS = {"bundled": {"wall_s": 1.0}, 2000: {"wall_s": 5.0, "peak_rss_mb": 1500.0}}
CONTENT = ("bars", "features", "predictions", "decisions", "orders", "fills", "positions", "equity")
_CLI = "import sys; from aurora_e2d.cli.app import main; sys.exit(main(sys.argv[1:]))"
_CUT = (
    "import sys, datetime as dt; from pathlib import Path; "
    "from aurora_e2d.data.snapshot_cut import cut_snapshot_dir; from aurora_e2d.data import load_snapshot; "
    "import pyarrow.compute as pc; "
    "src = None if sys.argv[1] == '-' else Path(sys.argv[1]); snap = load_snapshot(src); "
    "days = sorted(pc.unique(snap.prices.column('date')).to_pylist()); "
    "from aurora_e2d.core.paths import snapshot_dir; "
    "cut_snapshot_dir(src or snapshot_dir(), Path(sys.argv[2]), days[-2]); "
    "cut_snapshot_dir(src or snapshot_dir(), Path(sys.argv[3]), days[-1]); print(days[-2], days[-1])"
)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _peak_child(args: list[str], cwd: Path) -> dict[str, Any]:
    """One CLI call in a fresh interpreter, reaped with ``wait4``: its wall, its own peak RSS, its exit."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _CLI, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    return {
        "exit": code,
        "wall_s": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024.0,
        "load": _load(),
        "tail": err.strip()[-300:] if code else "",
    }


def _evening_trace(run_dir: Path) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Stage spans and ``incremental`` events of the last invocation recorded in the trace."""
    lines = [json.loads(x) for x in (run_dir / "trace.jsonl").read_text().splitlines()]
    starts = [i for i, r in enumerate(lines) if r.get("event") == "ingest"]
    tail = lines[starts[-1] :] if starts else lines
    stages: dict[str, float] = {}
    for record in tail:
        if str(record.get("span", "")).startswith("stage:"):
            name = record["span"][6:]
            stages[name] = stages.get(name, 0.0) + record["duration_ms"] / 1e3
    events = [
        {k: v for k, v in r.items() if k not in ("run_id", "ts")}
        for r in tail
        if r.get("event") == "incremental"
    ]
    return stages, events


def _hashes(run_dir: Path) -> dict[str, str]:
    """Content artifacts and model exports by manifest sha256; skops files carry their own write
    time (zip entry dates), so no two runs' skops bytes agree and they are left out."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    return {
        name: entry["sha256"]
        for name, entry in manifest["artifacts"].items()
        if name in CONTENT or (name.startswith("models/") and not name.endswith(".skops"))
    }


def measure(label: str, source: str, tmp: Path, extra: list[str], batch: bool) -> dict[str, Any]:
    """Cut, run the history, advance one session; optionally one batch run to compare with."""
    before, after = tmp / f"{label}-before", tmp / f"{label}-after"
    cut = subprocess.run(
        [sys.executable, "-c", _CUT, source, str(before), str(after)],
        capture_output=True, text=True, timeout=TIMEOUT_S, check=False, cwd=tmp,
    )  # fmt: skip
    if cut.returncode != 0:
        return {"label": label, "error": cut.stderr.strip()[-300:]}
    run_dir = tmp / f"{label}-run"
    history = _peak_child(["run", "--snapshot", str(before), "--run-dir", str(run_dir), *extra], tmp)
    evening = _peak_child(["advance", "--run-dir", str(run_dir), "--snapshot", str(after)], tmp)
    stages, events = _evening_trace(run_dir)
    result: dict[str, Any] = {
        "label": label,
        "sessions": cut.stdout.split(),
        "history_run": history,
        "evening": evening,
        "evening_stages_s": stages,
        "incremental": events,
        "targets": TARGETS.get(label if label == "bundled" else int(label)),
    }
    if batch and evening["exit"] == 0:
        whole = tmp / f"{label}-batch"
        result["batch_run"] = _peak_child(
            ["run", "--snapshot", str(after), "--run-dir", str(whole), *extra], tmp
        )
        result["byte_identical"] = _hashes(run_dir) == _hashes(whole)
    return result


def _bundled_unit(tmp: Path) -> float | None:
    run = _peak_child(["run", "--run-dir", str(tmp / "unit-run")], tmp)
    return run["wall_s"] if run["exit"] == 0 else None


def _print(results: list[dict[str, Any]], unit: float | None) -> None:
    print(
        f"\nevening = `aurora advance` by one session; x = multiples of the bundled whole run ({unit or 0:.1f} s)"
    )
    print(
        f"  {'data':>9} {'wall s':>7} {'x':>6} {'target s':>8} {'peak MB':>8} {'target MB':>9}  identical  load"
    )
    for r in results:
        if "error" in r:
            print(f"  {r['label']:>9} ERROR {r['error']}")
            continue
        e, t = r["evening"], r["targets"] or {}
        ratio = f"{e['wall_s'] / unit:6.2f}" if unit else "     -"
        ident = r.get("byte_identical", "-")
        print(
            f"  {r['label']:>9} {e['wall_s']:7.1f} {ratio} {t.get('wall_s', float('nan')):8.1f} "
            f"{e['peak_rss_mb']:8.0f} {t.get('peak_rss_mb', float('nan')):9.0f}  {ident!s:>9}  {e['load']}"
        )
        if e["exit"]:
            print(f"            exit {e['exit']}: {e['tail']}")
        h = r["history_run"]
        print(f"            history run: {h['wall_s']:.1f} s, {h['peak_rss_mb']:.0f} MB (load {h['load']})")
        if "batch_run" in r:
            b = r["batch_run"]
            print(f"            batch run over the full data: {b['wall_s']:.1f} s, {b['peak_rss_mb']:.0f} MB")
        print(
            "            evening stages s: "
            + ", ".join(f"{k} {v:.2f}" for k, v in r["evening_stages_s"].items())
        )
        for ev in r["incremental"]:
            how = "incremental" if ev.get("used") else f"full ({ev.get('reason')})"
            print(f"            {ev.get('stage')}: {how}" + (f" {ev['notes']}" if ev.get("notes") else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/bench_evening.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--symbols", type=int, nargs="*", default=[2000], help="SYNTHETIC sizes (default 2000)"
    )
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-batch", action="store_true", help="no batch run to compare bytes with")
    parser.add_argument("--json", type=Path, default=Path("reports/bench-evening.json"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(
        f"evening bench: bundled + {SYN} {args.symbols} symbols x {args.years:g} years (load {_load()})",
        flush=True,
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="aurora-bench-evening-") as name:
        tmp = Path(name)
        (tmp / "scale.toml").write_text(SCALE_CONFIG)
        unit = _bundled_unit(tmp)
        results.append(measure("bundled", "-", tmp, ["--start", "2012-09-04"], not args.skip_batch))
        for n in args.symbols:
            print(f"[{SYN}] {n} symbols: generating, running the history, advancing ...", flush=True)
            snapshot = tmp / f"syn{n}"
            made = subprocess.run(
                [sys.executable, "-c", _CLI, "data", "synthetic", "--symbols", str(n), "--years", str(args.years),
                 "--seed", str(args.seed), "--out", str(snapshot)],
                capture_output=True, text=True, timeout=TIMEOUT_S, check=False, cwd=tmp,
            )  # fmt: skip
            if made.returncode != 0:
                results.append({"label": str(n), "error": made.stderr.strip()[-300:]})
                continue
            config = ["--config", str(tmp / "scale.toml")]
            results.append(measure(str(n), str(snapshot), tmp, config, not args.skip_batch))
    _print(results, unit)
    report = {
        "benchmark": "evening",
        "note": "SYNTHETIC sizes are not market data; figures, not pass/fail; see load per figure",
        "targets": {str(k): v for k, v in TARGETS.items()},
        "unit_bundled_run_s": unit,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "args": {"symbols": args.symbols, "years": args.years, "seed": args.seed},
        "results": results,
        "wall_s": time.perf_counter() - started,
    }
    write_report(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
