"""End-to-decision pipeline, trading engine, run orchestration, report and the aurora CLI.

Rooms by concept, each importing only the rooms below it (checked by the
import contracts in ``.importlinter``): ``cli`` > ``blessing`` > ``run``
(a run directory's life: run, resume, advance, levers, status, lock) >
``report`` > ``engine`` (stack, session loop, order planning, derived
artifacts, alerts) > ``research`` (features, model, decisions, stages) >
``data`` (snapshots, sanity, calendars, corporate actions) > ``rundir``
(config, identity, canonical artifacts, manifest, format) > ``core``
(errors, exit codes, trace, faults, signals, paths).

Importing this package pins OpenBLAS to its Haswell (AVX2) kernels on x86-64
machines that have AVX2, before numpy loads. OpenBLAS picks kernels by CPU at
start-up, and its AVX-512 kernels gave Ridge fits that differ in the last
bits (measured: another decisions.parquet hash on an AVX-512 Xeon than the
golden made on an AVX2 machine). Pinning the kernels makes artifacts
byte-identical across the machines a team and its CI actually use. An
explicit ``OPENBLAS_CORETYPE`` in the environment is respected.
"""

from __future__ import annotations

import sys

if sys.argv and sys.argv[0].rsplit("/", 1)[-1] == "aurora":  # the console script: guard start-up at once
    from aurora_e2d.launch import guard_start_up

    guard_start_up()

import os
import platform

BLAS_CORETYPE = "Haswell"


def _pin_blas_kernels() -> None:
    if platform.machine() not in {"x86_64", "AMD64"} or "OPENBLAS_CORETYPE" in os.environ:
        return
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            flags = next((line for line in handle if line.startswith("flags")), "")
    except OSError:
        return
    if " avx2" in flags and " fma" in flags:  # Haswell kernels need both
        os.environ["OPENBLAS_CORETYPE"] = BLAS_CORETYPE


_pin_blas_kernels()


def __getattr__(name: str) -> str:
    """``__version__`` on first use: importlib.metadata costs a tenth of `aurora --help`'s budget."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("aurora-e2d")
    except PackageNotFoundError:  # running from a source tree without installing
        found = "0.0.0+source"
    globals()["__version__"] = found
    return found


__all__ = ["BLAS_CORETYPE", "__version__"]
