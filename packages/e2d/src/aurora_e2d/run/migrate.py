"""`aurora migrate --run-dir D`: carry a run directory written by an older Aurora to this format.

`aurora run`, `resume` and `advance` do the same on their own before they
write; this command exists for a run nobody will continue soon but that the
gates, a backup or a report must read in the current format (a completed
run, for example). Under the run's lock: the journal is copied to
``journal.sqlite.bak-v<old>`` and migrated in one transaction
(``aurora_broker.migrate``), ``config.json`` gets the new format and config
identity, and the manifest records the format, the journal's chain head and
the new hashes of the two files that changed -- nothing else in it moves.
"""

from __future__ import annotations

from pathlib import Path

from aurora_broker import JOURNAL_NAME
from aurora_e2d.run.job import _history
from aurora_e2d.run.lock import RunLock
from aurora_e2d.run.phase import CONFIG_FILE
from aurora_e2d.rundir.artifacts import sha256_file
from aurora_e2d.rundir.layout import MANIFEST_FILE
from aurora_e2d.rundir.manifest import read_manifest, write_manifest
from aurora_e2d.rundir.readers import load_run_config, read_frozen
from aurora_e2d.rundir.runformat import BACKUP_GLOB, RUN_FORMAT_VERSION, upgrade_run_dir

__all__ = ["migrate_run"]


def migrate_run(run_dir: Path) -> str:
    """Upgrade ``run_dir`` in place (see the module docstring); the line to print."""
    identity = load_run_config(run_dir).config_hash()  # refuses a newer or foreign directory
    with RunLock(run_dir):
        upgrade = upgrade_run_dir(run_dir, read_frozen(run_dir / CONFIG_FILE), identity)
        if upgrade is None:
            return f"{run_dir} is already format {RUN_FORMAT_VERSION}; nothing to migrate"
        if (run_dir / MANIFEST_FILE).is_file() and (run_dir / JOURNAL_NAME).is_file():
            _rebind_manifest(run_dir)
    return f"migrated {run_dir}: {upgrade.describe()}"


def _rebind_manifest(run_dir: Path) -> None:
    manifest = read_manifest(run_dir)
    history, journal = _history(run_dir)
    manifest.update(format_version=RUN_FORMAT_VERSION, journal=journal, history=history)
    artifacts = manifest.setdefault("artifacts", {})
    for name in (CONFIG_FILE, JOURNAL_NAME):
        record = artifacts.get(name)
        if isinstance(record, dict):
            record["sha256"] = sha256_file(run_dir / record["path"])
    for backup in sorted(run_dir.glob(BACKUP_GLOB)):  # the copies before, listed and hashed
        artifacts[backup.name] = {
            "path": backup.name,
            "sha256": sha256_file(backup),
            "rows": None,
            "schema": None,
        }
    write_manifest(run_dir, manifest)
