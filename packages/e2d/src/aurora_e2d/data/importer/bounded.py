"""Read one source file within caps on its decompressed size and rows, so a gzip bomb is refused cheaply.

A gzip file is read twice, streaming: first only counting decompressed
bytes and lines (memory: one chunk), refused as soon as a cap is passed;
then, within the caps, decompressed into memory for the parser. Peak memory
is therefore proportional to what the file really holds (bounded by the
caps), never to what a hostile header or a bomb claims. A plain file is
refused by its size before it is read; a Parquet file by the row count and
uncompressed size in its footer.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from aurora_e2d.core.errors import InputError

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_MAX_FILE_ROWS",
    "ReadLimits",
    "check_parquet",
    "parse_size",
    "read_bounded",
]

DEFAULT_MAX_FILE_BYTES = 2 << 30  # 2 GiB of text: ~25 M daily bars of a long table
DEFAULT_MAX_FILE_ROWS = 25_000_000  # 2,000 symbols x 50 years of sessions
_CHUNK = 1 << 20
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Per source file: decompressed bytes and data rows at most (``--max-file-bytes``, ``--max-file-rows``)."""

    max_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_rows: int = DEFAULT_MAX_FILE_ROWS

    def __post_init__(self) -> None:
        if self.max_bytes < 1:
            raise InputError.bad_value("--max-file-bytes", ">= 1", self.max_bytes)
        if self.max_rows < 1:
            raise InputError.bad_value("--max-file-rows", ">= 1", self.max_rows)


def parse_size(text: str, flag: str) -> int:
    """``512M``, ``2G``, ``1048576``: a byte count (binary units K, M, G, T; an optional trailing B)."""
    value = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = value[-1:] if value[-1:] in _UNITS and value[-1:] else ""
    number = value[: len(value) - len(unit)]
    if not number.isdigit() or int(number) < 1 or int(number) * _UNITS[unit] >= 1 << 62:
        raise InputError.bad_value(flag, "a size like 512M, 2G or a byte count >= 1", text)
    return int(number) * _UNITS[unit]


def _sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _gunzip(path: Path, display: str, limits: ReadLimits) -> bytes:
    """Count first (bounded memory), then decompress what is known to fit the caps."""
    total = lines = 0
    try:
        with gzip.open(path, "rb") as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                lines += chunk.count(b"\n")
                if total > limits.max_bytes:
                    raise InputError(
                        display,
                        f"decompresses to more than {limits.max_bytes:,} bytes (the cap; raise it with "
                        "--max-file-bytes if the file is genuine)",
                    )
                if lines - 1 > limits.max_rows:
                    raise _rows(display, limits)
        with gzip.open(path, "rb") as stream:
            return stream.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(display, f"not a valid gzip file ({exc})") from None


def _rows(display: str, limits: ReadLimits) -> InputError:
    return InputError(
        display,
        f"has more than {limits.max_rows:,} rows (the cap; raise it with --max-file-rows if the file is genuine)",
    )


def check_parquet(data: bytes, display: str, limits: ReadLimits) -> None:
    """Refuse by the footer's own counts before any column is decoded."""
    meta = pq.ParquetFile(pa.BufferReader(data)).metadata
    if meta.num_rows > limits.max_rows:
        raise _rows(display, limits)
    size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if size > limits.max_bytes:
        raise InputError(
            display,
            f"holds {size:,} bytes of uncompressed columns, more than {limits.max_bytes:,} (the cap; "
            "raise it with --max-file-bytes if the file is genuine)",
        )


def read_bounded(path: Path, display: str, limits: ReadLimits) -> tuple[bytes, dict[str, object]]:
    """(the file's content, decompressed when gzip; its lock entry: name, sha256, bytes of the file)."""
    sha, size = _sha256(path)
    entry: dict[str, object] = {"name": path.name, "sha256": sha, "bytes": size}
    with path.open("rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        return _gunzip(path, display, limits), entry
    if size > limits.max_bytes:
        raise InputError(
            display,
            f"is {size:,} bytes, more than {limits.max_bytes:,} (the cap; raise it with --max-file-bytes "
            "if the file is genuine)",
        )
    data = path.read_bytes()
    if data.count(b"\n") - 1 > limits.max_rows:
        raise _rows(display, limits)
    return data, entry
