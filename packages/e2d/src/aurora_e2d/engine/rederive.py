"""Re-derive a finished run's execution artifacts from its journal, to check the files against it.

The journal is the source of truth; orders, fills, positions and equity are
derived from it (derive.py). A file edited afterwards -- even with a new
sha256 written into the manifest -- no longer equals what its journal
derives. This rebuilds each artifact with the run's own derive code and
canonical writer form and names the first row and column where a file
differs (`aurora gate l0`, check `derived_from_journal`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from aurora_broker import JournalReader
from aurora_e2d.engine.catalog import ARTIFACTS
from aurora_e2d.engine.derive import DERIVED, derive_frames
from aurora_e2d.rundir.artifacts import canonical_table, read_table

__all__ = ["Difference", "first_difference", "rederive"]


def rederive(run_dir: Path) -> dict[str, pa.Table]:
    """orders, fills, positions, equity of ``run_dir`` rebuilt from its journal, in canonical form.

    Session close times come from ``bars.parquet``'s (date, ts) pairs, as in the run
    (the `timezone` check holds those to the calendar).
    """
    bars = pq.read_table(run_dir / ARTIFACTS["bars"].file, columns=["date", "ts"])
    ts_by_day = dict(zip(bars.column("date").to_pylist(), bars.column("ts").to_pylist(), strict=True))
    with JournalReader.open(run_dir) as reader:
        frames = derive_frames(reader, ts_by_day)
    return {
        name: canonical_table(frames[name], ARTIFACTS[name].schema, list(ARTIFACTS[name].sort_by), name=name)
        for name in DERIVED
    }


@dataclass(frozen=True)
class Difference:
    """Where an artifact file first differs from what its journal derives."""

    artifact: str
    row: int  # the first row that differs, or the first row only one side has
    column: str | None  # None: the row counts differ (in_file and from_journal are the counts)
    in_file: Any
    from_journal: Any

    def describe(self) -> str:
        if self.column is None:
            return (
                f"{self.artifact}: {self.in_file} rows in the file, {self.from_journal} derived from the "
                f"journal (first unmatched row {self.row})"
            )
        return (
            f"{self.artifact}: row {self.row} column '{self.column}' is {self.in_file!r} in the file, "
            f"{self.from_journal!r} derived from the journal"
        )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def first_difference(name: str, path: Path, derived: pa.Table) -> Difference | None:
    """The first row (in the artifact's sort order) where the file at ``path`` and ``derived`` differ."""
    spec = ARTIFACTS[name]
    actual = read_table(path, spec.schema)
    rows = min(actual.num_rows, derived.num_rows)
    first: Difference | None = None
    for column in spec.schema.names:
        left = actual.column(column).slice(0, rows).to_pylist()
        right = derived.column(column).slice(0, rows).to_pylist()
        limit = rows if first is None else first.row
        for i in range(limit):
            if not _same(left[i], right[i]):
                first = Difference(spec.file, i, column, left[i], right[i])
                break
    if first is None and actual.num_rows != derived.num_rows:
        first = Difference(spec.file, rows, None, actual.num_rows, derived.num_rows)
    return first
