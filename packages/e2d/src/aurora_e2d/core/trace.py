"""trace.jsonl: the run's structured log, one JSON object per line.

Spans (`"event": "span"`) time each stage and each session step; events
record what an operator searches for: every order rejection with its reason
code and values, every breaker trip, kill and halt. Every line carries the
run id and the wall-clock time, so the trace is an operational record, never
a content-hashed artifact (DESIGN.md §6). Lines are flushed as written; the
alert sink (alerts.py) is the one that fsyncs. A full disk or an I/O error
is a ``StorageError`` naming the file -- except while another error is
already on its way out of a span, which it must not replace.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from aurora_e2d.core.faults import fault_point
from aurora_safety import StorageError


class Trace:
    """Appends spans and events to <run-dir>/trace.jsonl."""

    def __init__(self, path: Path, run_id: str) -> None:
        self.path = path
        self.run_id = run_id
        self._handle: TextIO | None = None

    def write(self, record: Mapping[str, Any]) -> None:
        line = {"run_id": self.run_id, "ts": datetime.now(UTC).isoformat(), **record}
        text = json.dumps(line, sort_keys=True, default=str) + "\n"
        try:
            if self._handle is None:
                self._handle = self.path.open("a", encoding="utf-8")
            fault_point("write_trace", self.path)
            self._handle.write(text)
            self._handle.flush()
        except OSError as exc:
            self._drop_handle()
            fault = StorageError.from_os_error(exc, self.path, "writing")
            if fault is None:
                raise
            raise fault from exc

    def _drop_handle(self) -> None:
        """Forget a handle whose buffer could not be written (it would fail again on every flush)."""
        handle, self._handle = self._handle, None
        if handle is not None:
            with suppress(OSError):
                handle.close()

    def event(self, event: str, **fields: Any) -> None:
        self.write({"event": event, **fields})

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    @contextmanager
    def span(self, name: str, **fields: Any) -> Iterator[dict[str, Any]]:
        """Time a step; the body may add outputs to the yielded dict."""
        outputs: dict[str, Any] = {}
        start = datetime.now(UTC)
        t0 = time.perf_counter()
        record: dict[str, Any] = {"event": "span", "span": name, "start": start.isoformat(), **fields}
        try:
            yield outputs
        except BaseException:
            record.update(status="error", outputs=outputs)
            record["duration_ms"] = round((time.perf_counter() - t0) * 1000.0, 3)
            with suppress(StorageError):  # the error already leaving the span is the one to report
                self.write(record)
            raise
        record.update(status="ok", outputs=outputs)
        record["duration_ms"] = round((time.perf_counter() - t0) * 1000.0, 3)
        self.write(record)
