"""Stages 2-5 as a map over symbol partitions, in process: any partitioning gives the whole table's answer.

The oracle is the whole-table sequence the pipeline ran before it was
partitioned (sanity, session stamp, total-return normalisation, features on
one table). Partitioned runs must give the same artifact bytes, the same
first strict finding (the same one-line error), and repair counts that add
up to the same totals -- for grouped input (every snapshot) and shuffled
input alike. No cluster here: see test_executor_dask.py.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aurora_e2d.core.errors import InputError
from aurora_e2d.core.trace import Trace
from aurora_e2d.data.corpactions import Mode, normalise
from aurora_e2d.data.ingest import Snapshot
from aurora_e2d.data.sanity import Check, run_sanity
from aurora_e2d.data.sessions import attach_session_close
from aurora_e2d.data.synthetic import SyntheticUniverse, generate_universe
from aurora_e2d.engine.catalog import ARTIFACTS
from aurora_e2d.research.executors import LOCAL_ROWS_PER_PARTITION, ExecutorSpec, LocalExecutor
from aurora_e2d.research.features import compute_features
from aurora_e2d.research.partitions import PartitionedStages, Partitioning
from aurora_e2d.research.pipeline import StageRunner, run_data_stages
from aurora_e2d.rundir.artifacts import canonical_table
from aurora_e2d.rundir.config import RunConfig

DEVNULL_TRACE = Trace(Path(os.devnull), "test")


@pytest.fixture(scope="module")
def universe() -> SyntheticUniverse:
    return generate_universe(24, 1.0, seed=11)  # SYNTHETIC: 24 symbols x 252 sessions


def _bytes(table: pa.Table, name: str) -> pa.Table:
    spec = ARTIFACTS[name]
    return canonical_table(table, spec.schema, list(spec.sort_by))


def whole_table(prices: pa.Table, actions: pa.Table, u: SyntheticUniverse, mode: str):
    """The unpartitioned stages 2-5: (bars, features, report) or the InputError's line."""
    try:
        clean, report = run_sanity(prices, mode, sessions=u.sessions.dates, actions=actions)
        bars = normalise(attach_session_close(clean, u.sessions), actions, Mode.TOTAL_RETURN)
        return bars, compute_features(bars), report.as_dict()
    except InputError as error:
        return str(error)


def partitioned(prices: pa.Table, actions: pa.Table, u: SyntheticUniverse, mode: str, partitions: int):
    stages = PartitionedStages(prices, actions, u.sessions, mode, DEVNULL_TRACE)
    executor = LocalExecutor(ExecutorSpec(partitions=partitions))
    try:
        bars = stages.bars(executor)
    except InputError as error:
        return str(error)
    return bars, stages.features(executor, None), stages.sanity  # type: ignore[arg-type]


def assert_same(expected, actual) -> None:
    if isinstance(expected, str):
        assert actual == expected
        return
    assert not isinstance(actual, str), actual
    assert _bytes(actual[0], "bars").equals(_bytes(expected[0].to_arrow(), "bars"))
    assert _bytes(actual[1], "features").equals(_bytes(expected[1].to_arrow(), "features"))
    assert actual[2] == expected[2]


# ------------------------------------------------------------------ defects
def _set(table: pa.Table, column: str, row: int, value: object) -> pa.Table:
    values = table.column(column).to_pylist()
    values[row] = value
    i = table.schema.get_field_index(column)
    return table.set_column(i, table.schema.field(column), pa.array(values, table.schema.field(column).type))


def _defect(prices: pa.Table, kind: str, row: int) -> pa.Table:
    """One bad row of ``kind`` at ``row`` (rows are grouped by symbol, sorted by date)."""
    close = prices.column("close")[row].as_py()
    if kind == "non_finite":
        return _set(prices, "close", row, float("nan"))
    if kind == "non_positive_price":
        return _set(prices, "open", row, -1.0)
    if kind == "ohlc_inconsistent":
        return _set(prices, "high", row, close * 0.5)
    if kind == "zero_volume":
        return _set(prices, "volume", row, 0)
    if kind == "not_a_session":
        return _set(prices, "date", row, dt.date(2019, 12, 28))  # a Saturday inside the window
    if kind == "bad_tick":
        for column in ("open", "high", "low", "close", "adj_close"):
            prices = _set(prices, column, row, prices.column(column)[row].as_py() * 4)
        return prices
    if kind == "duplicate_key":
        return pa.concat_tables([prices.slice(0, row + 1), prices.slice(row, prices.num_rows - row)])
    if kind == "missing_session":
        return pa.concat_tables([prices.slice(0, row), prices.slice(row + 1)])
    if kind == "non_monotonic":  # swap two consecutive rows of the same symbol
        order = np.arange(prices.num_rows)
        order[row], order[row + 1] = order[row + 1], order[row]
        return prices.take(pa.array(order))
    raise AssertionError(kind)


DEFECTS = [c.value for c in Check]
SESSIONS = 252


def _row(symbol: int, offset: int) -> int:
    return symbol * SESSIONS + offset


# ------------------------------------------------------------------ partitioning
class TestPartitioning:
    def test_sorted_symbols_in_contiguous_runs_of_about_equal_rows(self) -> None:
        symbols = pa.chunked_array([["B"] * 10 + ["A"] * 10 + ["D"] * 30 + ["C"] * 10])
        parts = Partitioning(symbols, 3)
        assert parts.symbols == [("A", "B"), ("C",), ("D",)]
        assert [len(parts.rows(p)) for p in range(len(parts))] == [20, 10, 30]
        assert sorted(np.concatenate([parts.rows(p) for p in range(len(parts))])) == list(range(60))

    def test_rows_keep_input_order_when_symbols_are_not_grouped(self) -> None:
        symbols = pa.array(["B", "A", "B", "C", "A"])
        parts = Partitioning(symbols, 2)
        assert parts.symbols == [("A",), ("B", "C")]
        assert parts.rows(0).tolist() == [1, 4]
        assert parts.rows(1).tolist() == [0, 2, 3]
        table = pa.table({"symbol": symbols, "i": range(5)})
        assert parts.take(table, 1).column("i").to_pylist() == [0, 2, 3]

    def test_never_more_partitions_than_symbols_and_never_empty(self) -> None:
        parts = Partitioning(pa.array(["A"] * 5 + ["B"]), 9)
        assert parts.symbols == [("A",), ("B",)]
        one = Partitioning(pa.array(["Z"] * 4), 3)
        assert one.symbols == [("Z",)]

    def test_actions_follow_their_symbol_and_orphans_go_with_partition_zero(self) -> None:
        parts = Partitioning(pa.array(["A", "B", "C", "D"]), 2)
        actions = pa.table({"symbol": ["D", "Q", "A", "C"], "i": range(4)})
        assert parts.take_actions(actions, 0).column("i").to_pylist() == [1, 2]
        assert parts.take_actions(actions, 1).column("i").to_pylist() == [0, 3]

    def test_no_rows_is_one_empty_partition(self) -> None:
        parts = Partitioning(pa.array([], pa.string()), 4)
        assert parts.symbols == [()]
        assert parts.rows(0).tolist() == []

    def test_same_data_same_cut(self, universe: SyntheticUniverse) -> None:
        a = Partitioning(universe.prices.column("symbol"), 5)
        b = Partitioning(universe.prices.column("symbol"), 5)
        assert a.symbols == b.symbols
        assert len(a) == 5


# ------------------------------------------------------------------ clean data
@pytest.mark.parametrize("partitions", [2, 5, 24])
def test_clean_universe_any_partitioning_same_bytes_and_report(
    universe: SyntheticUniverse, partitions: int
) -> None:
    expected = whole_table(universe.prices, universe.actions, universe, "strict")
    assert_same(expected, partitioned(universe.prices, universe.actions, universe, "strict", partitions))


def test_run_data_stages_local_partitions_write_identical_files(
    universe: SyntheticUniverse, tmp_path: Path
) -> None:
    snapshot = Snapshot(universe.prices, universe.actions, "p", "a", "lock-synthetic-24")
    files = []
    for partitions in (1, 4):
        run_dir = tmp_path / f"p{partitions}"
        run_dir.mkdir()
        runner = StageRunner(run_dir, Trace(run_dir / "trace.jsonl", "test"))
        run_data_stages(runner, RunConfig(), snapshot, ExecutorSpec(partitions=partitions))
        files.append({n: (run_dir / ARTIFACTS[n].file).read_bytes() for n in ("bars", "features")})
    assert files[0] == files[1]


def test_a_run_hands_its_prices_over_and_they_are_released_after_the_map(
    universe: SyntheticUniverse, tmp_path: Path
) -> None:
    """``consume=True`` (what a run's job passes): the snapshot's raw prices are released once the
    bars map has read them (the largest table a run loads); the artifacts are the same bytes, the
    snapshot keeps its actions and hashes, and the bars the later stages get lack only the adjusted
    series that fed the features. Without it the caller's snapshot is left as it was."""
    written = {}
    for consume in (False, True):
        snapshot = Snapshot(universe.prices, universe.actions, "p", "a", "lock-synthetic-24")
        run_dir = tmp_path / str(consume)
        run_dir.mkdir()
        runner = StageRunner(run_dir, Trace(run_dir / "trace.jsonl", "test"))
        run_data_stages(runner, RunConfig(), snapshot, consume=consume)
        written[consume] = {n: (run_dir / ARTIFACTS[n].file).read_bytes() for n in ("bars", "features")}
        assert snapshot.prices.num_rows == (0 if consume else universe.prices.num_rows)
        assert snapshot.prices.schema == universe.prices.schema
        assert snapshot.actions.num_rows == universe.actions.num_rows
        assert "close_adj" not in runner.outputs.frames["bars"].columns
        assert runner.outputs.frames["bars"].height == runner.outputs.rows["bars"]
    assert written[True] == written[False]


def test_local_map_cuts_partitions_by_rows_so_its_working_memory_is_bounded() -> None:
    """Unpinned, the local map works on ~LOCAL_ROWS_PER_PARTITION rows at a time (never more parts
    than symbols); a pinned count wins. The bytes are the same for any count (tests above)."""
    local = LocalExecutor()
    assert local.partition_count(LOCAL_ROWS_PER_PARTITION, 500) == 1
    assert local.partition_count(LOCAL_ROWS_PER_PARTITION + 1, 500) == 2
    assert local.partition_count(25 * LOCAL_ROWS_PER_PARTITION, 500) == 25
    assert local.partition_count(25 * LOCAL_ROWS_PER_PARTITION, 7) == 7
    assert local.partition_count(0, 0) == 1
    assert LocalExecutor(ExecutorSpec(partitions=3)).partition_count(10**8, 500) == 3


def test_features_alone_when_bars_are_reused(universe: SyntheticUniverse, tmp_path: Path) -> None:
    """A rerun that reuses bars maps stage 5 alone over partitions of the bars artifact: same bytes."""
    snapshot = Snapshot(universe.prices, universe.actions, "p", "a", "lock-synthetic-24")
    runner = StageRunner(tmp_path, Trace(tmp_path / "trace.jsonl", "test"))
    run_data_stages(runner, RunConfig(), snapshot)
    features = (tmp_path / ARTIFACTS["features"].file).read_bytes()
    (tmp_path / ARTIFACTS["features"].file).unlink()
    again = StageRunner(tmp_path, Trace(tmp_path / "trace.jsonl", "test"))
    run_data_stages(again, RunConfig(), snapshot, ExecutorSpec(partitions=5))
    assert (tmp_path / ARTIFACTS["features"].file).read_bytes() == features
    spans = (tmp_path / "trace.jsonl").read_text()
    assert '"span": "map:features"' in spans
    assert spans.count('"span": "stage:sanity"') == 1  # the bars of the first run were reused


# ------------------------------------------------------------------ findings
@settings(max_examples=30, deadline=None)
@given(
    defects=st.lists(
        st.tuples(st.sampled_from(DEFECTS), st.integers(0, 23), st.integers(1, SESSIONS - 3)),
        min_size=1,
        max_size=4,
        unique_by=lambda d: d[1],  # one defect per symbol: row positions stay meaningful
    ),
    partitions=st.integers(2, 9),
    mode=st.sampled_from(["strict", "repair"]),
    shuffle=st.booleans(),
)
def test_any_defects_any_partitioning_same_first_finding_or_same_totals(
    universe: SyntheticUniverse,
    defects: list[tuple[str, int, int]],
    partitions: int,
    mode: str,
    shuffle: bool,
) -> None:
    prices = universe.prices
    for kind, symbol, offset in sorted(defects, key=lambda d: -d[1]):  # later symbols first: rows stay put
        prices = _defect(prices, kind, _row(symbol, offset))
    if shuffle:  # input not grouped by symbol: examples in input order must still match
        prices = prices.take(pa.array(np.random.default_rng(len(defects)).permutation(prices.num_rows)))
    expected = whole_table(prices, universe.actions, universe, mode)
    assert_same(expected, partitioned(prices, universe.actions, universe, mode, partitions))


def test_strict_findings_in_several_partitions_report_the_first_check_of_the_whole_table(
    universe: SyntheticUniverse,
) -> None:
    # a later check fails in an early partition, an earlier check in a late one
    prices = _defect(universe.prices, "non_finite", _row(20, 5))
    prices = _defect(prices, "non_finite", _row(22, 9))
    prices = _defect(prices, "zero_volume", _row(1, 7))
    expected = whole_table(prices, universe.actions, universe, "strict")
    assert isinstance(expected, str)
    assert expected.startswith("sanity check 'non_finite': 2 offending rows; first: SYN0020 ")
    for partitions in (2, 3, 8):
        assert partitioned(prices, universe.actions, universe, "strict", partitions) == expected


def test_a_bad_action_anywhere_is_the_same_one_line_error(universe: SyntheticUniverse) -> None:
    actions = universe.actions
    late = pc.index(actions.column("symbol"), "SYN0023").as_py()
    bad = (
        _set(actions, "dividend_usd", late, -1.0)
        if actions.column("kind")[late].as_py() == "dividend"
        else None
    )
    bad = bad if bad is not None else _set(actions, "split_ratio", late, -2.0)
    orphan = pa.table(
        {
            "symbol": ["ZZZ"],
            "ex_date": [dt.date(2019, 6, 3)],
            "kind": ["split"],
            "split_ratio": [0.0],
            "dividend_usd": [None],
        },
        schema=actions.schema,
    )
    for table in (bad, pa.concat_tables([actions, orphan]), pa.concat_tables([orphan, bad])):
        expected = whole_table(universe.prices, table, universe, "strict")
        assert isinstance(expected, str), expected
        for partitions in (1, 3, 7):
            assert partitioned(universe.prices, table, universe, "strict", partitions) == expected


# ------------------------------------------------------------------ the spec
class TestExecutorSpec:
    @pytest.mark.parametrize(
        ("options", "message"),
        [
            (("dask", 0, None), "'--workers': must be >= 1, was 0"),
            (
                ("local", 2, None),
                "--workers: needs --executor dask (the local executor runs in this process)",
            ),
            (
                ("local", None, "tcp://h:1"),
                "--scheduler: needs --executor dask (the local executor runs in this process)",
            ),
            (
                ("dask", 2, "tcp://h:1"),
                "--workers: not with --scheduler (an existing cluster has its own workers)",
            ),
            (("ray", None, None), "'--executor': must be one of local, dask, was 'ray'"),
        ],
    )
    def test_bad_options_are_one_line(self, options: tuple, message: str) -> None:
        with pytest.raises(InputError) as raised:
            ExecutorSpec.from_options(*options)
        assert str(raised.value) == message

    def test_the_executor_is_not_config(self) -> None:
        assert "executor" not in RunConfig.model_fields
        assert ExecutorSpec.from_options("dask", 2, None).describe() == "dask local cluster (2 workers)"
