"""Canonical, atomic Parquet artifacts: same data, same bytes, in any process.

File bytes depend on string type, schema metadata, timestamp unit, chunk
layout and writer options (TOOLING.md, "Byte-identical Parquet"), so every
artifact goes through one writer that fixes all of them. The pyarrow version
also shows in the bytes (``created_by``); the snapshot lock pins it.

polars is imported lazily: stages 1-3 (and their mutation tests, which fork)
must be able to use this module without touching polars.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from aurora_e2d.core.arrow_memory import prefer_jemalloc
from aurora_e2d.core.errors import ArtifactError
from aurora_e2d.core.faults import fault_point
from aurora_safety import StorageError

if TYPE_CHECKING:
    import polars as pl

prefer_jemalloc()  # every command that reads or writes artifacts imports this module first

__all__ = [
    "PARQUET_WRITE_OPTIONS",
    "ArtifactError",
    "as_frame",
    "atomic_write_bytes",
    "atomic_write_hashed",
    "canonical_table",
    "fsync_dir",
    "parquet_options",
    "read_parquet",
    "read_table",
    "sha256_bytes",
    "sha256_file",
    "sorted_by",
    "validate_schema",
    "write_canonical",
    "write_parquet",
]

# Fixed writer options: changing any of these changes every artifact hash.
PARQUET_WRITE_OPTIONS: dict[str, object] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
    "row_group_size": 1 << 20,
    "write_page_index": False,
    "store_schema": True,  # keeps tz='UTC' on read; deterministic for a fixed schema
}


def parquet_options(schema: pa.Schema) -> dict[str, object]:
    """The writer options for ``schema``: ``PARQUET_WRITE_OPTIONS`` with dictionary encoding for
    every column but float32 ones. Model features and predictions are float32 and nearly all
    distinct: Arrow builds a dictionary page, finds it too big and falls back, which made the
    features artifact 2.2x slower to write and 11% larger (SYNTHETIC 2,000 x 10 y: 1.7 s, 240 MB
    with it, 0.8 s, 216 MB without). Other columns keep it: the bars' prices are smaller with it.
    """
    dictionary = [f.name for f in schema if not pa.types.is_float32(f.type)]
    return {**PARQUET_WRITE_OPTIONS, "use_dictionary": dictionary}


_CHUNK_BYTES = 1 << 20
_FILE_MODE = 0o644


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` so readers see the old file or the new one, never a torn one.

    A full disk, an I/O error, a read-only or forbidden directory is a
    ``StorageError`` naming ``path`` (the old file, if any, is left as it was).
    """
    _write_atomically(Path(path), lambda handle: handle.write(data))


class _HashingSink(io.RawIOBase):
    """A write-only file that passes every byte to ``handle`` and into a sha256: the hash of
    exactly the bytes written, without holding the whole file in memory first."""

    def __init__(self, handle: BinaryIO, digest: hashlib._Hash) -> None:
        super().__init__()
        self._handle = handle
        self._digest = digest
        self._written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._handle.write(view)
        self._digest.update(view)
        self._written += len(view)
        return len(view)

    def tell(self) -> int:
        return self._written


def atomic_write_hashed(path: Path | str, produce: Callable[[io.RawIOBase], object]) -> str:
    """``produce(sink)`` writes a file atomically (as ``atomic_write_bytes``); returns its sha256.

    The bytes stream to disk as they are made: the features artifact of 2,000 symbols x 10 years
    is 217 MB of Parquet, which the writer used to hold in memory twice (a BytesIO, then its copy).
    Storage faults are ``StorageError`` naming ``path``, as for ``atomic_write_bytes``.
    """
    digest = hashlib.sha256()
    _write_atomically(Path(path), lambda handle: produce(_HashingSink(handle, digest)))
    return digest.hexdigest()


def _write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """``_atomic_stream``, its storage faults named (a ``StorageError`` naming ``path``)."""
    try:
        _atomic_stream(path, write)
    except OSError as exc:
        fault = StorageError.from_os_error(exc, path, "writing")
        if fault is None:
            raise
        raise fault from exc


def _atomic_stream(path: Path, write: Callable[[BinaryIO], object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _FILE_MODE)  # mkstemp creates 0600; artifacts are ordinary readable files
        with os.fdopen(fd, "wb") as handle:
            fault_point("write_artifact", path)
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        fault_point("mid_artifact")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)  # make the rename itself durable


def fsync_dir(directory: Path) -> None:
    """Flush a directory's entries (a rename or a new file in it survives a power cut)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path | str) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def validate_schema(table: pa.Table, schema: pa.Schema, name: str) -> None:
    """Raise ``ArtifactError`` naming the artifact, column, expected and actual type."""
    actual_names = table.schema.names
    if actual_names != schema.names:
        raise ArtifactError(name, f"columns {actual_names} != expected {schema.names}")
    for field in schema:
        actual = table.schema.field(field.name).type
        if actual != field.type:
            raise ArtifactError(name, f"column '{field.name}': expected {field.type}, actual {actual}")
        if not field.nullable and table.column(field.name).null_count:
            count = table.column(field.name).null_count
            raise ArtifactError(name, f"column '{field.name}': expected no nulls, found {count}")


def _is_stringish(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _castable(actual: pa.DataType, expected: pa.DataType) -> bool:
    """Only representation changes are allowed, never a change of meaning."""
    if actual == expected or pa.types.is_null(actual):
        return True
    if _is_stringish(actual) and _is_stringish(expected):
        return True
    if pa.types.is_timestamp(actual) and pa.types.is_timestamp(expected):
        return actual.tz is not None and actual.tz == expected.tz  # never guess a zone
    return False


def _to_arrow(table: pa.Table | pl.DataFrame) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    to_arrow = getattr(table, "to_arrow", None)
    if to_arrow is None:
        raise TypeError(f"expected a pyarrow Table or polars DataFrame, got {type(table).__name__}")
    return to_arrow()


def _in_order(arrow: pa.Table, keys: Sequence[str]) -> bool:
    """Whether the rows already follow ``keys`` (ties allowed).

    Stages mostly hand over frames in their canonical order; this check reads each key column once
    where the sort gathers every column (a third of writing a large artifact). Arrow's sort is
    stable, so a table in order sorts to itself: skipping it changes no byte (``sorted_by``). A
    null key is never judged in order (the sort decides where it goes)."""
    n = arrow.num_rows
    if n < 2:
        return True
    later: pa.ChunkedArray | pa.Array | None = None  # row i+1 comes after row i on keys[j:]
    for key in reversed(keys):
        col = arrow.column(key)
        head, tail = col.slice(0, n - 1), col.slice(1)
        if later is None:
            later = pc.greater_equal(tail, head)
        else:
            later = pc.or_(pc.greater(tail, head), pc.and_(pc.equal(tail, head), later))
    assert later is not None
    return bool(pc.all(pc.fill_null(later, False)).as_py())


def sorted_by(table: pa.Table, keys: Sequence[str]) -> pa.Table:
    """``table.sort_by`` ascending on ``keys``, without the gather when it is already in order."""
    return table if _in_order(table, keys) else table.sort_by([(key, "ascending") for key in keys])


def canonical_table(
    table: pa.Table | pl.DataFrame,
    schema: pa.Schema,
    sort_by: Sequence[str],
    *,
    name: str = "artifact",
    unique: bool = True,
) -> pa.Table:
    """Cast to ``schema`` exactly, strip metadata, sort, and combine chunks.

    With ``unique`` the sort key must identify rows, otherwise tied rows would
    keep their input order and the bytes would depend on it.
    """
    arrow = _to_arrow(table)
    missing = [n for n in schema.names if n not in arrow.schema.names]
    extra = [n for n in arrow.schema.names if n not in schema.names]
    if missing or extra:
        raise ArtifactError(name, f"columns differ from schema: missing {missing}, unexpected {extra}")
    arrow = arrow.select(schema.names)
    for field in schema:
        actual = arrow.schema.field(field.name).type
        if not _castable(actual, field.type):
            raise ArtifactError(name, f"column '{field.name}': expected {field.type}, actual {actual}")
    schema = schema.remove_metadata()
    # Cast through an all-nullable schema; nulls in required columns are reported by validate_schema.
    arrow = arrow.cast(pa.schema([f.with_nullable(True) for f in schema]))
    if sort_by:
        arrow = sorted_by(arrow, sort_by)
    if unique and sort_by and arrow.num_rows > 1:
        same = None
        for key in sort_by:
            col = arrow.column(key)
            eq = pc.equal(col.slice(1), col.slice(0, arrow.num_rows - 1))
            same = eq if same is None else pc.and_(same, eq)
        if pc.any(same).as_py():
            raise ArtifactError(name, f"sort key {list(sort_by)} is not unique")
    arrow = pa.Table.from_arrays(arrow.combine_chunks().columns, schema=schema)
    validate_schema(arrow, schema, name)
    return arrow


def write_parquet(
    table: pa.Table | pl.DataFrame,
    path: Path | str,
    schema: pa.Schema,
    sort_by: Sequence[str],
    *,
    unique: bool = True,
) -> str:
    """Write the canonical form of ``table`` atomically; return the file's sha256."""
    return write_canonical(table, path, schema, sort_by, unique=unique)[0]


def write_canonical(
    table: pa.Table | pl.DataFrame,
    path: Path | str,
    schema: pa.Schema,
    sort_by: Sequence[str],
    *,
    unique: bool = True,
) -> tuple[str, pa.Table]:
    """``write_parquet``, also returning the canonical table it wrote: the file's rows, order and
    schema exactly (what ``read_table`` of the file gives), so a stage hands its next stage the
    artifact without reading 5 M rows back from disk."""
    arrow = canonical_table(table, schema, sort_by, name=str(path), unique=unique)
    options = parquet_options(arrow.schema)
    return atomic_write_hashed(path, lambda sink: pq.write_table(arrow, sink, **options)), arrow


def read_table(path: Path | str, schema: pa.Schema, columns: Sequence[str] | None = None) -> pa.Table:
    """Read a Parquet artifact as pyarrow and check it is exactly ``schema``.

    With ``columns`` only those are read (a reader that needs three of fourteen columns does not
    hold the other eleven); the file's whole schema is still checked, from its footer.
    """
    path = Path(path)
    expected = schema.remove_metadata()
    try:
        if columns is not None:
            validate_schema(pq.read_schema(path).remove_metadata().empty_table(), expected, str(path))
            expected = pa.schema([expected.field(name) for name in columns])
        table = pq.read_table(path, columns=None if columns is None else list(columns))
    except FileNotFoundError:
        raise ArtifactError(path, "missing") from None
    except (OSError, pa.ArrowException) as exc:
        raise ArtifactError(path, f"unreadable Parquet ({type(exc).__name__}: {exc})") from exc
    table = table.replace_schema_metadata(None)
    validate_schema(table, expected, str(path))
    return table


def read_parquet(path: Path | str, schema: pa.Schema, columns: Sequence[str] | None = None) -> pl.DataFrame:
    """``read_table`` as a polars DataFrame (for stages 4 onwards)."""
    return as_frame(read_table(path, schema, columns))


def as_frame(table: pa.Table) -> pl.DataFrame:
    """An artifact's table (read, or the canonical one just written) as a polars DataFrame."""
    import polars as pl  # lazy: see module docstring

    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)  # a Table always gives a DataFrame
    return frame
