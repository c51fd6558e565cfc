"""`aurora backup` / `aurora restore`: a verified copy of a run directory, taken while it is live.

The journal is copied with SQLite's online backup API (`aurora_broker.backup_journal`):
one read transaction, so a run committing sessions meanwhile is neither
blocked nor torn. Every other file (artifacts, models, manifest, config,
logs) is copied whole -- they are replaced by atomic renames, so an open file
is one version; the append-only logs are cut at their last complete line.
The archive is a gzip tar with an index (`BACKUP.json`: every file's sha256
and size, the journal's integrity_check), written to a temporary name, read back
and verified in full, then renamed into place.

The copied journal differs from the live one only in its header counters, so
the archive's `manifest.json` re-records the journal's sha256 (said in the
index). A backup of a finished command restores to a run that `aurora
status`, `gate l0` and `advance` accept as it is; a backup taken mid-command
restores to a run that stopped at that instant (its last committed session),
which `aurora resume` completes like any interrupted run.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath
from typing import Any

from aurora_broker import JOURNAL_NAME, JournalReader, backup_journal, integrity_check_journal
from aurora_e2d.core.errors import InputError
from aurora_e2d.run.lock import LOCK_FILE, holder
from aurora_e2d.run.metrics_prom import METRICS_FILE
from aurora_e2d.run.phase import CONFIG_FILE, is_run_dir
from aurora_e2d.rundir.artifacts import fsync_dir
from aurora_e2d.rundir.layout import MANIFEST_FILE
from aurora_e2d.rundir.manifest import read_manifest, rerecord

__all__ = ["BACKUP_FORMAT", "BACKUP_INDEX", "BackupResult", "create_backup", "restore_backup"]

BACKUP_INDEX = "BACKUP.json"
BACKUP_FORMAT = "aurora-run-backup"
BACKUP_FORMAT_VERSION = 1
_CHUNK = 1 << 20
# Not part of a run's state: the OS lock, derived metrics, half-written temp files, SQLite side files.
_SKIP_NAMES = frozenset({LOCK_FILE, METRICS_FILE, JOURNAL_NAME})
_SKIP_SUFFIXES = ("-wal", "-shm", "-journal", ".tmp")
_APPEND_ONLY_SUFFIX = ".jsonl"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    message: str


def _aurora_version() -> str:
    try:
        return version("aurora-e2d")
    except PackageNotFoundError:
        return "unknown"


def _copy_file(source: Path, target: Path) -> None:
    """Copy one file; an append-only log is cut after its last complete line (a writer may be mid-line)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.suffix == _APPEND_ONLY_SUFFIX:
        data = source.read_bytes()
        target.write_bytes(data[: data.rfind(b"\n") + 1])
        return
    with source.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, _CHUNK)


def _files_of(run_dir: Path) -> list[Path]:
    return sorted(
        path
        for path in run_dir.rglob("*")
        if path.is_file()
        and not path.is_symlink()
        and path.name not in _SKIP_NAMES
        and not path.name.endswith(_SKIP_SUFFIXES)
    )


def _digest(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def _stage(run_dir: Path, staging: Path) -> dict[str, Any]:
    """Copy the run into ``staging`` (journal by online backup first); return the index."""
    live = holder(run_dir) is not None
    backup_journal(run_dir, staging / JOURNAL_NAME)
    for source in _files_of(run_dir):
        try:
            _copy_file(source, staging / source.relative_to(run_dir))
        except FileNotFoundError:
            continue  # renamed or removed since the listing (a kill file cleared, a temp file renamed)
        except PermissionError as error:
            raise InputError(str(source), f"cannot be read for the backup ({error.strerror})") from None
    rerecorded = False
    if (staging / MANIFEST_FILE).is_file() and JOURNAL_NAME in read_manifest(staging).get("artifacts", {}):
        rerecord(staging, JOURNAL_NAME)
        rerecorded = True
    with JournalReader.open(staging / JOURNAL_NAME) as reader:
        checkpoint = reader.last_checkpoint()
    frozen = json.loads((staging / CONFIG_FILE).read_text(encoding="utf-8"))
    files = {
        path.relative_to(staging).as_posix(): _digest(path)
        for path in sorted(staging.rglob("*"))
        if path.is_file()
    }
    return {
        "format": BACKUP_FORMAT,
        "format_version": BACKUP_FORMAT_VERSION,
        "run_id": frozen.get("run_id"),
        "source_run_dir": str(run_dir.absolute()),
        "snapshot": (frozen.get("config", {}).get("data") or {}).get("snapshot"),
        "created_at_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "aurora_version": _aurora_version(),
        "live": live,
        "last_session": None if checkpoint is None else checkpoint.session.isoformat(),
        "journal_integrity_check": "ok",
        "manifest_journal_rerecorded": rerecorded,
        "files": files,
    }


def _write_archive(target: Path, staging: Path, index: Mapping[str, Any]) -> None:
    with target.open("wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=1, format=tarfile.PAX_FORMAT) as tar:
            for rel in index["files"]:
                info = tar.gettarinfo(str(staging / rel), arcname=rel)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = 0o644
                with (staging / rel).open("rb") as handle:
                    tar.addfile(info, handle)
            payload = (json.dumps(index, indent=2, sort_keys=True) + "\n").encode()
            info = tarfile.TarInfo(BACKUP_INDEX)
            info.size, info.mode, info.mtime = len(payload), 0o644, int(datetime.now(UTC).timestamp())
            tar.addfile(info, io.BytesIO(payload))
        raw.flush()
        os.fsync(raw.fileno())


def create_backup(run_dir: Path, out: Path) -> BackupResult:
    """Back ``run_dir`` up into the archive ``out`` (replaced atomically); verified before it is renamed."""
    if not is_run_dir(run_dir):
        raise InputError(str(run_dir), "holds no Aurora run (no config.json); nothing to back up")
    if not (run_dir / JOURNAL_NAME).is_file():
        raise InputError(str(run_dir), "has no journal yet (no session committed); nothing to back up")
    out = out.absolute()
    if out.is_dir():
        raise InputError(str(out), "is a directory; give the archive's file name (e.g. paper.tar.gz)")
    if not out.parent.is_dir():
        raise InputError(str(out.parent), "directory does not exist")
    if out.is_relative_to(run_dir.absolute()):
        raise InputError(str(out), "is inside the run directory it backs up; write it elsewhere")
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".staging", dir=out.parent))
    except OSError as error:
        raise InputError(
            str(out.parent), f"cannot write the backup here ({error.strerror or error})"
        ) from None
    tmp = staging.with_suffix(".tmp")
    try:
        index = _stage(run_dir, staging)
        _write_archive(tmp, staging, index)
        verify_archive(tmp)
        os.replace(tmp, out)
        fsync_dir(out.parent)
    except OSError as error:
        raise InputError(str(out), f"cannot write the backup ({error.strerror or error})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        tmp.unlink(missing_ok=True)
    size = sum(entry["size"] for entry in index["files"].values())
    state = "live run" if index["live"] else "run"
    return BackupResult(
        out,
        f"backed up {state} {run_dir} ({len(index['files'])} files, {size / 1e6:.1f} MB, last session "
        f"{index['last_session']}, journal integrity_check ok) to {out}",
    )


# ----------------------------------------------------------------------------- reading an archive
def _damaged(archive: Path, why: str) -> InputError:
    return InputError(str(archive), f"damaged or not an Aurora backup ({why})")


def _safe_name(archive: Path, name: str) -> str:
    path = PurePosixPath(name)
    if name != path.as_posix() or path.is_absolute() or ".." in path.parts or "\\" in name or not path.parts:
        raise InputError(
            str(archive), f"member {name!r} would land outside the run directory; nothing restored"
        )
    return name


def _read_index(archive: Path, tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        handle = tar.extractfile(BACKUP_INDEX)
    except KeyError:
        raise _damaged(archive, f"no {BACKUP_INDEX}") from None
    if handle is None:
        raise _damaged(archive, f"{BACKUP_INDEX} is not a file")
    try:
        index = json.loads(handle.read())
    except ValueError as error:
        raise _damaged(archive, f"{BACKUP_INDEX} is not JSON: {error}") from None
    if not isinstance(index, dict) or index.get("format") != BACKUP_FORMAT:
        raise _damaged(archive, f"{BACKUP_INDEX} is not an {BACKUP_FORMAT} index")
    if index.get("format_version") != BACKUP_FORMAT_VERSION:
        raise InputError(
            str(archive),
            f"backup format version {index.get('format_version')}, this Aurora reads "
            f"{BACKUP_FORMAT_VERSION}; restore it with the Aurora that wrote it ({index.get('aurora_version')})",
        )
    if not isinstance(index.get("files"), dict) or JOURNAL_NAME not in index["files"]:
        raise _damaged(archive, f"{BACKUP_INDEX} lists no {JOURNAL_NAME}")
    return index


def _extract_verified(archive: Path, into: Path | None) -> dict[str, Any]:
    """Check every member against the index (and write it under ``into`` if given); the index."""
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            members = tar.getmembers()
            index = _read_index(archive, tar)
            files: dict[str, Any] = index["files"]
            seen: set[str] = set()
            for member in members:
                name = _safe_name(archive, member.name)
                if name == BACKUP_INDEX:
                    continue
                if not member.isreg():
                    raise InputError(str(archive), f"member {name!r} is not a regular file; nothing restored")
                if name not in files or name in seen:
                    raise _damaged(archive, f"member {name!r} is not in the index once")
                seen.add(name)
                if member.size != files[name].get("size"):  # before writing a byte: no disk-filling member
                    raise _damaged(archive, f"{name}: size {member.size} differs from the index")
                _check_member(archive, tar, member, files[name], None if into is None else into / name)
            missing = sorted(set(files) - seen)
            if missing:
                raise _damaged(archive, f"missing {len(missing)} file(s) of the index, e.g. {missing[0]}")
            return index
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise _damaged(archive, f"{type(error).__name__}: {error}") from None
    except FileNotFoundError:
        raise InputError(str(archive), "no such backup file") from None
    except OSError as error:
        raise _damaged(archive, f"{type(error).__name__}: {error}") from None


def _check_member(
    archive: Path,
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    entry: Mapping[str, Any],
    target: Path | None,
) -> None:
    source = tar.extractfile(member)
    assert source is not None  # a regular file
    digest, size = hashlib.sha256(), 0
    sink = None
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        sink = target.open("wb")
    try:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if sink is not None:
                sink.write(chunk)
        if sink is not None:
            sink.flush()
            os.fsync(sink.fileno())
    finally:
        if sink is not None:
            sink.close()
    if digest.hexdigest() != entry.get("sha256") or size != entry.get("size"):
        raise _damaged(archive, f"{member.name}: sha256/size differ from the index")


def verify_archive(archive: Path) -> dict[str, Any]:
    """Read a whole archive back: every file's sha256 and size, and the journal's integrity_check."""
    index = _extract_verified(archive, None)
    with tempfile.TemporaryDirectory(prefix=".verify.", dir=archive.parent) as scratch:
        _journal_check(archive, Path(scratch))
    return index


def _journal_check(archive: Path, scratch: Path) -> None:
    with tarfile.open(archive, mode="r:gz") as tar:
        source = tar.extractfile(JOURNAL_NAME)
        assert source is not None
        with (scratch / JOURNAL_NAME).open("wb") as sink:
            shutil.copyfileobj(source, sink, _CHUNK)
    result = integrity_check_journal(scratch / JOURNAL_NAME)
    if result != "ok":
        raise _damaged(archive, f"journal integrity_check: {result}")


def restore_backup(archive: Path, run_dir: Path) -> BackupResult:
    """Unpack a verified archive into the new directory ``run_dir`` (which must not hold anything)."""
    if run_dir.exists() and (not run_dir.is_dir() or any(run_dir.iterdir())):
        raise InputError(str(run_dir), "already exists and is not empty; restore into a new directory")
    parent = run_dir.absolute().parent
    if not parent.is_dir():
        raise InputError(str(parent), "directory does not exist")
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{run_dir.name}.", suffix=".restoring", dir=parent))
    except OSError as error:
        raise InputError(str(parent), f"cannot restore here ({error.strerror or error})") from None
    try:
        index = _extract_verified(archive, staging)
        result = integrity_check_journal(staging / JOURNAL_NAME)
        if result != "ok":
            raise _damaged(archive, f"journal integrity_check: {result}")
        if run_dir.exists():
            run_dir.rmdir()
        os.replace(staging, run_dir)
        fsync_dir(parent)
    except OSError as error:
        raise InputError(str(run_dir), f"cannot restore here ({error.strerror or error})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    note = ""
    snapshot = index.get("snapshot")
    if snapshot is not None and not Path(snapshot).is_dir():
        note = (
            f"; note: its snapshot {snapshot} is not on this machine (advance checks restatements against it)"
        )
    live = " (taken mid-command: `aurora resume` completes it)" if index.get("live") else ""
    return BackupResult(
        run_dir,
        f"restored run {index.get('run_id')} (last session {index.get('last_session')}, "
        f"{len(index['files'])} files verified){live} into {run_dir}; next: aurora status --run-dir {run_dir}{note}",
    )
