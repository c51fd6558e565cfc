"""Stages 2-5 as a map over symbol partitions (DESIGN.md §9).

Sanity, session stamping, corporate-action normalisation and features are
all per row or per symbol, so the sorted distinct symbols are cut into
contiguous runs of about equal rows and each task gets its symbols' prices
and actions as Arrow tables and returns its bars and features as Arrow
tables. The driver concatenates the results in partition order and the
canonical writer sorts them, so the artifacts are the same bytes for any
partitioning and any executor.

Across processes a table travels as its Arrow buffers, out of band (pickle
protocol 5, as dask.distributed sends frames): no Python objects per row,
no copy to serialise. A slice would drag its parent's whole buffers along,
so a task's tables are compacted first (``combine_chunks``, one copy); Arrow
IPC stream bytes measured 2-7x slower to write than that copy.

Errors are returned, not raised: ``InputError`` does not survive pickling
(it takes two arguments) and a worker's traceback is not a one-line error.
The first finding must be the whole table's, whatever the partitioning:
when one partition fails its error is that finding (checks are per row or
per symbol, and every action reaches the partition of its symbol); when
several fail, their rows together, in input order and with every action,
run once more as one task, and its first failure is the table's.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from aurora_e2d.core.errors import InputError
from aurora_e2d.core.trace import Trace
from aurora_e2d.data.corpactions import Mode, normalise
from aurora_e2d.data.sanity import run_sanity
from aurora_e2d.data.sessions import SessionCloses, attach_session_close
from aurora_e2d.research.executors import Executor
from aurora_e2d.research.features import compute_features

__all__ = ["PartitionResult", "PartitionTask", "PartitionedStages", "Partitioning", "run_partition"]

CORPORATE_ACTION_MODE = Mode.TOTAL_RETURN  # the bars artifact is always total-return normalised


def _compact(table: pa.Table) -> pa.Table:
    """Own, exact-size buffers: what a slice pickles to is then its rows, not its parent's."""
    return table.combine_chunks()


def _as_is(table: pa.Table) -> pa.Table:
    return table


@dataclass(frozen=True, slots=True)
class PartitionTask:
    """One partition's input. ``actions is None``: stage 5 only, and ``rows`` are bars."""

    index: int
    rows: pa.Table  # PRICES_SCHEMA rows (stages 2-5) or BARS_SCHEMA rows (stage 5), input order
    actions: pa.Table | None
    sessions: SessionCloses | None
    sanity_mode: str


@dataclass(frozen=True, slots=True)
class PartitionResult:
    index: int
    bars: pa.Table | None = None
    features: pa.Table | None = None
    sanity: dict[str, object] | None = None  # SanityReport.as_dict()
    error: tuple[str, str] | None = None  # an InputError's (subject, problem)


def run_partition(task: PartitionTask) -> PartitionResult:
    """Stages 2-5 (or 5 only) on one partition, wherever it runs; ``InputError`` comes back as data."""
    try:
        if task.actions is None:
            return PartitionResult(task.index, features=compute_features(task.rows).to_arrow())
        assert task.sessions is not None
        clean, report = run_sanity(
            task.rows, task.sanity_mode, sessions=task.sessions.dates, actions=task.actions
        )
        bars = normalise(attach_session_close(clean, task.sessions), task.actions, CORPORATE_ACTION_MODE)
        features = compute_features(bars)
    except InputError as error:
        return PartitionResult(task.index, error=(error.subject, error.problem))
    return PartitionResult(
        task.index, bars=bars.to_arrow(), features=features.to_arrow(), sanity=report.as_dict()
    )


class Partitioning:
    """Sorted distinct symbols cut into at most ``count`` contiguous runs of about equal rows."""

    def __init__(self, symbols: pa.ChunkedArray | pa.Array, count: int) -> None:
        names = np.sort(pc.unique(symbols).to_numpy(zero_copy_only=False).astype(str))
        self._value_set = pa.array(names, pa.string())
        codes = pc.index_in(symbols, value_set=self._value_set).to_numpy(zero_copy_only=False)
        rows_per_symbol = np.bincount(codes, minlength=len(names))
        count = max(1, min(count, len(names)))
        # Cut after the symbol whose running row total is nearest to k/count of all rows.
        running = np.cumsum(rows_per_symbol)
        targets = running[-1] * np.arange(1, count) / count if len(names) else np.zeros(0)
        after = np.minimum(np.searchsorted(running, targets, side="left"), len(names) - 1)
        before = np.maximum(after - 1, 0)
        nearer = np.where(
            np.abs(running[before] - targets) <= np.abs(running[after] - targets), before, after
        )
        bounds = np.unique(np.concatenate([[0], np.clip(nearer + 1, 1, len(names)), [len(names)]]))
        if len(bounds) < 2:  # no rows at all: one empty partition, so the map still has its one task
            bounds = np.array([0, 0])
        self.symbols = [tuple(names[a:b].tolist()) for a, b in itertools.pairwise(bounds)]
        self._part_of_symbol = np.searchsorted(bounds, np.arange(len(names)), side="right") - 1
        part = self._part_of_symbol[codes]
        self._contiguous = bool(np.all(part[1:] >= part[:-1]))  # rows grouped by symbol (any snapshot)
        self._order = None if self._contiguous else np.argsort(part, kind="stable")
        self._starts = np.searchsorted(
            part if self._contiguous else part[self._order], np.arange(len(self) + 1)
        )

    def __len__(self) -> int:
        return len(self.symbols)

    def rows(self, p: int) -> np.ndarray:
        """Input row indices of partition ``p``, ascending (input order)."""
        a, b = self._starts[p], self._starts[p + 1]
        return np.arange(a, b) if self._order is None else self._order[a:b]

    def take(self, table: pa.Table, p: int) -> pa.Table:
        """Partition ``p`` of the table the partitioning was cut from (a zero-copy slice when grouped)."""
        a, b = int(self._starts[p]), int(self._starts[p + 1])
        return table.slice(a, b - a) if self._order is None else table.take(pa.array(self._order[a:b]))

    def take_actions(self, actions: pa.Table, p: int) -> pa.Table:
        """Actions of partition ``p``'s symbols; actions of symbols without prices go with partition 0
        (no partition would use them, but an invalid one must still be refused)."""
        codes = pc.index_in(actions.column("symbol"), value_set=self._value_set)
        known = codes.is_valid().to_numpy(zero_copy_only=False)
        part = np.zeros(actions.num_rows, dtype=np.int64)
        part[known] = self._part_of_symbol[codes.drop_null().to_numpy()]
        return actions.filter(pa.array(part == p))


def _merge_sanity(reports: list[dict[str, object]]) -> dict[str, object]:
    """Per-partition sanity reports added up: the whole table's counts (repairs are per symbol)."""
    merged = dict(reports[0])
    for report in reports[1:]:
        for key, value in report.items():
            if key != "mode":
                merged[key] = int(merged[key]) + int(value)  # type: ignore[call-overload]
    return merged


class PartitionedStages:
    """The driver's side: builds tasks lazily, maps them, checks and concatenates the results."""

    def __init__(
        self, prices: pa.Table, actions: pa.Table, sessions: SessionCloses, sanity_mode: str, trace: Trace
    ) -> None:
        self._prices = prices
        self._actions = actions
        self._sessions = sessions
        self._sanity_mode = sanity_mode
        self._trace = trace
        self._features: list[pa.Table] | None = None  # stage 5's output of the last `bars` map
        self.sanity: dict[str, object] | None = None  # the whole table's sanity report, once `bars` ran

    def bars(self, executor: Executor) -> pa.Table:
        """Stages 2-4 (and 5, kept for `features`) over partitions of the prices; the bars rows."""
        self._features, self.sanity = None, None
        symbols = self._prices.column("symbol")
        parts = Partitioning(
            symbols, executor.partition_count(self._prices.num_rows, pc.count_distinct(symbols).as_py())
        )
        ship = _compact if executor.remote else _as_is

        def tasks() -> Iterator[PartitionTask]:  # a generator: one partition's copy alive at a time
            for p in range(len(parts)):
                rows, actions = parts.take(self._prices, p), parts.take_actions(self._actions, p)
                yield PartitionTask(p, ship(rows), ship(actions), self._sessions, self._sanity_mode)

        with self._trace.span(
            "stage:sanity",
            stage="sanity",
            executor=executor.name,
            workers=executor.workers,
            partitions=len(parts),
        ) as out:
            results = executor.map(run_partition, tasks())
            failed = [r for r in results if r.error is not None]
            if failed:
                raise self._first_error(executor, parts, failed)
            self.sanity = _merge_sanity([r.sanity for r in results if r.sanity is not None])
            out.update(self.sanity)
        self._features = [r.features for r in results if r.features is not None]
        return pa.concat_tables([r.bars for r in results if r.bars is not None])

    def release_prices(self) -> None:
        """Let go of the prices once ``bars`` has mapped them (``features`` reads the bars)."""
        self._prices = self._prices.schema.empty_table()

    def features(self, executor: Executor, bars: pl.DataFrame) -> pa.Table:
        """Stage 5: what the `bars` map already computed, else a map over partitions of ``bars``."""
        if self._features is not None:
            features, self._features = self._features, None
            return pa.concat_tables(features)
        symbols = bars["symbol"].to_arrow()
        parts = Partitioning(symbols, executor.partition_count(bars.height, bars["symbol"].n_unique()))
        ship = _compact if executor.remote else _as_is

        def tasks() -> Iterator[PartitionTask]:
            table = bars.to_arrow()
            for p in range(len(parts)):
                yield PartitionTask(p, ship(parts.take(table, p)), None, None, self._sanity_mode)

        with self._trace.span(
            "map:features", stage="features", executor=executor.name, partitions=len(parts)
        ):
            results = executor.map(run_partition, tasks())
        return pa.concat_tables([r.features for r in results if r.features is not None])

    def _first_error(
        self, executor: Executor, parts: Partitioning, failed: list[PartitionResult]
    ) -> InputError:
        """The whole table's first finding (see the module docstring)."""
        first = failed[0].error
        assert first is not None
        if len(failed) > 1:
            rows = np.sort(np.concatenate([parts.rows(r.index) for r in failed]))
            union = self._prices.take(pa.array(rows))
            task = PartitionTask(len(parts), union, self._actions, self._sessions, self._sanity_mode)
            (again,) = executor.map(run_partition, [task])
            first = again.error or first
        return InputError(*first)
