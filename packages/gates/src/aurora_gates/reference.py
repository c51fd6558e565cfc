"""The team's reference: the goldens directory named in aurora.toml (or the bundled one), the
snapshot and config its goldens were measured on, and the refusal of runs over another snapshot.

Every gate that compares a run with goldens (`aurora ratchet`, `aurora gate l2`,
the rollback-test, the promotion's blessing item, `nox -s l2`) resolves the
reference here, so they cannot disagree about which goldens judge a run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aurora_e2d.core.errors import InputError
from aurora_e2d.core.paths import snapshot_dir as bundled_snapshot_dir
from aurora_e2d.core.reference import GOLDENS_METRICS, GoldensLocation, locate_goldens
from aurora_e2d.data.ingest import load_lock
from aurora_e2d.rundir.config import RunConfig
from aurora_e2d.rundir.layout import CONFIG_FILE, MANIFEST_FILE
from aurora_gates.ratchet.goldens import Goldens, RatchetError, load_goldens

__all__ = [
    "METRICS",
    "REFERENCE_CONFIG",
    "Reference",
    "config_hash_without_window",
    "load_reference",
    "require_run_on_reference",
    "run_snapshot_lock",
]

METRICS = GOLDENS_METRICS
REFERENCE_CONFIG = CONFIG_FILE  # the reference config, frozen as a run's config.json is
_WINDOW = ("start", "end")  # where a run trades, not how: not part of the reference's identity


def config_hash_without_window(config: Mapping[str, Any] | None = None) -> str:
    """The hash of a config with its window cleared: this revision's defaults when ``config`` is None."""
    data = dict(RunConfig().model_dump(mode="json") if config is None else config)
    for key in _WINDOW:
        data.pop(key, None)
    return RunConfig.model_validate({**data, "start": None, "end": None}, strict=False).config_hash()


def _lock_sha256(directory: Path) -> str:
    try:
        return load_lock(directory)[1]
    except InputError as error:
        raise RatchetError(f"reference snapshot: {error}") from None


@dataclass(frozen=True)
class Reference:
    """A goldens directory, read and resolved to absolute paths."""

    repo_root: Path
    location: GoldensLocation
    goldens: Goldens

    @property
    def directory(self) -> Path:
        return self.location.directory

    @property
    def metrics_path(self) -> Path:
        return self.directory / METRICS

    @property
    def shown(self) -> str:
        """``metrics_path`` relative to the repository when inside it (shorter messages)."""
        try:
            return str(self.metrics_path.relative_to(self.repo_root.absolute()))
        except ValueError:
            return str(self.metrics_path)

    @property
    def snapshot_dir(self) -> Path | None:
        """The reference snapshot; None: the bundled one."""
        ref = self.goldens.reference
        return None if ref is None or ref.snapshot is None else (self.directory / ref.snapshot).resolve()

    @property
    def config_path(self) -> Path | None:
        """The reference config.json; None: this revision's default config."""
        ref = self.goldens.reference
        return None if ref is None or ref.config is None else self.directory / ref.config

    @property
    def lock_sha256(self) -> str:
        ref = self.goldens.reference
        if ref is not None:
            return ref.snapshot_lock_sha256
        return _lock_sha256(bundled_snapshot_dir())  # goldens from before references: the bundled one

    @property
    def config_hash(self) -> str:
        """What a candidate's config must hash to (window aside)."""
        ref = self.goldens.reference
        if ref is None or ref.config_hash is None:
            return config_hash_without_window()
        return ref.config_hash

    def run_args(self) -> list[str]:
        """`aurora run` options that run the reference config on the reference snapshot."""
        args = [] if self.config_path is None else ["--config", str(self.config_path)]
        return args + ([] if self.snapshot_dir is None else ["--snapshot", str(self.snapshot_dir)])

    def describe(self) -> str:
        snapshot = "the bundled snapshot" if self.snapshot_dir is None else str(self.snapshot_dir)
        config = "the default config" if self.config_path is None else str(self.config_path)
        return (
            f"goldens {self.shown} ({self.location.source}): snapshot {snapshot} "
            f"(lock {self.lock_sha256[:12]}), {config}"
        )


def load_reference(repo_root: Path) -> Reference:
    """The reference of the repository at ``repo_root``; ``RatchetError`` / ``ConfigError`` if unreadable."""
    location = locate_goldens(repo_root)
    return Reference(repo_root, location, load_goldens(location.directory / METRICS))


def run_snapshot_lock(run_dir: Path) -> str | None:
    """The lock hash of the snapshot a run read, from its manifest; None if not recorded."""
    try:
        manifest = json.loads((run_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RatchetError(f"{run_dir / MANIFEST_FILE}: does not exist (not a finished run)") from None
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise RatchetError(f"{run_dir / MANIFEST_FILE}: unreadable ({type(error).__name__})") from None
    identity = manifest.get("snapshot_identity") if isinstance(manifest, dict) else None
    lock = identity.get("lock_sha256") if isinstance(identity, dict) else None
    return lock if isinstance(lock, str) else None


def require_run_on_reference(run_dir: Path, reference: Reference) -> None:
    """Refuse (``RatchetError``, one line) a run over another snapshot than the goldens'."""
    lock = run_snapshot_lock(run_dir)
    if lock != reference.lock_sha256:
        raise RatchetError(
            f"{run_dir}: the run is over snapshot {str(lock)[:12]}, but the goldens {reference.shown} "
            f"belong to snapshot {reference.lock_sha256[:12]} ({reference.location.source}); compare runs "
            "of the reference snapshot, or name this snapshot's goldens in aurora.toml [gates] goldens"
        )
