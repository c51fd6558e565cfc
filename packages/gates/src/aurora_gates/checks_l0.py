"""L0 checks: run on every pull request against a real run's artifacts.

Each reads the files a real `aurora run` wrote and fails naming the artifact,
the column or row, and the reason. The drills in tests/test_checks_l0.py
break a real run the way production breaks and prove each check fails.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from aurora_e2d.core.errors import InputError
from aurora_e2d.data import DEFAULT_CALENDAR, load_lock, session_closes
from aurora_e2d.engine.catalog import ARTIFACTS, ArtifactSpec
from aurora_e2d.run import LOCK_FILE, load_run_config
from aurora_e2d.rundir.artifacts import sha256_file
from aurora_e2d.rundir.layout import BINDING_MEMO_FILE, MANIFEST_FILE, STAGES_FILE, TRACE_FILE
from aurora_gates.registry import REGISTRY, CheckFailed, GateContext, Level
from aurora_safety import KILL_FILE_NAME, ConfigError, effective_flags, load_declarations

# Files in a run directory that are operational logs or locks, not products:
# everything else must be listed (and hashed) in the manifest.
UNHASHED = frozenset(
    {
        MANIFEST_FILE,
        LOCK_FILE,
        TRACE_FILE,
        "alerts.jsonl",
        "log.jsonl",
        KILL_FILE_NAME,
        STAGES_FILE,
        BINDING_MEMO_FILE,  # the report's memo of each session's binding limits (a cache)
        "gate-l0.json",
        "metrics.prom",  # node_exporter textfile: wall times, rewritten by every command (issue 22)
    }
)
UNHASHED_SUFFIXES = ("-wal", "-shm", "-journal")
SNAPSHOT_LOCK = Path("goldens") / "snapshot" / "snapshot.lock.json"


def _manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / MANIFEST_FILE
    if not path.is_file():
        raise CheckFailed("manifest.json is missing", run_dir=str(run_dir))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise CheckFailed(f"manifest.json is not valid JSON: {error}", file=str(path)) from None


def _parquet_artifacts(run_dir: Path) -> list[tuple[ArtifactSpec, Path]]:
    manifest = _manifest(run_dir)
    listed = manifest.get("artifacts", {})
    found = []
    for name, spec in ARTIFACTS.items():
        if name not in listed:
            raise CheckFailed(f"{spec.file}: not listed in manifest.json", artifact=spec.file)
        path = run_dir / listed[name]["path"]
        if not path.is_file():
            raise CheckFailed(f"{spec.file}: missing from the run directory", artifact=spec.file)
        found.append((spec, path))
    return found


def _read(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise CheckFailed(f"{path.name}: unreadable Parquet ({error})", artifact=path.name) from None


@REGISTRY.register(
    "snapshot_integrity",
    Level.L0,
    "The run's own input snapshot (the bundled one pinned in goldens/, or the one it names) matches its "
    "lock and the manifest, and every file of the run matches manifest.json.",
)
def snapshot_integrity(ctx: GateContext) -> dict[str, Any]:
    run_dir = ctx.require_run_dir()
    manifest = _manifest(run_dir)
    directory, lock, lock_sha = _run_snapshot(ctx, run_dir)
    identity = manifest.get("snapshot_identity", {})
    if identity.get("lock_sha256") not in (None, lock_sha):
        raise CheckFailed(
            f"{directory}: snapshot.lock.json is not the lock the run used",
            manifest=identity.get("lock_sha256"),
            actual=lock_sha,
        )
    pinned = {name: entry["sha256"] for name, entry in lock["files"].items()}
    used = manifest.get("snapshot", {})
    if used != pinned:
        raise CheckFailed(
            "the run's input snapshot is not the one its lock pins", pinned=pinned, manifest=used
        )
    for name, sha in pinned.items():
        actual = sha256_file(directory / name)
        if actual != sha:
            raise CheckFailed(f"{directory / name}: sha256 differs from the lock", pinned=sha, actual=actual)
    listed = {entry["path"]: entry["sha256"] for entry in manifest.get("artifacts", {}).values()}
    for rel, sha in sorted(listed.items()):
        path = run_dir / rel
        if not path.is_file():
            raise CheckFailed(f"{rel}: listed in manifest.json but missing", artifact=rel)
        actual = sha256_file(path)
        if actual != sha:
            raise CheckFailed(
                f"{rel}: sha256 differs from manifest.json", artifact=rel, manifest=sha, actual=actual
            )
    unlisted = sorted(
        str(p.relative_to(run_dir))
        for p in run_dir.rglob("*")
        if p.is_file()
        and p.name not in UNHASHED
        and not p.name.endswith(UNHASHED_SUFFIXES)
        and str(p.relative_to(run_dir)) not in listed
    )
    if unlisted:
        raise CheckFailed("files in the run directory are not covered by manifest.json", files=unlisted)
    return {
        "artifacts_verified": len(listed),
        "snapshot": pinned,
        "snapshot_dir": str(directory),
        "calendar": identity.get("calendar", DEFAULT_CALENDAR),
    }


def _run_snapshot(ctx: GateContext, run_dir: Path) -> tuple[Path, dict[str, Any], str]:
    """The run's snapshot directory (the bundled one unless its config names another), lock and hash."""
    try:
        config = load_run_config(run_dir)
    except InputError as error:
        raise CheckFailed(str(error), run_dir=str(run_dir)) from None
    directory = (
        ctx.repo_root / SNAPSHOT_LOCK.parent if config.data.snapshot is None else Path(config.data.snapshot)
    )
    try:
        lock, lock_sha = load_lock(directory)
    except InputError as error:
        raise CheckFailed(f"the run's snapshot cannot be checked: {error}", snapshot=str(directory)) from None
    return directory, lock, lock_sha


@REGISTRY.register(
    "timezone",
    Level.L0,
    "Every timestamp is tz-aware UTC; bars.ts is the session close of its date on the run's calendar; "
    "keys are unique and ordered.",
)
def timezone(ctx: GateContext) -> dict[str, Any]:
    run_dir = ctx.require_run_dir()
    columns = 0
    for spec, path in _parquet_artifacts(run_dir):
        table = _read(path)
        for field in table.schema:
            if pa.types.is_timestamp(field.type):
                columns += 1
                if field.type.tz != "UTC":
                    raise CheckFailed(
                        f"{spec.file}: column '{field.name}' is not tz-aware UTC",
                        artifact=spec.file,
                        column=field.name,
                        type=str(field.type),
                    )
        _check_order(spec, table)
    bars = _read(run_dir / ARTIFACTS["bars"].file)
    dates = bars.column("date").to_numpy().astype("datetime64[D]")
    calendar = _manifest(run_dir).get("snapshot_identity", {}).get("calendar", DEFAULT_CALENDAR)
    closes = session_closes(_as_date(dates.min()), _as_date(dates.max()), calendar)
    position = np.searchsorted(closes.dates, dates).clip(0, len(closes.dates) - 1)
    not_session = closes.dates[position] != dates
    ts = bars.column("ts").cast(pa.timestamp("us", tz="UTC")).to_numpy(zero_copy_only=False)
    wrong = not_session | (closes.closes[position] != ts.astype("datetime64[us]"))
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise CheckFailed(
            f"bars.parquet: ts is not the {calendar} session close of its date",
            artifact="bars.parquet",
            row=i,
            symbol=bars.column("symbol")[i].as_py(),
            date=str(dates[i]),
            ts=str(ts[i]),
            expected=str(closes.closes[position[i]]) + "Z",
            rows_wrong=int(wrong.sum()),
        )
    return {"timestamp_columns": columns, "bars_checked": bars.num_rows}


def _check_order(spec: ArtifactSpec, table: pa.Table) -> None:
    """Rows sorted by the declared key, and the key unique (ts monotonic per symbol)."""
    if not spec.unique_by or table.num_rows < 2:
        return
    keys = table.select(list(spec.unique_by)).to_pylist()
    rows = [tuple(row.values()) for row in keys]
    for i in range(1, len(rows)):
        if not rows[i - 1] < rows[i]:
            raise CheckFailed(
                f"{spec.file}: rows not strictly ordered by {spec.unique_by} (duplicate or out of order)",
                artifact=spec.file,
                row=i,
                previous=str(rows[i - 1]),
                current=str(rows[i]),
            )


def _as_date(value: np.datetime64):
    return value.astype("datetime64[D]").astype(object)


@REGISTRY.register(
    "schema",
    Level.L0,
    "Each artifact has exactly its declared schema; features are float32; no NaN/inf where forbidden.",
)
def schema(ctx: GateContext) -> dict[str, Any]:
    run_dir = ctx.require_run_dir()
    rows = {}
    for spec, path in _parquet_artifacts(run_dir):
        actual = pq.read_schema(path).remove_metadata()
        expected = spec.schema.remove_metadata()
        if actual.names != expected.names:
            raise CheckFailed(
                f"{spec.file}: columns differ from the declared schema",
                artifact=spec.file,
                expected=expected.names,
                actual=actual.names,
            )
        for want, got in zip(expected, actual, strict=True):
            if want.type != got.type:
                raise CheckFailed(
                    f"{spec.file}: column '{want.name}' is {got.type}, declared {want.type}",
                    artifact=spec.file,
                    column=want.name,
                    expected=str(want.type),
                    actual=str(got.type),
                )
        table = _read(path)
        for name in spec.finite:
            column = table.column(name)
            bad = pc.invert(pc.is_finite(column)) if pa.types.is_floating(column.type) else None
            nulls = column.null_count
            if nulls or (bad is not None and pc.any(bad).as_py()):
                index = 0 if nulls else int(pc.index(bad, True).as_py())
                raise CheckFailed(
                    f"{spec.file}: column '{name}' has NaN/inf/null where forbidden",
                    artifact=spec.file,
                    column=name,
                    row=index,
                    value=_value(column, index),
                )
        rows[spec.file] = table.num_rows
    return {"rows": rows}


def _value(column: pa.ChunkedArray, index: int) -> str:
    value = column[index].as_py()
    return repr(value) if isinstance(value, float) and not math.isfinite(value) else str(value)


@REGISTRY.register(
    "flags",
    Level.L0,
    "Every declared flag defaults off with an ADR; the manifest's flags are what config and environment asked for.",
)
def flags(ctx: GateContext) -> dict[str, Any]:
    try:
        if ctx.flags_file is None:
            declarations = load_declarations()
        else:
            declarations = load_declarations(ctx.flags_file.read_text(encoding="utf-8"), str(ctx.flags_file))
    except ConfigError as error:
        raise CheckFailed(f"flag declarations refused: {error}") from None
    for flag in declarations:
        if flag.default is not False:
            raise CheckFailed(f"flag '{flag.name}' defaults to {flag.default}", flag=flag.name)
        if not (ctx.repo_root / flag.adr).is_file():
            raise CheckFailed(f"flag '{flag.name}': ADR {flag.adr} does not exist", flag=flag.name)
    run_dir = ctx.require_run_dir()
    manifest = _manifest(run_dir)
    asked = manifest.get("config", {}).get("flags", {})
    try:
        expected = effective_flags(asked, environ=ctx.environ, declarations=declarations)
    except ConfigError as error:
        raise CheckFailed(f"flags in the run's config or environment are invalid: {error}") from None
    recorded = manifest.get("flags")
    if recorded != expected:
        raise CheckFailed(
            "manifest.json flags differ from what config and environment ask for",
            manifest=recorded,
            expected=expected,
        )
    return {"declared": [f.name for f in declarations], "effective": expected}
