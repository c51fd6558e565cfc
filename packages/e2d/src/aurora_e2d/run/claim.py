"""A run directory's identity, claimed first: lock, frozen config, run id -- before any stage.

Light on purpose (no polars, no model stack): `aurora run` claims its
directory as the first thing it does, so from that instant `aurora kill
--run-dir D` finds a locked run with an identity and is accepted, and the run
halts before its first order. A directory this claim created is removed
again when the run is refused as bad input, never one the user had.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from aurora_e2d.core.errors import InputError
from aurora_e2d.run.lock import RunDirBusyError, RunLock
from aurora_e2d.rundir.config import RunConfig
from aurora_e2d.rundir.layout import CONFIG_FILE
from aurora_e2d.rundir.readers import load_run_config, read_frozen
from aurora_safety import StorageError

__all__ = [
    "CONFIG_FILE",
    "RunClaim",
    "abandon_early_claim",
    "claim_early",
    "claim_run_dir",
    "last_committed",
    "load_run_config",
    "new_run_id",
    "prepare_run_dir",
]


# The lock `aurora run --run-dir D` takes in its first instant (launch.py), adopted by claim_run_dir.
_early: dict[Path, tuple[RunLock, bool]] = {}


def claim_early(run_dir: Path) -> None:
    """Lock ``run_dir`` at once, before the CLI loads: from here on `aurora kill --run-dir` lands.

    A storage fault is raised (launch.py says it in one line, exit 2): the fault would not be met
    again. Any other failure is left to the normal claim, which reports it as one line.
    """
    created = not run_dir.exists()
    try:
        _early[run_dir] = (RunLock(run_dir).acquire(), created)
    except StorageError:  # a disk or permission fault is said here, once (launch.py: one line, exit 2)
        if created:
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    except (OSError, InputError):  # anything else: the normal claim says it in one line
        if created:
            shutil.rmtree(run_dir, ignore_errors=True)


def abandon_early_claim() -> None:
    """Release an early lock nobody adopted; remove its directory if this process made it and no run
    was frozen there (a refused command or a signal during start-up leaves nothing behind)."""
    while _early:
        run_dir, (lock, created) = _early.popitem()
        if created and not (run_dir / CONFIG_FILE).is_file():
            shutil.rmtree(run_dir, ignore_errors=True)
        lock.release()


@dataclass
class RunClaim:
    """A run directory this process holds the lock of, with its frozen config written."""

    run_dir: Path
    run_id: str
    created: bool


def new_run_id(config: RunConfig) -> str:
    """Readable and unique per start: UTC start time plus the config hash prefix."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{config.config_hash()[:8]}"


def prepare_run_dir(config: RunConfig, run_dir: Path, *, move_snapshot: bool = False) -> tuple[Path, str]:
    """Create (or re-open) a run directory whose frozen config equals `config` (caller holds its lock).

    Re-opening with another snapshot directory is refused unless ``move_snapshot``: only
    `aurora advance` moves a run to a newer snapshot, after its restatement checks.
    """
    from aurora_e2d.rundir.runformat import (  # broker, pyarrow
        RUN_FORMAT_VERSION,
        needs_upgrade,
        upgrade_run_dir,
    )

    frozen = run_dir / CONFIG_FILE
    run_id = run_dir.name
    if frozen.is_file():
        saved = read_frozen(frozen)
        if needs_upgrade(saved):  # written by an older Aurora: migrate under this lock (runformat.py)
            upgrade = upgrade_run_dir(run_dir, saved, load_run_config(run_dir).config_hash())
            if upgrade is not None:
                print(f"aurora: upgraded {run_dir}: {upgrade.describe()}", file=sys.stderr)
            saved = read_frozen(frozen)
        run_id = str(saved["run_id"])
        if saved.get("config_hash") != config.config_hash():
            raise InputError(
                str(frozen),
                f"run directory was created with config {str(saved.get('config_hash', '?'))[:12]}, "
                f"this run asks for {config.config_hash()[:12]}; use a new --run-dir or the original config",
            )
        before = (saved["config"].get("data") or {}).get("snapshot")
        if before == config.data.snapshot:
            return run_dir, run_id
        if not move_snapshot:
            raise InputError(
                str(frozen),
                f"run reads snapshot {before or 'bundled'}, not {config.data.snapshot or 'bundled'}; "
                "move it to newer data with `aurora advance --run-dir D --snapshot NEW`",
            )
    from aurora_e2d.rundir.artifacts import atomic_write_bytes  # pyarrow: only when a config is written

    run_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "format_version": RUN_FORMAT_VERSION,
        "run_id": run_id,
        "config_hash": config.config_hash(),
        "config": config.model_dump(mode="json"),
    }
    atomic_write_bytes(frozen, (json.dumps(payload, indent=2, sort_keys=True) + "\n").encode())
    return run_dir, run_id


@contextmanager
def claim_run_dir(config: RunConfig, run_dir: Path | None) -> Iterator[RunClaim]:
    """Hold ``run_dir`` (default ``runs/<run_id>``) as its only writer, its config frozen, for the block.

    Bad input raised inside the block removes a directory this claim created
    (never one the user had, nor one another writer holds).
    """
    if run_dir is None:
        run_dir = Path("runs") / new_run_id(config)
    early = _early.pop(run_dir, None)
    created = early[1] if early is not None else not run_dir.exists()
    try:
        lock = early[0] if early is not None else RunLock(run_dir).acquire()
        try:
            run_dir, run_id = prepare_run_dir(config, run_dir)
            yield RunClaim(run_dir, run_id, created)
        finally:
            lock.release()
    except InputError as error:
        if created and not isinstance(error, RunDirBusyError):
            shutil.rmtree(run_dir, ignore_errors=True)
        raise


def last_committed(run_dir: Path) -> date | None:
    """The session of the journal's last checkpoint, or None (no journal, or nothing committed)."""
    from aurora_broker import JOURNAL_NAME, JournalReader

    if not (run_dir / JOURNAL_NAME).is_file():
        return None
    with JournalReader.open(run_dir) as reader:
        checkpoint = reader.last_checkpoint()
    return None if checkpoint is None else checkpoint.session
