"""A real small file system for storage-fault tests: tmpfs, which fills up and can be remounted read-only.

CI and this machine run tests as root, where ``mount -t tmpfs`` works. A
machine where it does not FAILS the test naming why: a storage-fault test
that quietly did not run would claim a guarantee nobody checked.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount(*args: str) -> None:
    result = subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        pytest.fail(
            f"`mount {' '.join(args)}` failed ({result.stderr.strip() or result.returncode}); the storage-fault "
            f"tests need a real small file system: run them as root (uid is {os.geteuid()}) where tmpfs mounts"
        )


@contextlib.contextmanager
def small_tmpfs(directory: Path, size: str = "12m") -> Iterator[Path]:
    """Mount a tmpfs of ``size`` at ``directory`` for the block; always unmounted after."""
    directory.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory))
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], capture_output=True, timeout=30, check=False)


def remount_read_only(directory: Path) -> None:
    _mount("-o", "remount,ro", str(directory))


def fill(directory: Path) -> Path:
    """Fill the file system holding ``directory`` to the last block; remove the returned file to free it."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for size in (1 << 16, 1 << 12, 1):  # big blocks, then the last pages, then the last bytes
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    assert os.statvfs(directory).f_bavail == 0, "the tmpfs still has free blocks after filling"
    return filler
