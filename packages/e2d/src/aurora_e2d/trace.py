"""trace.jsonl: one span per stage or session step, appended as it ends.

Spans carry wall-clock start and duration, so the trace is an operational
record, never a content-hashed artifact (DESIGN.md §6).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class Trace:
    """Appends spans to <run-dir>/trace.jsonl; each line is flushed when written."""

    def __init__(self, path: Path, run_id: str) -> None:
        self.path = path
        self.run_id = run_id

    def write(self, record: Mapping[str, Any]) -> None:
        line = json.dumps({"run_id": self.run_id, **record}, sort_keys=True, default=str)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())

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
                    "span": name,
                    "start": start.isoformat(),
                    "duration_ms": round((time.perf_counter() - t0) * 1000.0, 3),
                    "status": status,
                    **fields,
                    "outputs": outputs,
                }
            )
