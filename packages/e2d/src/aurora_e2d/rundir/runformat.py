"""Run-directory format versions, and the upgrade that carries an older directory forward.

``config.json`` and ``manifest.json`` carry ``format_version``; a directory
without it is format 1 (written before versions, e.g. the release at
cd38524). The journal carries its own (``aurora_broker.JOURNAL_FORMAT_VERSION``).

Format 2 differs from 1 in: the config hash is the config's identity
(effective trading values, ADR 0011) instead of a hash of every field; the
journal is v3 (hash-chained checkpoints); the manifest records the journal's
format and chain head. A newer directory is refused with one line naming
both versions. An older one is upgraded by the writers (`aurora run`,
`resume`, `advance`) under the run's lock, or by `aurora migrate`: the
stored legacy hash must match the stored config (nothing was edited), the
journal is copied to ``journal.sqlite.bak-v<old>`` and migrated in one
transaction, then ``config.json`` is copied to ``config.json.bak-v<old>`` and
rewritten (atomically) with the new version and identity. The copies are
listed in the manifest (``BACKUP_GLOB``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aurora_broker import JOURNAL_NAME, Migration, migrate_journal
from aurora_e2d.core.errors import InputError
from aurora_e2d.rundir.identity import legacy_config_hash
from aurora_e2d.rundir.layout import CONFIG_FILE

__all__ = [
    "BACKUP_GLOB",
    "RUN_FORMAT_VERSION",
    "Upgrade",
    "check_run_format",
    "needs_upgrade",
    "upgrade_run_dir",
]

RUN_FORMAT_VERSION = 2
BACKUP_GLOB = "*.bak-v*"  # what an upgrade leaves: journal.sqlite.bak-v2, config.json.bak-v1


def _format_of(saved: dict[str, Any]) -> int:
    value = saved.get("format_version", 1)
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def check_run_format(run_dir: Path, saved: dict[str, Any]) -> int:
    """The directory's format; a newer (or unreadable) one is refused with one line."""
    version = _format_of(saved)
    if version > RUN_FORMAT_VERSION or version < 1:
        raise InputError(
            str(run_dir / CONFIG_FILE),
            f"run directory format {saved.get('format_version')!r} is newer than this Aurora's "
            f"{RUN_FORMAT_VERSION}; use the Aurora release that wrote it (or a newer one)",
        )
    return version


def needs_upgrade(saved: dict[str, Any]) -> bool:
    return _format_of(saved) < RUN_FORMAT_VERSION


@dataclass(frozen=True)
class Upgrade:
    """What ``upgrade_run_dir`` did, for the one line the CLI prints."""

    run_dir: Path
    from_format: int
    journal: Migration | None

    def describe(self) -> str:
        text = f"run directory format {self.from_format} -> {RUN_FORMAT_VERSION}"
        if self.journal is not None:
            text += (
                f", journal v{self.journal.from_version} -> v{self.journal.to_version} "
                f"({self.journal.sessions_chained} sessions chained; copy before: {self.journal.backup})"
            )
        return text


def upgrade_run_dir(run_dir: Path, saved: dict[str, Any], identity: str) -> Upgrade | None:
    """Carry a format-1 directory to this format (caller holds the run's lock); None if current.

    ``identity`` is the config identity of the stored config as this code reads it.
    """
    from aurora_e2d.rundir.artifacts import atomic_write_bytes  # pyarrow: not for `aurora status`

    version = check_run_format(run_dir, saved)
    if version == RUN_FORMAT_VERSION:
        return None
    frozen = run_dir / CONFIG_FILE
    stored_hash = str(saved.get("config_hash", ""))
    if legacy_config_hash(saved["config"]) != stored_hash:
        raise InputError(
            str(frozen),
            f"config hash {stored_hash[:12]} does not match the stored config (edited by hand?); "
            "not migrated: restore the original config.json",
        )
    atomic_write_bytes(run_dir / f"{CONFIG_FILE}.bak-v{version}", frozen.read_bytes())  # the way back
    journal = run_dir / JOURNAL_NAME
    migration = None
    if journal.is_file():
        migration = migrate_journal(journal, identity, legacy_config_hashes={stored_hash})
    payload = {
        **saved,
        "format_version": RUN_FORMAT_VERSION,
        "config_hash": identity,
        "legacy_config_hash": stored_hash,
    }
    atomic_write_bytes(frozen, (json.dumps(payload, indent=2, sort_keys=True) + "\n").encode())
    return Upgrade(run_dir, version, migration)
