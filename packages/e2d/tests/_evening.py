"""Reading what an evening (`aurora advance`) left: content hashes, report numbers, trace events."""

from __future__ import annotations

import json
from pathlib import Path

from _runs import ALL_ARTIFACTS


def content(run_dir: Path) -> dict[str, str]:
    """sha256 of the content artifacts and the model exports but skops, from the manifest.

    skops files hold zip entry times and ``id()``-based member names: no two runs agree on them
    (the ONNX bytes, which decide, do).
    """
    artifacts = json.loads((run_dir / "manifest.json").read_text())["artifacts"]
    return {
        name: entry["sha256"]
        for name, entry in artifacts.items()
        if name in ALL_ARTIFACTS or (name.startswith("models/") and not name.endswith(".skops"))
    }


def numbers(run_dir: Path) -> dict[str, object]:
    """The report's numbers: summary metrics and the frictionless reference (not wall times)."""
    summary = json.loads((run_dir / "summary.json").read_text())
    return {key: summary[key] for key in ("metrics", "frictionless", "sessions")}


def evening_events(run_dir: Path) -> dict[str, dict[str, object]]:
    """The ``incremental`` trace events of the last run or advance, by stage."""
    records = [json.loads(line) for line in (run_dir / "trace.jsonl").read_text().splitlines()]
    last_ingest = max(i for i, r in enumerate(records) if r.get("event") == "ingest")
    return {r["stage"]: r for r in records[last_ingest:] if r.get("event") == "incremental"}
