"""Find the source files and read each into a table: CSV (any delimiter of , ; tab) or Parquet, gzip or not.

The format is decided by the bytes, not the name: gzip by its magic number,
Parquet by ``PAR1``; everything else must be UTF-8 text. CSV columns are read
as strings (parsing, with row and column in every message, is ``parse``'s
job). A CSV row is numbered as an editor shows it (the header is row 1, blank
lines count); a Parquet row is its 1-based position.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from aurora_e2d.core.errors import InputError
from aurora_e2d.data.importer.bounded import ReadLimits, check_parquet, read_bounded
from aurora_e2d.data.importer.symbols import file_stem

__all__ = ["Origin", "RawTable", "SourceFile", "expand_sources", "read_source", "symbol_from_name"]

SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")  # the files taken from a directory
_BOM = b"\xef\xbb\xbf"
_SNIFF_BYTES = 1 << 16
_DELIMITERS = (",", ";", "\t")
_COLUMN_COUNT = re.compile(r"Expected (\d+) columns, got (\d+): ?(.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    display: str  # as the user named it, for messages (never written into the snapshot)
    name: str  # the file name, for the lock


@dataclass(frozen=True, slots=True)
class Origin:
    """Where rows came from, to name them in messages: the file and how to number its rows."""

    source: SourceFile
    row_of: Callable[[int], int]  # data row index -> the row number a user sees

    def error(self, i: int | None, column: str | None, problem: str) -> InputError:
        """``data/AAPL.csv: row 17 column 'Close': <problem>`` (row and column when known)."""
        where = self.source.display
        if i is not None:
            where += f": row {self.row_of(i)}"
        if column is not None:
            where += f" column {column!r}" if i is not None else f": column {column!r}"
        return InputError(where, problem)


@dataclass(frozen=True, slots=True)
class RawTable:
    """One source file's columns: strings for CSV, typed for Parquet."""

    origin: Origin
    table: pa.Table
    is_text: bool
    lock_entry: dict[str, object]

    def error(self, i: int | None, column: str | None, problem: str) -> InputError:
        return self.origin.error(i, column, problem)


def symbol_from_name(name: str) -> str:
    """``aapl.csv.gz`` -> ``AAPL``, ``BRK.B.csv`` -> ``BRK.B``: the file name without its data suffix, upper case.

    Unchecked: for telling a per-symbol file from a long table; ``symbols.symbol_from_file`` checks it.
    """
    return file_stem(name).upper()


def _wanted(path: Path) -> bool:
    name = path.name.lower()
    return not name.startswith(".") and name.endswith(SUFFIXES) and path.is_file()


def expand_sources(sources: Sequence[Path]) -> list[SourceFile]:
    """Files as given, and every CSV/CSV.GZ/Parquet file of a directory (sorted by name, not recursive)."""
    if not sources:
        raise InputError("SRC", "no source files or directories given")
    files: list[SourceFile] = []
    seen: set[Path] = set()
    for src in map(Path, sources):
        if src.is_dir():
            found = sorted((p for p in src.iterdir() if _wanted(p)), key=lambda p: p.name)
            if not found:
                raise InputError(str(src), f"no {', '.join(SUFFIXES)} files in this directory")
            entries = [(p, str(src / p.name)) for p in found]
        elif src.is_file():
            entries = [(src, str(src))]
        else:
            raise InputError(str(src), "no such file or directory")
        for path, display in entries:
            real = path.resolve()
            if real not in seen:  # the same file named twice (a directory and a file in it) is read once
                seen.add(real)
                files.append(SourceFile(path, display, path.name))
    return files


def read_source(source: SourceFile, limits: ReadLimits | None = None) -> RawTable:
    """Read one file within ``limits``; ``InputError`` naming it for empty, binary, truncated, malformed or too big."""
    limits = limits or ReadLimits()
    try:
        data, entry = read_bounded(source.path, source.display, limits)
    except OSError as exc:
        raise InputError(source.display, f"cannot be read ({exc.strerror or exc})") from None
    fail = lambda problem: InputError(source.display, problem)  # noqa: E731
    if not data.strip():
        raise fail("empty file (after gunzip)" if entry["bytes"] != len(data) else "empty file")
    if data[:4] == b"PAR1":
        try:
            check_parquet(data, source.display, limits)
            table = pq.read_table(pa.BufferReader(data))
        except (OSError, pa.ArrowException) as exc:
            raise fail(f"not a readable Parquet file ({exc})") from None
        return RawTable(Origin(source, lambda i: i + 1), table, False, entry)
    if data[:4] == b"PK\x03\x04":
        raise fail("a zip archive; unzip it and import the files inside")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise fail("UTF-16 text; save it as UTF-8")
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise fail("binary data, not a CSV, gzip or Parquet file")
    return _read_csv(source, data.removeprefix(_BOM), entry)


def _header(data: bytes) -> tuple[int, bytes]:
    """(offset of the header line, the header line) -- the first line that is not blank."""
    offset = 0
    while True:
        end = data.find(b"\n", offset)
        line = data[offset:] if end < 0 else data[offset:end]
        if line.strip() or end < 0:
            return offset, line.rstrip(b"\r")
        offset = end + 1


def _read_csv(source: SourceFile, data: bytes, entry: dict[str, object]) -> RawTable:
    offset, header = _header(data)
    try:
        header_text = header.decode()
    except UnicodeDecodeError:
        raise InputError(source.display, "row 1: not UTF-8 text") from None
    delimiter = max(_DELIMITERS, key=header_text.count)  # ties go to the comma
    parse = pacsv.ParseOptions(delimiter=delimiter)
    try:
        names = pacsv.read_csv(pa.BufferReader(header + b"\n"), parse_options=parse).schema.names
        table = pacsv.read_csv(
            pa.BufferReader(data[offset:]),
            parse_options=parse,
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                null_values=[""],
            ),
        )
    except pa.ArrowInvalid as exc:
        raise _csv_error(source, data, str(exc)) from None
    row_of = _row_numbers(data, offset)
    if table.num_rows == 0:
        raise InputError(source.display, "no data rows (header only)")
    return RawTable(Origin(source, row_of), table, True, entry)


def _csv_error(source: SourceFile, data: bytes, message: str) -> InputError:
    """A parse error as one line, with the row number when the reader quoted the bad line."""
    message = message.removeprefix("CSV parse error: ")
    if "invalid UTF8" in message or "UTF8 data" in message:
        return InputError(source.display, "not UTF-8 text (or binary data)")
    match = _COLUMN_COUNT.match(message)
    if match:
        expected, found, text = match.groups()
        lines = data.split(b"\n")
        for number, line in enumerate(lines, start=1):
            if text and line.rstrip(b"\r").decode(errors="replace") == text:
                return InputError(
                    f"{source.display}: row {number}", f"{found} fields, but the header has {expected}"
                )
        return InputError(source.display, f"a row has {found} fields, but the header has {expected}")
    return InputError(source.display, f"not a readable CSV file ({' '.join(message.split())[:200]})")


def _row_numbers(data: bytes, offset: int) -> Callable[[int], int]:
    """Data row index -> 1-based line number; the reader skips blank lines, an editor does not."""
    newline = b"\n" if b"\n" in data else b"\r"  # old Mac line ends
    header_row = data.count(newline, 0, offset) + 1
    body = data[offset:]
    blank = newline + newline in body or newline + b"\r" + newline in body
    if not blank:
        return lambda i: header_row + 1 + i
    ends = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == ord(newline))
    starts = np.concatenate([[0], ends + 1])
    stops = np.concatenate([ends, [len(body)]])
    lengths = stops - starts
    cr = np.zeros(len(starts), dtype=bool)
    cr[lengths == 1] = np.frombuffer(body, dtype=np.uint8)[starts[lengths == 1]] == ord("\r")
    rows = np.flatnonzero((lengths > 0) & ~cr)[1:]  # line indexes of data rows (the header is the first)
    return lambda i: header_row + int(rows[i]) if i < len(rows) else header_row + 1 + i
