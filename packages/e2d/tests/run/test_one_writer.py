"""One writer, even when run.lock is deleted: the run directory itself is locked.

A file can be removed from under a live run; the directory the run works in
cannot. A stopped (SIGSTOP) live run whose run.lock was deleted still refuses
a second writer, naming the live pid from the kernel's lock table, and then
finishes on SIGCONT as if nothing happened.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from _runs import JOURNAL_NAME, SHORT_WINDOW, aurora_here, finish, spawn, wait_for
from aurora_e2d.run import LOCK_FILE, RunDirBusyError, RunLock, holder


def test_a_deleted_run_lock_admits_no_second_writer(tmp_path: Path):
    run_dir = tmp_path / "run"
    first = spawn("run", "--run-dir", run_dir, *SHORT_WINDOW)
    try:
        assert wait_for(lambda: (run_dir / JOURNAL_NAME).exists(), timeout=300, proc=first), "never started"
        os.kill(first.pid, signal.SIGSTOP)
        (run_dir / LOCK_FILE).unlink()
        # the second writer is this test's own process: what matters is that it is another process
        second = aurora_here("resume", "--run-dir", run_dir, timeout=120)
        assert second.returncode == 2, second.stderr[-2000:]
        assert f"pid {first.pid} " in second.stderr, second.stderr
        assert "one writer per run directory" in second.stderr
        assert len(second.stderr.strip().splitlines()) == 1, second.stderr
        live = holder(run_dir)
        assert live is not None
        assert live.pid == first.pid
    finally:
        os.kill(first.pid, signal.SIGCONT)
    code, _, err = finish(first)
    assert code == 0, err[-3000:]
    assert holder(run_dir) is None


def test_the_lock_names_its_holder_and_is_free_again_after_release(tmp_path: Path):
    """In-process: a held directory refuses a second RunLock (with or without run.lock), then frees."""
    with RunLock(tmp_path):
        (tmp_path / LOCK_FILE).unlink()
        with pytest.raises(RunDirBusyError) as busy:
            RunLock(tmp_path).acquire()
        assert busy.value.holder is not None
        assert busy.value.holder.pid == os.getpid()
    with RunLock(tmp_path):
        assert (tmp_path / LOCK_FILE).is_file()
