"""Stage 1: load the pinned snapshot, trusting only bytes whose hash matches the lock.

The hash is taken over the very bytes that are parsed, so a file swapped
between check and read cannot slip through.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from aurora_e2d.core import paths
from aurora_e2d.core.errors import InputError
from aurora_e2d.data.sessions import DEFAULT_CALENDAR
from aurora_e2d.data.snapshot import ACTIONS_FILE, ACTIONS_SCHEMA, PRICES_FILE, PRICES_SCHEMA
from aurora_e2d.rundir.artifacts import ArtifactError, sha256_bytes, validate_schema

__all__ = ["Snapshot", "load_lock", "load_snapshot"]


@dataclass(slots=True)
class Snapshot:
    """The verified inputs: raw prices and the corporate-actions table, with their hashes.

    Not frozen for one reason: ``release_prices``. The raw prices are read by stages 2-4 alone
    and are the largest table a run loads (320 MB at 2,000 symbols x 10 years); whoever holds
    the snapshot after the data stages (the caller, the manifest) needs its hashes and actions.
    """

    prices: pa.Table
    actions: pa.Table
    prices_sha256: str
    actions_sha256: str
    lock_sha256: str  # identifies the whole input set (for the manifest and stage cache keys)
    directory: Path | None = None
    calendar: str = DEFAULT_CALENDAR  # the exchange-calendars code its dates are sessions of
    kind: str = "bundled"  # bundled | imported | synthetic (a synthetic one is labelled so)

    def release_prices(self) -> None:
        """Drop the raw prices (an empty table of the same schema stays): the data stages that
        read them have ended, so every holder of this snapshot lets go of their memory at once."""
        self.prices = self.prices.schema.empty_table()


def load_lock(directory: Path) -> tuple[dict, str]:
    """The parsed ``snapshot.lock.json`` and its sha256; ``InputError`` if missing or malformed."""
    path = directory / paths.LOCK_NAME
    try:
        data = path.read_bytes()
        lock = json.loads(data)
        for name in (PRICES_FILE, ACTIONS_FILE):
            entry = lock["files"][name]
            if not isinstance(entry["sha256"], str) or not isinstance(entry["rows"], int):
                raise TypeError(name)
        if not isinstance(lock.get("calendar", DEFAULT_CALENDAR), str):
            raise TypeError("calendar")
    except FileNotFoundError:
        paths.check_snapshot_dir(directory)  # names the directory: missing, or holding no snapshot
        raise InputError(str(path), "missing") from None  # gone between the check and here
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(str(path), f"malformed lock ({type(exc).__name__}: {exc})") from None
    return lock, sha256_bytes(data)


def _load_verified(path: Path, entry: dict, schema: pa.Schema) -> tuple[pa.Table, str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(str(path), "missing") from None
    actual = sha256_bytes(data)
    if actual != entry["sha256"]:
        raise InputError.hash_mismatch(path, entry["sha256"], actual)
    table = pq.read_table(pa.BufferReader(data)).replace_schema_metadata(None)
    try:
        validate_schema(table, schema, str(path))
    except ArtifactError as exc:  # only reachable if the lock itself pins a bad file
        raise InputError(str(path), exc.reason) from None
    if table.num_rows != entry["rows"]:
        raise InputError(str(path), f"expected {entry['rows']} rows, found {table.num_rows}")
    return table, actual


def load_snapshot(directory: Path | None = None) -> Snapshot:
    """Stage 1. ``directory`` defaults to the repository's ``goldens/snapshot``."""
    directory = paths.snapshot_dir() if directory is None else Path(directory)
    lock, lock_sha = load_lock(directory)
    prices, prices_sha = _load_verified(directory / PRICES_FILE, lock["files"][PRICES_FILE], PRICES_SCHEMA)
    actions, actions_sha = _load_verified(
        directory / ACTIONS_FILE, lock["files"][ACTIONS_FILE], ACTIONS_SCHEMA
    )
    return Snapshot(
        prices,
        actions,
        prices_sha,
        actions_sha,
        lock_sha,
        directory=directory,
        calendar=str(lock.get("calendar", DEFAULT_CALENDAR)),  # format 1 (the bundled lock) is XNYS
        kind=str(lock.get("kind", "bundled")),
    )
