"""`aurora goldens init|show|run`: name the team's reference snapshot and config, and run it.

``init`` runs the reference (flags off, as the champion is run) once, then
writes the goldens directory - metrics.json (golden metrics with the bundled
goldens' directions and tolerances, baseline hashes, the snapshot's lock hash
and the config) and config.json - and names it in aurora.toml ``[gates]``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from aurora_e2d.core.paths import aurora_executable
from aurora_e2d.core.reference import BUNDLED_GOLDENS, GOLDENS_METRICS, PROJECT_FILE, locate_goldens
from aurora_gates.paths import project_root
from aurora_safety.env import FLAG_PREFIX, ROLLBACK_VAR

# The goldens, config and snapshot modules load inside the commands: `aurora --help` stays light.

__all__ = ["goldens_app"]

goldens_app = typer.Typer(
    help="The team's reference snapshot and config, and the goldens the gates judge runs on.",
    no_args_is_help=True,
)
INIT_RUN_DIR = Path("runs") / "goldens-init"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"aurora: error: {message}", err=True)
    return typer.Exit(2)


def _aurora() -> str:
    exe = aurora_executable()
    if exe is None:
        raise _fail("the aurora console script is not installed beside this interpreter")
    return exe


def _flags_off_env() -> dict[str, str]:
    """The champion's environment: no stray flag from the shell, every flag rolled back."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(FLAG_PREFIX) and k != ROLLBACK_VAR}
    return {**env, ROLLBACK_VAR: "1"}


def _target(root: Path, goldens_dir: Path | None) -> Path:
    """The goldens directory to write: ``--goldens-dir``, else the one aurora.toml names; checked."""
    named = locate_goldens(root)
    target = goldens_dir.absolute() if goldens_dir is not None else named.directory
    if goldens_dir is None and named.bundled:
        raise _fail(
            f"name the goldens directory to write: --goldens-dir DIR (recorded in {PROJECT_FILE} [gates])"
        )
    if target.resolve() == (root / BUNDLED_GOLDENS).resolve():
        raise _fail(
            f"{target} holds the bundled demo's goldens: initialise the team's in another directory "
            "(the demo's move only with `aurora ratchet --update`)"
        )
    if not named.bundled and named.directory.resolve() != target.resolve():
        raise _fail(
            f"{root / PROJECT_FILE} names goldens {named.directory}, not {target}: "
            "edit [gates] goldens there first, or omit --goldens-dir"
        )
    if (target / GOLDENS_METRICS).exists():
        raise _fail(
            f"{target / GOLDENS_METRICS} already exists: these goldens are kept (remove the directory to start over)"
        )
    return target


def _name_in_project_file(root: Path, target: Path) -> str:
    from aurora_e2d.rundir.artifacts import atomic_write_bytes

    path = root / PROJECT_FILE
    relative = os.path.relpath(target, root)
    if not locate_goldens(root).bundled:
        return f"{path}: [gates] goldens already names {relative}"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    addition = ("\n" if text and not text.endswith("\n") else "") + f'[gates]\ngoldens = "{relative}"\n'
    atomic_write_bytes(path, (text + ("\n" if text else "") + addition).encode())
    return f"{path}: [gates] goldens = {relative!r}"


@goldens_app.command("init")
def init(
    snapshot: Annotated[
        Path, typer.Option("--snapshot", help="The reference snapshot directory (its lock is pinned).")
    ],
    config: Annotated[
        Path | None,
        typer.Option("--config", help="The reference config TOML (default: this revision's defaults)."),
    ] = None,
    goldens_dir: Annotated[
        Path | None,
        typer.Option(
            "--goldens-dir", help=f"Where to write the goldens (default: the one {PROJECT_FILE} names)."
        ),
    ] = None,
    run_dir: Annotated[
        Path | None, typer.Option("--run-dir", help=f"The reference run (default: <repo>/{INIT_RUN_DIR}).")
    ] = None,
) -> None:
    """Run the reference once (flags off) and write its goldens; exit 2 if refused, 1 if the run fails."""
    from aurora_e2d.data.ingest import load_lock
    from aurora_e2d.rundir.config import load_config
    from aurora_gates.ratchet import (
        GOLDENS,
        Goldens,
        GoldensReference,
        describe_changes,
        load_goldens,
        load_summary,
        run_baseline_hashes,
        update,
        write_goldens,
    )
    from aurora_gates.reference import METRICS, REFERENCE_CONFIG, config_hash_without_window, load_reference

    root = project_root()
    target = _target(root, goldens_dir)
    lock_sha = load_lock(snapshot)[1]  # InputError (exit 2) for a directory that is no snapshot
    effective = load_config(config)  # ConfigError (exit 2) for a bad config
    frozen = effective.with_snapshot(None).model_dump(mode="json")
    run = (run_dir or root / INIT_RUN_DIR).absolute()
    if run.exists():
        shutil.rmtree(run)  # a fresh reference run: nothing reused from a stale one
    with tempfile.TemporaryDirectory(prefix="aurora-goldens-") as scratch:
        config_json = Path(scratch) / REFERENCE_CONFIG
        config_json.write_text(json.dumps({"config": frozen}, indent=2, sort_keys=True) + "\n")
        command = [_aurora(), "run", "--run-dir", str(run), "--snapshot", str(snapshot.absolute())]
        command += [] if config is None else ["--config", str(config_json)]
        done = subprocess.run(
            command, cwd=root, env=_flags_off_env(), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or [""]
            typer.echo(
                f"aurora: goldens not written: the reference run exited {done.returncode}: {tail[0]}",
                err=True,
            )
            raise typer.Exit(1)
        template = load_goldens(root / GOLDENS)  # the bundled goldens' metrics, directions, tolerances
        reference = GoldensReference(
            snapshot_lock_sha256=lock_sha,
            snapshot=os.path.relpath(snapshot.resolve(), target.resolve()),
            config=None if config is None else REFERENCE_CONFIG,
            config_hash=None if config is None else config_hash_without_window(frozen),
        )
        unset = {
            name: m.__class__(value=None, direction=m.direction, tolerance=m.tolerance)
            for name, m in template.metrics.items()
        }
        empty = Goldens(unset, {}, reference)
        goldens = update(empty, load_summary(run), baseline=run_baseline_hashes(run))
        target.mkdir(parents=True, exist_ok=True)
        if config is not None:
            shutil.copyfile(config_json, target / REFERENCE_CONFIG)
    write_goldens(target / METRICS, goldens)
    for line in describe_changes(empty, goldens):
        typer.echo(f"golden {line}")
    typer.echo(_name_in_project_file(root, target))
    typer.echo(f"goldens written: {load_reference(root).describe()}; reference run {run}")


@goldens_app.command("show")
def show() -> None:
    """Which goldens judge runs here: directory, snapshot lock, config."""
    from aurora_gates.ratchet import RatchetError
    from aurora_gates.reference import load_reference

    try:
        reference = load_reference(project_root())
    except RatchetError as error:
        raise _fail(str(error)) from None
    typer.echo(reference.describe())
    typer.echo(f"run it: aurora run {' '.join(reference.run_args())}".rstrip())


@goldens_app.command("run")
def run_reference(
    run_dir: Annotated[Path, typer.Option("--run-dir", help="The new run directory.")],
    champion: Annotated[
        bool, typer.Option("--champion", help="Every flag off (AURORA_ROLLBACK=1): the golden champion.")
    ] = False,
) -> None:
    """`aurora run` of the reference config on the reference snapshot (its exit code is this one's)."""
    from aurora_gates.ratchet import RatchetError
    from aurora_gates.reference import load_reference

    try:
        reference = load_reference(project_root())
    except RatchetError as error:
        raise _fail(str(error)) from None
    exe = _aurora()
    env = _flags_off_env() if champion else dict(os.environ)
    sys.stdout.flush()
    os.execve(exe, [exe, "run", "--run-dir", str(run_dir), *reference.run_args()], env)
