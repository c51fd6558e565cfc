"""Running one mutmut command under an overall deadline, in its own process group.

mutmut forks a server and workers; a hang anywhere in that tree must fail the
gate, never block the nightly. At the deadline the whole group is killed.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from aurora_gates.mutation.counts import MutationError

__all__ = ["run_until", "tail"]


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: mutmut, fork server and workers
    proc.wait()


def run_until(
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    deadline: float,
    *,
    log: TextIO | None = None,
    on_output: Callable[[str], None] | None = None,
) -> tuple[int, str]:
    """Run ``args``; return (exit code, output). ``MutationError`` at the deadline (group killed)."""
    what = " ".join(args[2:])  # "mutmut run", without the interpreter and -m
    proc = subprocess.Popen(
        list(args),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert proc.stdout is not None
    chunks: list[bytes] = []
    fd = proc.stdout.fileno()
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _kill_group(proc)
                raise MutationError(f"'{what}' did not finish before the overall timeout; killed")
            readable, _, _ = select.select([fd], [], [], min(remaining, 1.0))
            if not readable:
                continue
            data = os.read(fd, 65536)
            if not data:
                break
            chunks.append(data)
            text = data.decode("utf-8", errors="replace")
            if log is not None:
                log.write(text)
            if on_output is not None:
                on_output(text)
        try:
            code = proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise MutationError(f"'{what}' did not exit before the overall timeout; killed") from None
    except BaseException:
        if proc.poll() is None:
            _kill_group(proc)
        raise
    finally:
        proc.stdout.close()
    return code, b"".join(chunks).decode("utf-8", errors="replace")


def tail(text: str, lines: int = 25) -> str:
    """The last lines of an output, spinner redraws (``\\r``) collapsed to their final state."""
    cleaned = [line.rsplit("\r", 1)[-1] for line in text.splitlines()]
    return "\n".join(line for line in cleaned[-lines:] if line.strip())
