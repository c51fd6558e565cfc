"""A snapshot cut at a date: what the same source looked like on an earlier evening.

Benchmarks and tests of `aurora advance` need the snapshot of the evening
before (and of any earlier seam) for the same data: prices up to the date
and the corporate actions whose ex-date is not after it, written with the
snapshot writer and the same kind, calendar and price basis. The source's
lock is kept inside the cut's lock (``source.cut_of``) so the cut says where
it came from.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from aurora_e2d.data.audit import sanity_report
from aurora_e2d.data.ingest import load_lock, load_snapshot
from aurora_e2d.data.snapshot_writer import WrittenSnapshot, write_snapshot_dir

__all__ = ["cut_snapshot_dir"]


def cut_snapshot_dir(source: Path, out: Path, end: dt.date) -> WrittenSnapshot:
    """Write at ``out`` the snapshot at ``source`` up to and including ``end``."""
    snapshot = load_snapshot(source)
    lock, lock_sha = load_lock(source)
    prices = snapshot.prices.filter(pc.less_equal(snapshot.prices.column("date"), pa.scalar(end)))
    actions = snapshot.actions.filter(pc.less_equal(snapshot.actions.column("ex_date"), pa.scalar(end)))
    dates = pc.unique(prices.column("date")).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    sanity = sanity_report(prices, actions, dates, snapshot.calendar)
    kind = lock.get("kind", "imported")
    return write_snapshot_dir(
        out,
        prices=prices,
        actions=actions,
        kind=kind if kind == "synthetic" else "imported",
        calendar=snapshot.calendar,
        price_basis=lock.get("price_basis", "raw"),
        source={"cut_of": lock_sha, "end": end.isoformat(), "source": lock.get("source", {})},
        sanity=sanity,
        provenance=lambda written: (
            f"# {'SYNTHETIC ' if kind == 'synthetic' else ''}snapshot cut at {end}\n\n"
            f"The snapshot with lock sha256 {lock_sha} up to {end}.\n"
        ),
    )
