"""`aurora backup` and `aurora restore`: a verified copy of a run and its way back (run/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["backup", "restore"]


def backup(
    run_dir: Annotated[Path, typer.Option("--run-dir", help="The run directory to back up (live or not).")],
    out: Annotated[Path, typer.Option("--out", help="The archive to write (gzip tar), replaced atomically.")],
) -> None:
    """Verified backup of a run, consistent while it trades: the journal by SQLite's online backup,
    plus artifacts, models, manifest, config and logs; every file's sha256 in the archive's index."""
    from aurora_e2d.run.backup import create_backup

    typer.echo(create_backup(run_dir, out).message)


def restore(
    archive: Annotated[Path, typer.Argument(help="An archive written by `aurora backup`.")],
    run_dir: Annotated[
        Path, typer.Option("--run-dir", help="The new run directory (must not exist, or be empty).")
    ],
) -> None:
    """Unpack a backup into a new run directory after checking every file and the journal.

    Refused (exit 2, nothing written) for a non-empty target, a damaged archive, or a member
    that would land outside the target."""
    from aurora_e2d.run.backup import restore_backup

    typer.echo(restore_backup(archive, run_dir).message)
