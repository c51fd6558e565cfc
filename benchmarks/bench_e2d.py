"""E2D data-stage benchmark: throughput and peak memory on SYNTHETIC universes and the real bundled data.

    python benchmarks/bench_e2d.py [--symbols 500 2000] [--years 10] [--repeats 3] [--quick] [--json PATH]

Figures only, no pass/fail: the targets (issue 3) are read off the output,
e.g. >= 2 million symbol-days/s for stage 5 with polars, memory growing
linearly with symbol-days, the full default run under 20 s.

- SYNTHETIC universes (``aurora_e2d.data.synthetic``; symbols ``SYN0000``...,
  every line about them says SYNTHETIC): stages 2 (sanity, strict), 3
  (sessions), 4 (corporate actions, total_return) and 5 (features, polars
  lazy), then the same features with ``compute_features_pandas`` in the same
  process, with the polars/pandas speed ratio and the largest difference
  between the two results. Each size runs in a fresh ``python`` subprocess, so
  its peak RSS is its own; the peak of each phase is measured by resetting the
  kernel's high-water mark (``/proc/self/clear_refs``) and reading
  ``resource.getrusage`` at the end of the phase.
- REAL bundled data (the pinned snapshot): each of stages 1-5 timed in a fresh
  subprocess, and the whole default ``aurora run`` wall, cold (new run
  directory: every stage computed) and warm (rerun in the same directory:
  stages reused from their checkpoints).
- Router (issue 4): ``aurora_router.bench.measure`` if it is importable.

Each measurement is repeated (``--repeats``) and reported as best and median:
other work on the machine makes single timings noisy. Children are started
with ``subprocess`` (fork+exec), never a bare fork: a process that has used
polars must not be forked (TOOLING.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _report import write_report

CHILD_TIMEOUT_S = 900
SYN = "SYNTHETIC"
REAL = "REAL bundled"


# --------------------------------------------------------------------------- measurement helpers


def _rss_mb() -> float:
    """Current resident set size (VmRSS), MB."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _maxrss_mb() -> float:
    """Peak RSS of this process so far (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> bool:
    """Reset the kernel's RSS high-water mark (Linux >= 4.0) so the next peak is this phase's own."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


class Phase:
    """A memory phase: its peak RSS (reset at the start when the kernel allows it)."""

    def __init__(self) -> None:
        self.reset = _reset_peak()
        self.start_mb = _rss_mb()

    def peak_mb(self) -> float:
        return _maxrss_mb()


def _timed(fn: Callable[[], Any], repeats: int) -> tuple[Any, dict[str, Any]]:
    """Run ``fn`` ``repeats`` times; keep the last result; return best/median seconds."""
    times, result = [], None
    for _ in range(repeats):
        result = None  # drop the previous output before the next run, so peaks hold one copy
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, {"best_s": min(times), "median_s": statistics.median(times), "runs_s": times}


def _rate(rows: int, timing: dict[str, Any]) -> dict[str, Any]:
    return {
        **timing,
        "rows": rows,
        "best_per_s": rows / timing["best_s"] if timing["best_s"] > 0 else float("inf"),
        "median_per_s": rows / timing["median_s"] if timing["median_s"] > 0 else float("inf"),
    }


# --------------------------------------------------------------------------- children


def child_synthetic(n_symbols: int, years: float, seed: int, repeats: int) -> dict[str, Any]:
    """Stages 2-5 (polars) and pandas features on one SYNTHETIC universe, in this fresh process."""
    import numpy as np
    import polars as pl

    from aurora_e2d.data.corpactions import Mode, normalise
    from aurora_e2d.data.sanity import run_sanity
    from aurora_e2d.data.sessions import attach_session_close
    from aurora_e2d.data.synthetic import generate_universe
    from aurora_e2d.research.features import FEATURE_COLUMNS, compute_features, compute_features_pandas

    out: dict[str, Any] = {"label": SYN, "polars_threads": pl.thread_pool_size()}
    memory: dict[str, Any] = {"after_imports_mb": _rss_mb()}

    phase = Phase()
    start = time.perf_counter()
    universe = generate_universe(n_symbols, years, seed=seed)
    out["generate_s"] = time.perf_counter() - start
    rows = universe.symbol_days
    memory["generate"] = {"peak_mb": phase.peak_mb(), "start_mb": phase.start_mb}
    memory["baseline_mb"] = baseline = _rss_mb()  # imports + calendar + the generated input
    out["universe"] = {
        "label": universe.label,
        "description": universe.describe(),
        "symbols": n_symbols,
        "years": years,
        "seed": seed,
        "sessions": len(universe.sessions.dates),
        "symbol_days": rows,
        "splits": int(np.sum(universe.actions.column("kind").to_numpy(zero_copy_only=False) == "split")),
        "dividends": int(
            np.sum(universe.actions.column("kind").to_numpy(zero_copy_only=False) == "dividend")
        ),
    }
    sessions = universe.sessions
    stages: dict[str, Any] = {}

    phase = Phase()
    clean, timing = _timed(
        lambda: run_sanity(universe.prices, "strict", sessions=sessions.dates, actions=universe.actions)[0],
        repeats,
    )
    stages["2_sanity"] = _rate(rows, timing)
    stamped, timing = _timed(lambda: attach_session_close(clean, sessions), repeats)
    stages["3_sessions"] = _rate(rows, timing)
    bars, timing = _timed(lambda: normalise(stamped, universe.actions, Mode.TOTAL_RETURN), repeats)
    stages["4_corpactions"] = _rate(rows, timing)
    features, timing = _timed(lambda: compute_features(bars), repeats)
    stages["5_features_polars"] = _rate(rows, timing)
    total_best = sum(stages[k]["best_s"] for k in stages)
    total_median = sum(stages[k]["median_s"] for k in stages)
    stages["2_5_total"] = _rate(rows, {"best_s": total_best, "median_s": total_median, "runs_s": []})
    peak = phase.peak_mb()
    memory["stages_2_5_polars"] = {
        "peak_mb": peak,
        "over_baseline_mb": peak - baseline,
        "over_baseline_mb_per_m_symbol_days": (peak - baseline) / (rows / 1e6),
        "reset": phase.reset,
    }
    clean = stamped = None  # free before the pandas phase

    # Same features with pandas, from the same bars; the conversion is timed on its own.
    start = time.perf_counter()
    bars_pd = bars.to_pandas()
    out["bars_to_pandas_s"] = time.perf_counter() - start
    bars = None
    phase = Phase()
    pandas_start = _rss_mb()
    features_pd, timing = _timed(lambda: compute_features_pandas(bars_pd), repeats)
    stages["5_features_pandas"] = _rate(rows, timing)
    peak = phase.peak_mb()
    memory["features_pandas"] = {
        "peak_mb": peak,
        "over_phase_start_mb": peak - pandas_start,
        "reset": phase.reset,
    }
    out["stages"] = stages
    out["features_ratio_polars_over_pandas"] = {
        "best": stages["5_features_pandas"]["best_s"] / stages["5_features_polars"]["best_s"],
        "median": stages["5_features_pandas"]["median_s"] / stages["5_features_polars"]["median_s"],
    }
    out["features_agreement"] = _agreement(features, features_pd, FEATURE_COLUMNS)
    memory["child_peak_mb"] = max(
        memory[k]["peak_mb"] for k in ("generate", "stages_2_5_polars", "features_pandas")
    )
    out["memory"] = memory
    return out


def _agreement(features: Any, features_pd: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    """How closely the pandas baseline reproduces the polars features (it is a baseline, not a twin)."""
    import numpy as np

    result: dict[str, Any] = {"rows_polars": features.height, "rows_pandas": len(features_pd)}
    if features.height != len(features_pd):
        return result
    same_keys = bool(
        (features["symbol"].to_numpy() == features_pd["symbol"].to_numpy()).all()
        and (features["date"].to_numpy() == features_pd["date"].to_numpy().astype("datetime64[D]")).all()
    )
    result["same_keys"] = same_keys
    worst = {}
    for name in (*columns, "label"):
        a = features[name].to_numpy().astype("float64")
        b = features_pd[name].to_numpy(dtype="float64", na_value=np.nan)
        both = np.isfinite(a) & np.isfinite(b)
        rel = np.abs(a[both] - b[both]) / np.maximum(np.abs(a[both]), 1e-3)
        worst[name] = {
            "max_abs": float(np.max(np.abs(a[both] - b[both]), initial=0.0)),
            "max_rel": float(np.max(rel, initial=0.0)),
            "nan_mismatch": int(np.sum(np.isfinite(a) != np.isfinite(b))),
        }
    result["columns"] = worst
    result["max_abs"] = max(v["max_abs"] for v in worst.values())
    return result


def child_real(repeats: int) -> dict[str, Any]:
    """Stages 1-5 on the REAL bundled snapshot, as the pipeline calls them, in this fresh process."""
    import polars as pl
    import pyarrow.compute as pc

    from aurora_e2d.data.corpactions import Mode, normalise
    from aurora_e2d.data.ingest import load_snapshot
    from aurora_e2d.data.sanity import run_sanity
    from aurora_e2d.data.sessions import attach_session_close, session_closes
    from aurora_e2d.research.features import compute_features, compute_features_pandas

    out: dict[str, Any] = {"label": REAL, "polars_threads": pl.thread_pool_size()}
    stages: dict[str, Any] = {}
    snapshot, timing = _timed(load_snapshot, repeats)
    rows = snapshot.prices.num_rows
    stages["1_ingest"] = _rate(rows, timing)
    first = pc.min(snapshot.prices.column("date")).as_py()
    last = pc.max(snapshot.prices.column("date")).as_py()
    start = time.perf_counter()
    closes = session_closes(first, last)  # cached in memory after the first call
    out["calendar_build_cold_s"] = time.perf_counter() - start
    clean, timing = _timed(
        lambda: run_sanity(snapshot.prices, "strict", sessions=closes.dates, actions=snapshot.actions)[0],
        repeats,
    )
    stages["2_sanity"] = _rate(rows, timing)
    stamped, timing = _timed(lambda: attach_session_close(clean, closes), repeats)
    stages["3_sessions"] = _rate(rows, timing)
    bars, timing = _timed(lambda: normalise(stamped, snapshot.actions, Mode.TOTAL_RETURN), repeats)
    stages["4_corpactions"] = _rate(rows, timing)
    _, timing = _timed(lambda: compute_features(bars), repeats)
    stages["5_features_polars"] = _rate(rows, timing)
    bars_pd = bars.to_pandas()
    _, timing = _timed(lambda: compute_features_pandas(bars_pd), repeats)
    stages["5_features_pandas"] = _rate(rows, timing)
    out["rows"] = rows
    out["stages"] = stages
    out["peak_rss_mb"] = _maxrss_mb()
    return out


def child_router() -> dict[str, Any]:
    """Issue 4's router figures, if its bench module is there."""
    try:
        from aurora_router.bench import measure
    except ImportError as exc:
        return {"available": False, "reason": f"aurora_router.bench not importable ({exc})"}
    start = time.perf_counter()
    result = measure()
    return {"available": True, "wall_s": time.perf_counter() - start, "result": result}


CHILDREN: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "synthetic": lambda a: child_synthetic(a.symbols[0], a.years, a.seed, a.repeats),
    "real": lambda a: child_real(a.repeats),
    "router": lambda a: child_router(),
}


# --------------------------------------------------------------------------- parent


def _run_child(kind: str, args: list[str]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter (fork+exec), its JSON through a temp file."""
    with tempfile.TemporaryDirectory(prefix="aurora-bench-e2d-") as tmp:
        result_path = Path(tmp) / "result.json"
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            kind,
            "--child-out",
            str(result_path),
        ]
        start = time.perf_counter()
        proc = subprocess.run(
            [*cmd, *args], capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False
        )
        wall = time.perf_counter() - start
        if proc.returncode != 0 or not result_path.is_file():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return {"error": f"child '{kind}' exited {proc.returncode}: " + " | ".join(tail), "wall_s": wall}
        result = json.loads(result_path.read_text())
        result["child_wall_s"] = wall
        return result


def _full_runs(repeats: int) -> dict[str, Any]:
    """Wall of the whole default ``aurora run`` on the REAL bundled data: cold and warm."""
    code = "import sys; from aurora_e2d.cli.app import main; sys.exit(main(sys.argv[1:]))"
    cold, warm = [], []
    with tempfile.TemporaryDirectory(prefix="aurora-bench-run-") as tmp:
        for i in range(repeats):
            run_dir = Path(tmp) / f"run{i}"
            for bucket in (cold, warm):  # first call computes every stage; the second reuses them
                start = time.perf_counter()
                proc = subprocess.run(
                    [sys.executable, "-c", code, "run", "--run-dir", str(run_dir)],
                    capture_output=True,
                    text=True,
                    timeout=CHILD_TIMEOUT_S,
                    check=False,
                    cwd=tmp,
                )
                bucket.append(time.perf_counter() - start)
                if proc.returncode != 0:
                    tail = (proc.stderr or proc.stdout).strip().splitlines()[-2:]
                    return {"error": f"aurora run exited {proc.returncode}: " + " | ".join(tail)}
    stats = lambda xs: {"best_s": min(xs), "median_s": statistics.median(xs), "runs_s": xs}  # noqa: E731
    return {"cold": stats(cold), "warm": stats(warm)}


# The scale runs trade a diversified book (20 names of the universe, 5 % each): the default top-2
# book on a SYNTHETIC market with no edge reaches the 25 % drawdown breaker and halts (exit 4),
# which would time a shorter run than the one asked for.
SCALE_CONFIG = "[decisions]\ntop_k = 20\nmax_weight = 0.05\n"
SCALE_TARGETS = {500: {"wall_s": 15.0, "peak_rss_mb": 1200.0}, 2000: {"wall_s": 45.0, "peak_rss_mb": 3000.0}}
DECISION_P99_TARGET_MS = 10.0


def _scale_runs(symbols: list[int], years: float, seed: int) -> list[dict[str, Any]]:
    """Whole `aurora run --snapshot` on SYNTHETIC universes: wall, peak RSS, decision latency, exit."""
    code = "import sys; from aurora_e2d.cli.app import main; sys.exit(main(sys.argv[1:]))"
    found = []
    with tempfile.TemporaryDirectory(prefix="aurora-bench-scale-") as tmp:
        config = Path(tmp) / "scale.toml"
        config.write_text(SCALE_CONFIG)
        for n in symbols:
            snapshot = Path(tmp) / f"syn{n}"
            made = subprocess.run(
                [sys.executable, "-c", code, "data", "synthetic", "--symbols", str(n), "--years", str(years),
                 "--seed", str(seed), "--out", str(snapshot)],
                capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False, cwd=tmp,
            )  # fmt: skip
            if made.returncode != 0:
                found.append({"symbols": n, "error": made.stderr.strip()[-300:]})
                continue
            run_dir = Path(tmp) / f"run{n}"
            start = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, "-c", code, "run", "--snapshot", str(snapshot), "--config", str(config),
                 "--run-dir", str(run_dir)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp,
            )  # fmt: skip
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            err = proc.stderr.read() if proc.stderr else ""
            summary = (
                json.loads((run_dir / "summary.json").read_text())
                if (run_dir / "summary.json").is_file()
                else {}
            )
            stages = {}
            trace = run_dir / "trace.jsonl"
            for line in trace.read_text().splitlines() if trace.is_file() else []:
                record = json.loads(line)
                if str(record.get("span", "")).startswith("stage:"):
                    stages[record["span"][6:]] = (
                        stages.get(record["span"][6:], 0.0) + record["duration_ms"] / 1e3
                    )
            perf = summary.get("performance", {})
            found.append(
                {
                    "symbols": n,
                    "years": years,
                    "exit": os.waitstatus_to_exitcode(status),
                    "error": err.strip().splitlines()[-1] if os.waitstatus_to_exitcode(status) else None,
                    "wall_s": wall,
                    "peak_rss_mb": usage.ru_maxrss / 1024.0,
                    "decision_p50_ms": perf.get("decision_latency_ms_p50"),
                    "decision_p99_ms": perf.get("decision_latency_ms_p99"),
                    "sessions": summary.get("sessions"),
                    "stages_s": stages,
                    "targets": SCALE_TARGETS.get(n),
                }
            )
    return found


def _print_scale(scale: list[dict[str, Any]], unit_s: float | None) -> None:
    p = lambda s="": print(f"[{SYN}] {s}".rstrip())  # noqa: E731
    p()
    unit = f"; x = multiples of the bundled full run ({unit_s:.1f} s)" if unit_s else ""
    p(f"whole `aurora run --snapshot` on SYNTHETIC universes (config: top 20, 5 % each){unit}")
    p(
        f"  {'symbols':>7} {'exit':>4} {'wall s':>8} {'x':>6} {'target s':>8} {'peak MB':>8} {'target MB':>9} {'p50 ms':>7} {'p99 ms':>7}"
    )
    for r in scale:
        if r.get("wall_s") is None:
            p(f"  {r['symbols']:>7} ERROR {r['error']}")
            continue
        t = r["targets"] or {}
        ratio = f"{r['wall_s'] / unit_s:6.2f}" if unit_s else "     -"
        p50, p99 = r["decision_p50_ms"], r["decision_p99_ms"]
        p(
            f"  {r['symbols']:>7} {r['exit']:>4} {r['wall_s']:8.1f} {ratio} {t.get('wall_s', float('nan')):8.0f} "
            f"{r['peak_rss_mb']:8.0f} {t.get('peak_rss_mb', float('nan')):9.0f} "
            f"{(p50 or float('nan')):7.2f} {(p99 or float('nan')):7.2f}"
        )
        p("          stages s: " + ", ".join(f"{k} {v:.1f}" for k, v in r["stages_s"].items()))
        if r["error"]:
            p(f"          {r['error']}")
    p(f"  decision step p99 target at 2,000 symbols: <= {DECISION_P99_TARGET_MS:g} ms")


def _fmt_rate(x: float) -> str:
    return f"{x / 1e6:7.2f} M/s" if x >= 1e5 else f"{x / 1e3:7.1f} k/s"


def _print_synthetic(results: list[dict[str, Any]]) -> None:
    p = lambda s="": print(f"[{SYN}] {s}".rstrip())  # noqa: E731  every line says SYNTHETIC
    p("E2D stages on SYNTHETIC universes (aurora_e2d.data.synthetic; symbols SYN0000..; not market data)")
    for r in results:
        if "error" in r:
            p(f"  ERROR {r['error']}")
            continue
        u = r["universe"]
        p()
        p(f"{u['description']}; generated in {r['generate_s']:.1f} s; polars threads {r['polars_threads']}")
        p(f"  {'stage':<24} {'best s':>8} {'median s':>9} {'best rate':>12} {'median rate':>12}")
        for key, name in (
            ("2_sanity", "2 sanity (strict)"),
            ("3_sessions", "3 sessions"),
            ("4_corpactions", "4 corp. actions (TR)"),
            ("5_features_polars", "5 features polars lazy"),
            ("2_5_total", "2-5 total"),
            ("5_features_pandas", "5 features pandas"),
        ):
            s = r["stages"][key]
            p(
                f"  {name:<24} {s['best_s']:8.3f} {s['median_s']:9.3f} "
                f"{_fmt_rate(s['best_per_s']):>12} {_fmt_rate(s['median_per_s']):>12}"
            )
        ratio = r["features_ratio_polars_over_pandas"]
        agree = r["features_agreement"]
        p(
            f"  features polars/pandas speed ratio: {ratio['best']:.1f}x best, {ratio['median']:.1f}x median "
            f"(pandas time / polars time); results agree to max abs {agree.get('max_abs', float('nan')):.2g}, "
            f"same keys {agree.get('same_keys')}"
        )
        m = r["memory"]
        s25 = m["stages_2_5_polars"]
        p(
            f"  peak RSS: stages 2-5 {s25['peak_mb']:.0f} MB ({s25['over_baseline_mb']:.0f} MB over the "
            f"{m['baseline_mb']:.0f} MB baseline of imports + input = "
            f"{s25['over_baseline_mb_per_m_symbol_days']:.0f} MB per M symbol-days); "
            f"generator {m['generate']['peak_mb']:.0f} MB; pandas features {m['features_pandas']['peak_mb']:.0f} MB"
        )
    ok = [r for r in results if "error" not in r]
    if len(ok) >= 2:
        p()
        p("linearity (largest vs smallest SYNTHETIC size):")
        a, b = ok[0], ok[-1]
        scale = b["universe"]["symbol_days"] / a["universe"]["symbol_days"]
        mem = (
            b["memory"]["stages_2_5_polars"]["over_baseline_mb"]
            / a["memory"]["stages_2_5_polars"]["over_baseline_mb"]
        )
        p(f"  symbol-days x{scale:.2f}; stages 2-5 memory over baseline x{mem:.2f}")
        for key in ("2_sanity", "3_sessions", "4_corpactions", "5_features_polars"):
            t = b["stages"][key]["best_s"] / a["stages"][key]["best_s"]
            p(f"  {key:<20} best time x{t:.2f}")


def _print_real(real: dict[str, Any], runs: dict[str, Any] | None) -> None:
    p = lambda s="": print(f"[{REAL}] {s}".rstrip())  # noqa: E731
    p()
    if "error" in real:
        p(f"ERROR {real['error']}")
    else:
        p(
            f"stages 1-5 on the pinned snapshot ({real['rows']:,} symbol-days); calendar build (cold, once) "
            f"{real['calendar_build_cold_s'] * 1e3:.0f} ms; peak RSS {real['peak_rss_mb']:.0f} MB"
        )
        p(f"  {'stage':<24} {'best ms':>9} {'median ms':>10} {'best rate':>12}")
        for key, s in real["stages"].items():
            p(
                f"  {key:<24} {s['best_s'] * 1e3:9.1f} {s['median_s'] * 1e3:10.1f} {_fmt_rate(s['best_per_s']):>12}"
            )
    if runs is None:
        p("full `aurora run`: skipped (--skip-full-run)")
    elif "error" in runs:
        p(f"full `aurora run`: ERROR {runs['error']}")
    else:
        p(
            f"full default `aurora run` wall (target < 20 s): cold (fresh run dir) best {runs['cold']['best_s']:.1f} s, "
            f"median {runs['cold']['median_s']:.1f} s; warm (rerun, stages reused) best {runs['warm']['best_s']:.1f} s, "
            f"median {runs['warm']['median_s']:.1f} s"
        )


def _print_router(router: dict[str, Any] | None) -> None:
    print()
    if router is None:
        print("[router] skipped (--skip-router)")
        return
    if "error" in router or not router.get("available"):
        print(f"[router] router bench is not available yet: {router.get('reason') or router.get('error')}")
        return
    res = router["result"]
    print(f"[router] aurora_router.bench.measure({res['n_orders']} orders), per order:")
    print(f"[router]   {'kill watch / path':<28} {'p50 us':>8} {'p99 us':>8} {'orders/s':>10}")
    for watch, paths in res.items():
        if not isinstance(paths, dict):
            continue
        for path, s in paths.items():
            print(
                f"[router]   {watch + ' / ' + path:<28} {s['p50_us']:8.1f} {s['p99_us']:8.1f} {s['orders_per_sec']:10.0f}"
            )


def _bench_executors(
    symbols: list[int], years: float, seed: int, repeats: int, json_path: Path
) -> dict[str, Any]:
    """Stages 2-5 with ``--executor local`` vs ``dask`` at 1 and 2 workers (DESIGN.md §9), on SYNTHETIC snapshots.

    Each measurement is a fresh interpreter that loads the snapshot and runs
    ``run_data_stages`` into a new run directory: wall of stages 2-5 (for
    dask including the cluster's start and close), the start alone and the
    map alone (from the trace), the driver's peak RSS (``RUSAGE_SELF``), the
    largest worker's (``RUSAGE_CHILDREN``, workers are joined on close), and
    the sha256 of bars.parquet and features.parquet, which must be the same
    for every executor. Prints its lines and writes ``json_path``.
    """
    child = """
import json, resource, sys, tempfile, time
from pathlib import Path
from aurora_e2d.rundir.config import RunConfig
from aurora_e2d.data.ingest import load_snapshot
from aurora_e2d.research.executors import ExecutorSpec
from aurora_e2d.research.pipeline import StageRunner, run_data_stages
from aurora_e2d.core.trace import Trace
snapshot_dir, kind, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
t0 = time.perf_counter()
snapshot = load_snapshot(Path(snapshot_dir))
load_s = time.perf_counter() - t0
spec = ExecutorSpec(kind=kind, workers=workers if kind == "dask" else None)
with tempfile.TemporaryDirectory(prefix="aurora-bench-exec-") as tmp:
    runner = StageRunner(Path(tmp), Trace(Path(tmp) / "trace.jsonl", "bench"))
    t0 = time.perf_counter()
    run_data_stages(runner, RunConfig(), snapshot, spec)
    wall = time.perf_counter() - t0
    spans = {s["span"]: s["duration_ms"] / 1e3 for s in map(json.loads, open(Path(tmp) / "trace.jsonl")) if s.get("event") == "span"}
    sha = {name: runner.outputs.sha256[name] for name in ("bars", "features")}
ru = lambda who: resource.getrusage(who).ru_maxrss / 1024
print(json.dumps({"load_s": load_s, "stages_2_5_s": wall, "start_s": spans.get("executor:start", 0.0),
                  "map_s": spans["stage:sanity"], "driver_peak_mb": ru(resource.RUSAGE_SELF),
                  "worker_peak_mb": ru(resource.RUSAGE_CHILDREN), "sha256": sha}))
"""
    executors = [("local", 0), ("dask", 1), ("dask", 2)]
    label = lambda kind, workers: "local" if kind == "local" else f"dask {workers}w"  # noqa: E731
    results: list[dict[str, Any]] = []
    print(
        f"\n[{SYN}] stages 2-5 by executor (local, dask 1 and 2 workers), {repeats} repeat(s) each, best of them"
    )
    with tempfile.TemporaryDirectory(prefix="aurora-bench-exec-snap-") as tmp:
        for n in symbols:
            snapshot = Path(tmp) / f"syn{n}"
            make = (
                "import sys; from pathlib import Path; from aurora_e2d.data.synthetic_snapshot import "
                "write_synthetic_snapshot as w; w(Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), seed=int(sys.argv[4]))"
            )
            subprocess.run(
                [sys.executable, "-c", make, str(snapshot), str(n), str(years), str(seed)],
                check=True,
                timeout=CHILD_TIMEOUT_S,
            )
            size: dict[str, Any] = {"symbols": n, "years": years, "seed": seed, "executors": {}}
            for kind, workers in executors:
                runs = []
                for _ in range(repeats):
                    proc = subprocess.run(
                        [sys.executable, "-c", child, str(snapshot), kind, str(workers)],
                        capture_output=True,
                        text=True,
                        timeout=CHILD_TIMEOUT_S,
                        check=False,
                    )
                    if proc.returncode != 0:
                        runs = [{"error": " | ".join(proc.stderr.strip().splitlines()[-3:])}]
                        break
                    runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
                ok = [r for r in runs if "error" not in r]
                best = min(ok, key=lambda r: r["stages_2_5_s"]) if ok else runs[0]
                size["executors"][label(kind, workers)] = {"best": best, "runs": runs}
            shas = {json.dumps(e["best"].get("sha256"), sort_keys=True) for e in size["executors"].values()}
            size["byte_identical"] = len(shas) == 1 and "null" not in shas
            results.append(size)
            print(
                f"[{SYN}] {n} symbols x {years:g} years: bars/features byte-identical across executors: {size['byte_identical']}"
            )
            print(
                f"[{SYN}]   {'executor':<9} {'2-5 s':>7} {'start s':>8} {'map s':>7} {'driver MB':>10} {'worker MB':>10}"
            )
            for name, e in size["executors"].items():
                b = e["best"]
                if "error" in b:
                    print(f"[{SYN}]   {name:<9} ERROR {b['error']}")
                    continue
                print(
                    f"[{SYN}]   {name:<9} {b['stages_2_5_s']:7.2f} {b['start_s']:8.2f} {b['map_s']:7.2f} "
                    f"{b['driver_peak_mb']:10.0f} {b['worker_peak_mb']:10.0f}"
                )
    report = {
        "benchmark": "e2d-executors",
        "note": "SYNTHETIC data; figures, not pass/fail",
        "cpus": os.cpu_count(),
        "load_avg_1m_at_end": os.getloadavg()[0],
        "sizes": results,
    }
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(f"[{SYN}] wrote {json_path}")
    return report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/bench_e2d.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--symbols", type=int, nargs="+", help="SYNTHETIC universe sizes (default 500 2000)")
    parser.add_argument("--years", type=float, help="years of XNYS sessions (default 10)")
    parser.add_argument("--repeats", type=int, help="runs per measurement; best and median (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 100 and 400 symbols x 2 years, 1 repeat, 1 full run"
    )
    parser.add_argument("--json", type=Path, default=Path("reports/bench-e2d.json"), help="JSON output path")
    parser.add_argument("--skip-full-run", action="store_true", help="do not time the whole `aurora run`")
    parser.add_argument("--skip-router", action="store_true", help="do not run the router bench")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.child:
        result = CHILDREN[args.child](args)
        args.child_out.write_text(json.dumps(result))
        return 0
    symbols = args.symbols or ([100, 400] if args.quick else [500, 2000])
    years = args.years or (2.0 if args.quick else 10.0)
    repeats = args.repeats or (1 if args.quick else 3)
    if min(symbols) < 1 or years <= 0 or repeats < 1:
        print("bench_e2d: --symbols, --years and --repeats must be positive", file=sys.stderr)
        return 2
    started = time.perf_counter()
    common = ["--years", str(years), "--seed", str(args.seed), "--repeats", str(repeats)]
    print(f"[{SYN}] E2D bench: {symbols} symbols x {years:g} years, {repeats} repeat(s), seed {args.seed}")
    synthetic = []
    for n in symbols:
        print(f"[{SYN}] measuring {n} symbols x {years:g} years in a fresh subprocess ...", flush=True)
        synthetic.append(_run_child("synthetic", ["--symbols", str(n), *common]))
    print(f"[{REAL}] measuring stages 1-5 in a fresh subprocess ...", flush=True)
    real = _run_child("real", ["--repeats", str(repeats)])
    runs = None
    if not args.skip_full_run:
        print(f"[{REAL}] timing the full `aurora run` (cold and warm) ...", flush=True)
        runs = _full_runs(1 if args.quick else min(repeats, 2))
    router = None if args.skip_router else _run_child("router", [])
    print(f"[{SYN}] whole runs at scale ...", flush=True)
    scale = _scale_runs(symbols, years, args.seed)
    print()
    _print_synthetic(synthetic)
    _print_real(real, runs)
    unit = None if runs is None or "error" in runs else runs["cold"]["best_s"]
    _print_scale(scale, unit)
    _print_router(router)
    _bench_executors(symbols, years, args.seed, repeats, args.json.with_name("bench-e2d-executors.json"))
    report = {
        "benchmark": "e2d",
        "note": "synthetic rows are SYNTHETIC data (aurora_e2d.data.synthetic), not market data; figures, not pass/fail",
        "targets": {"features_polars_symbol_days_per_s": 2e6, "full_run_wall_s": 20},
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "args": {
            "symbols": symbols,
            "years": years,
            "repeats": repeats,
            "seed": args.seed,
            "quick": args.quick,
        },
        "synthetic": synthetic,
        "real": {"stages": real, "full_run": runs},
        "scale_runs": scale,
        "router": router,
        "wall_s": time.perf_counter() - started,
    }
    write_report(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
