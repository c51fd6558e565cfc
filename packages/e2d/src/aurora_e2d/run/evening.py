"""The evening's quick answers: what `aurora advance` can decide before loading any stage.

A timer retries `aurora advance` every evening, and an operator types it by
hand when something is wrong; the answers that need no computation must not
wait for the model stack (issue 17: a no-op took 29 s, a refusal 17-27 s on
a busy machine). Decided here, from the run directory, the journal and the
snapshot's lock alone: a directory that holds no run, a run with a fixed
end, a snapshot directory that is missing or holds no snapshot, a halted run
(only `aurora resume` lifts a halt), and "nothing new" -- the same snapshot
the run last traded (its lock hash is in the run's manifest, its prices file
verified against the lock) whose newest session is already committed.
Everything else goes on to `advance_job`, which checks it all again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from aurora_e2d.core.errors import InputError
from aurora_e2d.core.paths import LOCK_NAME, check_snapshot_dir
from aurora_e2d.engine.halts import halt_refusal
from aurora_e2d.run.claim import CONFIG_FILE, last_committed, load_run_config
from aurora_e2d.run.lock import holder
from aurora_e2d.run.memo import remembered
from aurora_e2d.rundir.layout import MANIFEST_FILE

__all__ = ["Answer", "quick_advance"]

PRICES_FILE = "stocks.parquet"  # data.ingest.PRICES_FILE (not imported: it loads pyarrow's compute)


@dataclass(frozen=True)
class Answer:
    exit_code: int
    message: str


def quick_advance(run_dir: Path, snapshot_dir: Path) -> Answer | None:
    """An answer for `aurora advance` that needs no stage, or None to go on; bad input raises."""
    if not (run_dir / CONFIG_FILE).is_file():
        raise InputError(str(run_dir), "holds no Aurora run (no config.json); start one with `aurora run`")
    config = load_run_config(run_dir)
    if config.end is not None:
        raise InputError(
            str(run_dir),
            f"was started with --end {config.end}; daily operation needs an open-ended run (start one without --end)",
        )
    check_snapshot_dir(snapshot_dir)
    if holder(run_dir) is not None:
        return None  # a live writer: the full path names it (one writer per run directory)
    refused = halt_refusal(run_dir, "aurora advance")
    if refused is not None:
        return Answer(refused.exit_code, refused.message)
    last = _nothing_new_after(run_dir, snapshot_dir)
    if last is not None:
        return Answer(
            0,
            f"nothing to advance: {snapshot_dir} has no session after {last} (the run is up to date): {run_dir}",
        )
    return None


def _nothing_new_after(run_dir: Path, snapshot_dir: Path) -> date | None:
    """The last committed session when ``snapshot_dir`` is the snapshot the run last traded and holds
    no later session; None when that cannot be told cheaply (the full path decides then)."""
    try:
        manifest = json.loads((run_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
        recorded = manifest["snapshot_identity"]["lock_sha256"]
        lock_bytes = (snapshot_dir / LOCK_NAME).read_bytes()
        lock = json.loads(lock_bytes)
        prices_sha = lock["files"][PRICES_FILE]["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if hashlib.sha256(lock_bytes).hexdigest() != recorded:
        return None
    prices = snapshot_dir / PRICES_FILE
    try:
        if _file_sha256(prices) != prices_sha:
            return None  # damaged: the full path names it
        # Remembered by the verified content hash: pyarrow alone costs most of a no-op's budget.
        found = remembered("newest-date", {"sha256": prices_sha}, lambda: _newest_iso(prices))
        newest = None if found is None else date.fromisoformat(found)
    except OSError:
        return None
    last = last_committed(run_dir)
    return last if newest is not None and last is not None and newest <= last else None


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _newest_iso(prices: Path) -> str | None:
    newest = _newest_date(prices)
    return None if newest is None else newest.isoformat()


def _newest_date(prices: Path) -> date | None:
    """The largest ``date`` from the Parquet footer's statistics (no data page is read)."""
    import pyarrow.parquet as pq

    footer = pq.ParquetFile(prices)
    index = footer.schema_arrow.get_field_index("date")
    newest: date | None = None
    for group in range(footer.metadata.num_row_groups):
        stats = footer.metadata.row_group(group).column(index).statistics
        if stats is None or not stats.has_min_max or not isinstance(stats.max, date):
            return None
        newest = stats.max if newest is None else max(newest, stats.max)
    return newest
