"""Executors: what runs the map of stages 2-5 -- this process, or a dask.distributed cluster.

An executor is how a run computes, never what: partitions are cut from the
data alone, results come back in task order and the canonical writer sorts
them, so every artifact byte is the same whatever ran the map (DESIGN.md §9).
That is why the choice is a command-line option and never part of the
config hash.

``dask`` starts a ``LocalCluster`` of worker *processes* (one thread each,
no dashboard) started with ``spawn`` -- a process that has used polars must
not be forked (TOOLING.md) -- whose scratch space lives in a temporary
directory removed on close; or, given a scheduler address, joins that
cluster. dask is imported only when a dask executor starts (about 1 s).
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import signal
import socket
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, assert_never

from aurora_e2d.core.errors import InputError
from aurora_safety.errors import AuroraError

if TYPE_CHECKING:
    from aurora_e2d.core.signals import StopSignals
    from aurora_e2d.core.trace import Trace

__all__ = [
    "CONNECT_TIMEOUT_S",
    "ROWS_PER_PARTITION",
    "DaskExecutor",
    "Executor",
    "ExecutorError",
    "ExecutorKind",
    "ExecutorSpec",
    "LocalExecutor",
    "executor_session",
]

T = TypeVar("T")
R = TypeVar("R")

CONNECT_TIMEOUT_S = 10.0  # to reach an existing scheduler; a refused port fails at once (probe)
# Symbol-days per dask task at most (~40 MB of prices), so a task's memory is bounded.
ROWS_PER_PARTITION = 500_000
_POLL_S = 0.05  # how often a waiting driver looks at the stop signals
_SCRATCH_PREFIX = "aurora-dask-"  # + driver pid + "-" + random: <tmp>/aurora-dask-1234-abcd/
_PRELOAD = __name__  # workers import this module at start and run `dask_setup`


class ExecutorKind(StrEnum):
    LOCAL = "local"  # the map runs in this process
    DASK = "dask"  # the map runs as tasks on dask.distributed workers


class ExecutorError(AuroraError, RuntimeError):
    """The executor itself failed (a worker died, a worker cannot import Aurora): one line, exit 2."""

    def __init__(self, executor: str, problem: str) -> None:
        self.executor = executor
        self.problem = problem
        self.message = " ".join(f"executor {executor}: {problem}".split())
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutorSpec:
    """What the user asked for (`aurora run --executor dask --workers N | --scheduler ADDRESS`)."""

    kind: ExecutorKind = ExecutorKind.LOCAL
    workers: int | None = None  # a local dask cluster's worker processes (default: the CPU count)
    scheduler: str | None = None  # an existing dask scheduler, e.g. tcp://10.0.0.5:8786
    partitions: int | None = None  # None: chosen from the data and the workers (tests pin it)
    connect_timeout_s: float = CONNECT_TIMEOUT_S

    def __post_init__(self) -> None:
        kind = ExecutorKind(self.kind)
        object.__setattr__(self, "kind", kind)  # "dask" given as a plain string is the enum from here on
        if self.workers is not None and self.workers < 1:
            raise InputError.bad_value("--workers", ">= 1", self.workers)
        if self.partitions is not None and self.partitions < 1:
            raise InputError.bad_value("partitions", ">= 1", self.partitions)
        if kind is ExecutorKind.LOCAL and (self.workers is not None or self.scheduler is not None):
            option = "--workers" if self.workers is not None else "--scheduler"
            raise InputError(option, "needs --executor dask (the local executor runs in this process)")
        if self.workers is not None and self.scheduler is not None:
            raise InputError("--workers", "not with --scheduler (an existing cluster has its own workers)")
        if self.scheduler is not None and not self.scheduler.strip():
            raise InputError.bad_value(
                "--scheduler", "a scheduler address such as tcp://host:8786", self.scheduler
            )

    @classmethod
    def from_options(cls, executor: str, workers: int | None, scheduler: str | None) -> ExecutorSpec:
        """The CLI's three options; an unknown executor is one line naming the value."""
        try:
            kind = ExecutorKind(executor)
        except ValueError:
            allowed = ", ".join(k.value for k in ExecutorKind)
            raise InputError.bad_value("--executor", f"one of {allowed}", executor) from None
        return cls(kind=kind, workers=workers, scheduler=scheduler)

    def describe(self) -> str:
        match self.kind:
            case ExecutorKind.LOCAL:
                return "local"
            case ExecutorKind.DASK:
                return (
                    f"dask {self.scheduler}"
                    if self.scheduler
                    else f"dask local cluster ({self.workers or _cpus()} workers)"
                )
            case _:
                assert_never(self.kind)


class Executor(Protocol):
    """Runs ``fn`` on every task and returns the results in task order."""

    name: str
    workers: int
    remote: bool  # tasks cross a process boundary: payloads travel as bytes

    def partition_count(self, rows: int, symbols: int) -> int: ...

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> list[R]: ...


def _cpus() -> int:
    return os.cpu_count() or 1


class LocalExecutor:
    """The map in this process, one partition after the other (one partition unless a spec pins more)."""

    remote = False
    workers = 1

    def __init__(self, spec: ExecutorSpec | None = None, stop: StopSignals | None = None) -> None:
        self.name = "local"
        self._partitions = 1 if spec is None or spec.partitions is None else spec.partitions
        self._stop = stop

    def partition_count(self, rows: int, symbols: int) -> int:
        return max(1, min(self._partitions, symbols))

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> list[R]:
        results = []
        for task in tasks:  # a generator: one partition's payload alive at a time
            if self._stop is not None:
                self._stop.check()
            results.append(fn(task))
        return results


class DaskExecutor:
    """The map as dask.distributed tasks; ``start`` connects or starts a cluster, ``close`` undoes it."""

    remote = True

    def __init__(self, spec: ExecutorSpec, stop: StopSignals | None = None) -> None:
        self.spec = spec
        self.name = f"dask {spec.scheduler}" if spec.scheduler else "dask"
        self.workers = spec.workers or _cpus()
        self._stop = stop
        self._client: Any = None
        self._cluster: Any = None
        self._scratch: Path | None = None

    def start(self) -> DaskExecutor:
        import dask  # slow import (~1 s): only when a dask run needs its map
        from distributed import Client, LocalCluster

        if self.spec.scheduler is not None:
            self._client = _connect(Client, self.spec.scheduler, self.spec.connect_timeout_s)
            workers = self._client.scheduler_info().get("workers", {})
            if not workers:  # tasks would wait for ever
                self.close()
                raise InputError(f"--scheduler {self.spec.scheduler}", "the dask scheduler has no workers")
            self.workers = sum(w.get("nthreads", 1) for w in workers.values())
            return self
        _sweep_stale_scratch()
        # dask-scratch-space goes here; the pid in the name lets a later run remove it after a SIGKILL
        self._scratch = Path(tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-"))
        settings = {
            "distributed.worker.multiprocessing-method": "spawn",  # never fork a process that used polars
            "temporary-directory": str(self._scratch),
        }
        with dask.config.set(settings):
            self._cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                # Its health/metrics routes on a free loopback port: 8787 may be taken (another run).
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                local_directory=str(self._scratch),
                silence_logs=logging.ERROR,
                preload=[_PRELOAD],
                # The machine's cores shared out: polars in every worker would otherwise use them all.
                env={"POLARS_MAX_THREADS": str(max(1, _cpus() // self.workers))},
            )
            self._client = Client(self._cluster, set_as_default=False)
        return self

    def close(self) -> None:
        """Client, then cluster, then the scratch directory; each step even if an earlier one failed."""
        try:
            if self._client is not None:
                self._client.close()
        finally:
            self._client = None
            try:
                if self._cluster is not None:
                    self._cluster.close()
            finally:
                self._cluster = None
                if self._scratch is not None:
                    shutil.rmtree(self._scratch, ignore_errors=True)
                    self._scratch = None

    def partition_count(self, rows: int, symbols: int) -> int:
        if self.spec.partitions is not None:
            return max(1, min(self.spec.partitions, symbols))
        wanted = max(2 * self.workers, math.ceil(rows / ROWS_PER_PARTITION))  # 2 per worker balances the load
        return max(1, min(wanted, symbols))

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> list[R]:
        assert self._client is not None, "DaskExecutor.map before start()"
        futures = []
        batch = uuid.uuid4().hex[:12]  # keys are unique per map, across clients of a shared scheduler
        try:
            for i, task in enumerate(tasks):  # scatter one payload at a time: the driver keeps no copies
                if self._stop is not None:
                    self._stop.check()
                data = self._client.scatter(task, hash=False)
                futures.append(
                    self._client.submit(fn, data, pure=False, key=f"aurora-{fn.__name__}-{batch}-{i}")
                )
                del data, task
            while not all(future.done() for future in futures):  # errors included: gather raises them
                if self._stop is not None:
                    self._stop.check()
                time.sleep(_POLL_S)
            return self._gather(futures)
        finally:
            if futures and self._client is not None:
                self._client.cancel(futures, force=True)

    def _gather(self, futures: list[Any]) -> list[Any]:
        from distributed.scheduler import KilledWorker

        try:
            return self._client.gather(futures)
        except KilledWorker as exc:
            raise ExecutorError(self.name, f"a worker died running a partition ({exc})") from None
        except ImportError as exc:  # a remote worker without Aurora installed
            raise ExecutorError(
                self.name, f"a worker cannot import Aurora ({type(exc).__name__}: {exc})"
            ) from None


def _sweep_stale_scratch() -> None:
    """Remove the scratch directories of local clusters whose driver is gone (killed: no `close` ran)."""
    for path in Path(tempfile.gettempdir()).glob(f"{_SCRATCH_PREFIX}*-*"):
        pid = path.name[len(_SCRATCH_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue  # alive (another user's, say): never touch it


def _connect(client_type: Any, address: str, timeout_s: float) -> Any:
    """A client of the scheduler at ``address``, or one line naming it."""
    _probe(address, timeout_s)
    try:
        return client_type(address, timeout=timeout_s, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"--scheduler {address}", f"no dask scheduler reachable ({_reason(exc)})") from None


def _probe(address: str, timeout_s: float) -> None:
    """A plain TCP connect first: a refused port fails at once instead of after dask's retries."""
    from distributed.comm.addressing import get_address_host_port, parse_address

    try:
        scheme, _ = parse_address(address)
        if scheme != "tcp":
            return  # tls://, ucx://, inproc://: left to the client
        host, port = get_address_host_port(address)
    except (ValueError, TypeError) as exc:
        raise InputError.bad_value("--scheduler", "an address such as tcp://host:8786", address) from exc
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        raise InputError(f"--scheduler {address}", f"no dask scheduler reachable ({_reason(exc)})") from None


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "no detail"
    return f"{type(exc).__name__}: {text}"


def dask_setup(worker: object) -> None:
    """Preloaded in each local worker as it starts.

    Ctrl-C reaches the whole process group, and only the driver acts on it:
    it records the signal, stops at its next check and closes the cluster; a
    worker that died of the same Ctrl-C would print a traceback. The stage
    code (polars, pandas) is imported here, while the cluster starts, rather
    than inside the first task.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import aurora_e2d.research.partitions  # noqa: F401


@contextmanager
def executor_session(
    spec: ExecutorSpec | Executor | None, stop: StopSignals | None = None, trace: Trace | None = None
) -> Iterator[Callable[[], Executor]]:
    """Yields a getter that starts the executor on first use; closes it (if started) on the way out.

    Lazy, because a rerun whose stages 2-5 are all reused needs no cluster.
    An ``Executor`` passed in is the caller's: used as it is, never closed
    (a notebook or a test suite reusing one cluster for many runs).
    """
    if spec is not None and not isinstance(spec, ExecutorSpec):
        borrowed = spec
        yield lambda: borrowed
        return
    spec = ExecutorSpec() if spec is None else spec
    started: list[Executor] = []

    def get() -> Executor:
        if not started:
            match spec.kind:
                case ExecutorKind.LOCAL:
                    started.append(LocalExecutor(spec, stop))
                case ExecutorKind.DASK:
                    dask_executor = DaskExecutor(spec, stop)
                    try:
                        with _span(trace, spec) as out:
                            dask_executor.start()
                            out.update(workers=dask_executor.workers)
                    except BaseException:
                        dask_executor.close()
                        raise
                    started.append(dask_executor)
                case _:
                    assert_never(spec.kind)
        return started[0]

    try:
        yield get
    finally:
        for executor in started:
            if isinstance(executor, DaskExecutor):
                executor.close()


@contextmanager
def _span(trace: Trace | None, spec: ExecutorSpec) -> Iterator[dict[str, Any]]:
    if trace is None:
        yield {}
        return
    with trace.span("executor:start", executor=spec.describe()) as out:
        yield out
