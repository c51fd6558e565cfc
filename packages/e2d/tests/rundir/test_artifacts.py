import datetime as dt
import subprocess
import sys
import textwrap

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aurora_e2d.rundir.artifacts import (
    ArtifactError,
    atomic_write_bytes,
    atomic_write_hashed,
    canonical_table,
    read_parquet,
    read_table,
    sha256_file,
    sorted_by,
    validate_schema,
    write_canonical,
    write_parquet,
)

SCHEMA = pa.schema(
    [
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("x", pa.float64()),
    ]
)
UTC = dt.UTC


def _table(order=(0, 1, 2)) -> pa.Table:
    rows = [
        ("B", dt.datetime(2020, 1, 2, 21, tzinfo=UTC), 1.5),
        ("A", dt.datetime(2020, 1, 3, 21, tzinfo=UTC), None),
        ("A", dt.datetime(2020, 1, 2, 21, tzinfo=UTC), 2.5),
    ]
    rows = [rows[i] for i in order]
    return pa.table(
        {
            "symbol": pa.array([r[0] for r in rows], pa.large_string()),
            "ts": pa.array([r[1] for r in rows], pa.timestamp("ns", tz="UTC")),
            "x": [r[2] for r in rows],
        }
    )


class TestAtomicWrite:
    def test_writes_and_replaces_without_temp_leftovers(self, tmp_path):
        target = tmp_path / "sub" / "f.bin"
        atomic_write_bytes(target, b"one")
        atomic_write_bytes(target, b"two")
        assert target.read_bytes() == b"two"
        assert [p.name for p in target.parent.iterdir()] == ["f.bin"]
        assert target.stat().st_mode & 0o777 == 0o644

    def test_a_streamed_write_hashes_the_bytes_it_wrote_and_equals_an_in_memory_write(self, tmp_path):
        """write_canonical streams Parquet to disk through a hashing sink instead of a BytesIO."""
        import io

        table = canonical_table(_table(), SCHEMA, ["symbol", "ts"])
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        sha = atomic_write_hashed(tmp_path / "t.parquet", lambda sink: pq.write_table(table, sink))
        assert (tmp_path / "t.parquet").read_bytes() == buffer.getvalue()
        assert sha == sha256_file(tmp_path / "t.parquet")
        assert (tmp_path / "t.parquet").stat().st_mode & 0o777 == 0o644

    def test_a_streamed_write_that_fails_half_way_leaves_the_old_file_and_no_temp(self, tmp_path):
        """A full disk in the middle of a Parquet write (ENOSPC from the sink) is a StorageError naming
        the file; the old bytes stay and no temporary file is left (test_storage_faults fills a real
        tmpfs; here the error is raised by the writer itself, after some bytes went out)."""
        import errno

        from aurora_safety import StorageError

        target = tmp_path / "t.parquet"
        atomic_write_bytes(target, b"old")

        def half(sink) -> None:
            sink.write(b"PAR1 partial")
            raise OSError(errno.ENOSPC, "No space left on device")

        with pytest.raises(StorageError) as fault:
            atomic_write_hashed(target, half)
        assert str(target) in str(fault.value)
        assert target.read_bytes() == b"old"
        assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]

    def test_sha256_file(self, tmp_path):
        (tmp_path / "f").write_bytes(b"abc")
        assert (
            sha256_file(tmp_path / "f") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        )


class TestWriteParquet:
    def test_canonical_types_sorted_no_metadata(self, tmp_path):
        digest = write_parquet(
            _table().replace_schema_metadata({"pandas": "x"}),
            tmp_path / "a.parquet",
            SCHEMA,
            ["symbol", "ts"],
        )
        back = pq.read_table(tmp_path / "a.parquet")
        assert back.schema.field("symbol").type == pa.string()
        assert back.schema.field("ts").type == pa.timestamp("us", tz="UTC")
        assert back.column("symbol").to_pylist() == ["A", "A", "B"]
        assert back.column("x").to_pylist() == [2.5, None, 1.5]
        assert back.schema.metadata is None or b"pandas" not in back.schema.metadata
        assert digest == sha256_file(tmp_path / "a.parquet")

    def test_float32_columns_are_written_without_a_dictionary_and_the_rest_with_one(self, tmp_path):
        """Near-unique float32 values (features, predictions) only cost a dictionary page Arrow
        then abandons; strings, dates and float64 prices keep dictionary encoding."""
        schema = pa.schema([*SCHEMA, pa.field("f", pa.float32())])
        repeated = pa.concat_tables([_table()] * 200).append_column(
            "f", pa.array([i / 7 for i in range(600)], pa.float32())
        )
        rows = repeated.num_rows
        repeated = repeated.set_column(1, "ts", pa.array([dt.datetime(2020, 1, 2, tzinfo=UTC)] * rows))
        repeated = repeated.set_column(0, "symbol", pa.array([f"S{i}" for i in range(rows)]))
        write_parquet(repeated, tmp_path / "f.parquet", schema, ["symbol", "ts"])
        group = pq.ParquetFile(tmp_path / "f.parquet").metadata.row_group(0)
        encodings = {group.column(i).path_in_schema: group.column(i).encodings for i in range(4)}
        assert not any("DICTIONARY" in e for e in encodings["f"]), encodings
        for name in ("symbol", "ts", "x"):
            assert any("DICTIONARY" in e for e in encodings[name]), (name, encodings)

    def test_input_order_and_chunking_do_not_change_bytes(self, tmp_path):
        a = write_parquet(_table((0, 1, 2)), tmp_path / "a.parquet", SCHEMA, ["symbol", "ts"])
        chunked = pa.concat_tables([_table((2, 0, 1)).slice(0, 1), _table((2, 0, 1)).slice(1)])
        b = write_parquet(chunked, tmp_path / "b.parquet", SCHEMA, ["symbol", "ts"])
        assert a == b

    def test_the_canonical_table_returned_is_what_reading_the_file_gives(self, tmp_path):
        """A stage hands on the table it wrote instead of reading the file back: same schema
        (nullability included), rows, order and values, and the same frame in polars."""
        import polars as pl

        chunked = pa.concat_tables([_table((2, 0, 1)).slice(0, 1), _table((2, 0, 1)).slice(1)])
        sha, written = write_canonical(chunked, tmp_path / "a.parquet", SCHEMA, ["symbol", "ts"])
        assert sha == sha256_file(tmp_path / "a.parquet")
        read = read_table(tmp_path / "a.parquet", SCHEMA)
        assert written.schema == read.schema
        assert written.equals(read)
        assert written.column("symbol").to_pylist() == ["A", "A", "B"]  # sorted, not input order
        assert pl.from_arrow(written).equals(read_parquet(tmp_path / "a.parquet", SCHEMA))

    def test_polars_input_gives_same_bytes(self, tmp_path):
        import polars as pl

        a = write_parquet(_table(), tmp_path / "a.parquet", SCHEMA, ["symbol", "ts"])
        b = write_parquet(pl.from_arrow(_table()), tmp_path / "b.parquet", SCHEMA, ["symbol", "ts"])
        assert a == b

    def test_byte_identical_across_processes(self, tmp_path):
        code = textwrap.dedent(f"""
            import datetime as dt, pyarrow as pa
            from aurora_e2d.rundir.artifacts import write_parquet
            import test_artifacts as t
            print(write_parquet(t._table(), {str(tmp_path / "p.parquet")!r}, t.SCHEMA, ["symbol", "ts"]))
        """)
        here = write_parquet(_table(), tmp_path / "h.parquet", SCHEMA, ["symbol", "ts"])
        env_path = str(__import__("pathlib").Path(__file__).parent)
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONPATH": env_path, "PYTHONHASHSEED": "123", "PATH": ""},
        )
        assert out.stdout.strip() == here

    def test_naive_timestamp_refused(self, tmp_path):
        t = _table().set_column(1, "ts", pa.array([dt.datetime(2020, 1, 1)] * 3, pa.timestamp("us")))
        with pytest.raises(
            ArtifactError, match=r"column 'ts': expected timestamp\[us, tz=UTC\], actual timestamp\[us\]"
        ):
            write_parquet(t, tmp_path / "a.parquet", SCHEMA, ["symbol"])
        assert not (tmp_path / "a.parquet").exists()

    def test_missing_and_extra_columns(self, tmp_path):
        with pytest.raises(ArtifactError, match=r"missing \['x'\], unexpected \['y'\]"):
            canonical_table(_table().rename_columns(["symbol", "ts", "y"]), SCHEMA, ["symbol"])

    def test_float_type_change_refused(self):
        t = _table().set_column(2, "x", pa.array([1, 2, 3], pa.float32()))
        with pytest.raises(ArtifactError, match="column 'x': expected double, actual float"):
            canonical_table(t, SCHEMA, ["symbol", "ts"])

    def test_duplicate_sort_key_refused_unless_allowed(self):
        with pytest.raises(ArtifactError, match=r"sort key \['symbol'\] is not unique"):
            canonical_table(_table(), SCHEMA, ["symbol"])
        assert canonical_table(_table(), SCHEMA, ["symbol"], unique=False).num_rows == 3

    @settings(max_examples=150, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.sampled_from(["A", "B", "AB", "b"]),
                st.integers(0, 3),
                st.one_of(st.none(), st.integers(0, 2)),
            ),
            max_size=12,
        ),
        st.booleans(),
    )
    def test_a_table_already_in_order_is_what_the_sort_gives(self, rows, presort):
        """canonical_table skips the sort when the keys are already in order: whatever the input's
        order, ties and null keys, the result is the stable sort's, and a repeated key is refused."""
        if presort:  # the common case: a stage hands over its frame in canonical order
            rows = sorted(rows, key=lambda r: (r[0], r[1], r[2] is None, r[2] or 0))
        schema = pa.schema([("s", pa.string()), ("d", pa.int64()), ("n", pa.int64()), ("i", pa.int64())])
        table = pa.table(
            {
                "s": [r[0] for r in rows],
                "d": [r[1] for r in rows],
                "n": [r[2] for r in rows],
                "i": list(range(len(rows))),
            },
            schema=schema,
        )
        for keys in (["s", "d"], ["s", "d", "n"], ["n"]):
            expected = table.sort_by([(k, "ascending") for k in keys]).combine_chunks()
            got = canonical_table(table, schema, keys, unique=False)
            assert got.equals(expected), keys
            assert sorted_by(table, keys).equals(expected), keys
            tuples = list(zip(*(table.column(k).to_pylist() for k in keys), strict=True))
            complete = [t for t in tuples if None not in t]  # a null key equals nothing, as before
            if len(set(complete)) < len(complete):
                with pytest.raises(ArtifactError, match="is not unique"):
                    canonical_table(table, schema, keys)
            else:
                assert canonical_table(table, schema, keys).equals(expected)

    def test_null_in_required_column_refused(self):
        t = _table().set_column(0, "symbol", pa.array(["A", None, "B"]))
        with pytest.raises(ArtifactError, match="column 'symbol': expected no nulls, found 1"):
            canonical_table(t, SCHEMA, ["ts"], unique=False)


class TestRead:
    def test_roundtrip(self, tmp_path):
        write_parquet(_table(), tmp_path / "a.parquet", SCHEMA, ["symbol", "ts"])
        frame = read_parquet(tmp_path / "a.parquet", SCHEMA)
        assert frame.columns == ["symbol", "ts", "x"]
        assert str(frame.schema["ts"]) == "Datetime(time_unit='us', time_zone='UTC')"

    def test_missing_file(self, tmp_path):
        with pytest.raises(ArtifactError, match=r"a\.parquet: missing"):
            read_table(tmp_path / "a.parquet", SCHEMA)

    def test_corrupt_file(self, tmp_path):
        (tmp_path / "a.parquet").write_bytes(b"not parquet")
        with pytest.raises(ArtifactError, match="unreadable Parquet"):
            read_table(tmp_path / "a.parquet", SCHEMA)

    def test_wrong_schema_names_artifact_column_and_types(self, tmp_path):
        pq.write_table(_table(), tmp_path / "a.parquet")
        with pytest.raises(ArtifactError) as info:
            read_table(tmp_path / "a.parquet", SCHEMA)
        assert (
            str(info.value)
            == f"{tmp_path / 'a.parquet'}: column 'symbol': expected string, actual large_string"
        )

    def test_a_column_subset_reads_those_columns_and_still_checks_the_whole_schema(self, tmp_path):
        write_parquet(_table(), tmp_path / "a.parquet", SCHEMA, ["symbol", "ts"])
        frame = read_parquet(tmp_path / "a.parquet", SCHEMA, ["x", "symbol"])
        assert frame.columns == ["x", "symbol"]
        assert frame["x"].to_list() == [2.5, None, 1.5]
        # a column the reader does not ask for is still checked (its type, from the footer) ...
        pq.write_table(_table(), tmp_path / "b.parquet")  # symbol as large_string
        with pytest.raises(ArtifactError, match="column 'symbol': expected string, actual large_string"):
            read_table(tmp_path / "b.parquet", SCHEMA, ["x"])
        # ... and so are the nulls of the columns it reads
        nulls = pa.schema([SCHEMA.field("symbol"), SCHEMA.field("ts"), pa.field("x", pa.float64(), False)])
        with pytest.raises(ArtifactError, match="column 'x': expected no nulls, found 1"):
            read_table(tmp_path / "a.parquet", nulls, ["x"])
        with pytest.raises(ArtifactError, match=r"c\.parquet: missing"):
            read_table(tmp_path / "c.parquet", SCHEMA, ["x"])

    def test_validate_schema_column_order(self):
        with pytest.raises(ArtifactError, match=r"bars: columns \['ts', 'symbol', 'x'\]"):
            validate_schema(_table().select(["ts", "symbol", "x"]), SCHEMA, "bars")
