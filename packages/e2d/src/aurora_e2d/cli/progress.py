"""One progress bar for long commands: a task per stage on a terminal, nothing when stderr is not one.

`aurora run`/`resume`/`advance` report sessions, `aurora data ...` reports stages; both
call ``update(stage, done, total)``. rich loads only when a bar is drawn.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["Update", "stage_progress"]

Update = Callable[[str, int, int], None]


@contextmanager
def stage_progress() -> Iterator[Update | None]:
    """A bar per named stage on a terminal; None (silent) when stderr is not a TTY."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update
