"""A per-user cache of small facts derived from inputs named in full by their key.

`aurora status` is polled exactly when the machine is busy, and its few
numbers -- sessions of an exchange calendar, the decision dates of a run --
cost a second or more of imports to derive (exchange-calendars loads pandas,
decisions.parquet needs pyarrow). Each fact is stored as JSON under a key
naming everything it depends on (the library's version, the file's size,
mtime and inode), so an entry is only ever read for the same inputs; a
changed input is a new key, never a stale answer.

The cache lives outside every run directory (read-only commands change no
run): ``$AURORA_CACHE_DIR``, else ``$XDG_CACHE_HOME/aurora``, else
``~/.cache/aurora``. A cache that cannot be read or written is skipped: the
fact is derived again, which is only slower.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["cache_dir", "remembered"]

CACHE_ENV = "AURORA_CACHE_DIR"


def cache_dir() -> Path:
    """Where remembered facts live (see the module docstring)."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "aurora"


def _path(kind: str, key: dict[str, Any]) -> Path:
    digest = hashlib.sha256(json.dumps([kind, key], sort_keys=True).encode()).hexdigest()[:32]
    return cache_dir() / f"{kind}-{digest}.json"


def remembered(kind: str, key: dict[str, Any], derive: Callable[[], Any]) -> Any:
    """``derive()``'s JSON value, read from the cache when ``key`` was seen before, else stored."""
    path = _path(kind, key)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(stored, dict) and stored.get("key") == key:  # a digest collision is no hit
            return stored["value"]
    except (OSError, ValueError, KeyError):
        pass
    value = derive()
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"key": key, "value": value}, handle, sort_keys=True)
        os.replace(tmp, path)  # readers see the old file or the whole new one
    except OSError:  # a read-only or full home: answer anyway, derive again next time
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return value
