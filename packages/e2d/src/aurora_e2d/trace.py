"""trace.jsonl: the run's structured log, one JSON object per line.

Spans (`"event": "span"`) time each stage and each session step; events
record what an operator searches for: every order rejection with its reason
code and values, every breaker trip, kill and halt. Every line carries the
run id and the wall-clock time, so the trace is an operational record, never
a content-hashed artifact (DESIGN.md §6). Lines are flushed as written; the
alert sink (alerts.py) is the one that fsyncs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO


class Trace:
    """Appends spans and events to <run-dir>/trace.jsonl."""

    def __init__(self, path: Path, run_id: str) -> None:
        self.path = path
        self.run_id = run_id
        self._handle: TextIO | None = None

    def write(self, record: Mapping[str, Any]) -> None:
        if self._handle is None:
            self._handle = self.path.open("a", encoding="utf-8")
        line = {"run_id": self.run_id, "ts": datetime.now(UTC).isoformat(), **record}
        self._handle.write(json.dumps(line, sort_keys=True, default=str) + "\n")
        self._handle.flush()

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
        status = "ok"
        try:
            yield outputs
        except BaseException:
            status = "error"
            raise
        finally:
            self.write(
                {
                    "event": "span",
                    "span": name,
                    "start": start.isoformat(),
                    "duration_ms": round((time.perf_counter() - t0) * 1000.0, 3),
                    "status": status,
                    **fields,
                    "outputs": outputs,
                }
            )
