"""Write an imported or synthetic snapshot directory: whole, immutable, reproducible.

The directory is laid out like ``goldens/snapshot`` (prices, corporate
actions, lock, provenance) plus ``sanity.json``. It is built in a temporary
directory next to the target, fsynced, then renamed into place, so a reader
sees a complete snapshot or none, and a failed import leaves nothing behind.
A snapshot is never overwritten: a target that exists and is not empty is
refused. Nothing run-specific (wall time, absolute paths, user names) goes into
any file, so the same inputs give a byte-identical directory.

Lock format 2 (format 1 is the bundled lock, read by ``ingest`` as XNYS/bundled)::

    format_version 2
    kind           "imported" | "synthetic"
    label          "SYNTHETIC" (synthetic only)
    calendar       exchange-calendars code the dates are sessions of
    price_basis    "raw" | "split_adjusted"
    source         imported: {"files": [{"name", "sha256", "bytes"}], "options": {...},
                   "actions_from": {...}, "assumptions": [every assumption the import made]}
                   synthetic: {"generator": ..., "options": {...}}
    writer         {"pyarrow": version}  (the Parquet bytes depend on it)
    files          {name: {"rows", "sha256"}} for the two Parquet files
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from aurora_e2d.core import paths
from aurora_e2d.core.errors import InputError
from aurora_e2d.data.snapshot import PROVENANCE_FILE, write_tables
from aurora_e2d.rundir.artifacts import atomic_write_bytes, fsync_dir, sha256_bytes

__all__ = ["LOCK_FORMAT_VERSION", "SANITY_FILE", "WrittenSnapshot", "check_target", "write_snapshot_dir"]

LOCK_FORMAT_VERSION = 2
SANITY_FILE = "sanity.json"
KINDS = ("imported", "synthetic")
_DIR_MODE = 0o755  # mkdtemp creates 0700; a snapshot is an ordinary readable directory


@dataclass(frozen=True, slots=True)
class WrittenSnapshot:
    """What was written: the directory, its lock and the lock's sha256 (the snapshot's identity)."""

    directory: Path
    lock: dict
    lock_sha256: str


def check_target(out: Path, option: str = "--out") -> None:
    """Refuse a target that exists and is not an empty directory: snapshots are immutable."""
    if not out.exists() and not out.is_symlink():
        return
    if out.is_dir() and not out.is_symlink() and not any(out.iterdir()):
        return
    raise InputError(
        f"{option} {out}",
        "already exists and is not empty; snapshots are immutable, write a new directory",
    )


def _json_bytes(value: object) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()


def _lock(
    kind: str, calendar: str, price_basis: str, source: dict, files: dict[str, dict[str, object]]
) -> dict:
    lock: dict[str, object] = {
        "format_version": LOCK_FORMAT_VERSION,
        "kind": kind,
        "calendar": calendar,
        "price_basis": price_basis,
        "source": source,
        "writer": {"pyarrow": pa.__version__},
        "files": files,
    }
    if kind == "synthetic":
        lock["label"] = "SYNTHETIC"
    return lock


def write_snapshot_dir(
    out: Path,
    *,
    prices: pa.Table,
    actions: pa.Table,
    kind: str,
    calendar: str,
    price_basis: str,
    source: dict,
    sanity: dict,
    provenance: Callable[[dict], str],
) -> WrittenSnapshot:
    """Write the snapshot atomically at ``out``; ``provenance(lock) -> str`` renders PROVENANCE.md."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, was {kind!r}")
    out = Path(out)
    check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        files = write_tables(tmp, prices, actions)
        lock = _lock(kind, calendar, price_basis, source, files)
        lock_bytes = _json_bytes(lock)
        atomic_write_bytes(tmp / paths.LOCK_NAME, lock_bytes)
        atomic_write_bytes(tmp / SANITY_FILE, _json_bytes(sanity))
        atomic_write_bytes(tmp / PROVENANCE_FILE, provenance(lock).encode())
        os.chmod(tmp, _DIR_MODE)
        fsync_dir(tmp)
        check_target(out)  # again, just before the rename: someone may have written there meanwhile
        os.rename(tmp, out)  # replaces only an empty directory; never a snapshot
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fsync_dir(out.parent)  # make the rename itself durable
    return WrittenSnapshot(out, lock, sha256_bytes(lock_bytes))
