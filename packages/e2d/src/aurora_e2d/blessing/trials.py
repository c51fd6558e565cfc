"""The ledger of blessings recorded for one reference: how many candidates were tried, and their Sharpe.

One JSON line per recorded blessing (``blessings.jsonl`` in the reference's
goldens directory, see ``aurora_e2d.core.reference``). The deflated Sharpe ratio
counts the distinct candidates (by manifest hash) recorded on the same
snapshot, this one included, so re-blessing a run does not inflate the count.
A ledger line that cannot be read is bad input: a silently shorter history
would flatter every later candidate.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aurora_e2d.core.errors import InputError

__all__ = ["Trial", "append_trial", "read_trials", "trial_sharpes"]


@dataclass(frozen=True, slots=True)
class Trial:
    manifest_sha256: str
    snapshot_lock_sha256: str
    sharpe_per_period: float
    run_id: str = ""
    blessed: bool = False
    recorded_at: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "manifest_sha256": self.manifest_sha256,
            "snapshot_lock_sha256": self.snapshot_lock_sha256,
            "sharpe_per_period": self.sharpe_per_period,
            "run_id": self.run_id,
            "blessed": self.blessed,
            "recorded_at": self.recorded_at,
        }


def read_trials(ledger: Path) -> list[Trial]:
    """Every recorded trial; none when the ledger does not exist yet."""
    try:
        lines = ledger.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(str(ledger), f"unreadable blessings ledger ({type(error).__name__})") from None
    trials = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            sharpe = float(raw["sharpe_per_period"])
            if not math.isfinite(sharpe):
                raise ValueError("sharpe_per_period is not finite")
            trials.append(
                Trial(
                    manifest_sha256=str(raw["manifest_sha256"]),
                    snapshot_lock_sha256=str(raw["snapshot_lock_sha256"]),
                    sharpe_per_period=sharpe,
                    run_id=str(raw.get("run_id", "")),
                    blessed=bool(raw.get("blessed", False)),
                    recorded_at=str(raw.get("recorded_at", "")),
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(
                f"{ledger}:{number}", f"not a blessing record ({type(error).__name__}: {error})"
            ) from None
    return trials


def trial_sharpes(trials: list[Trial], candidate: Mapping[str, Any], sharpe: float) -> list[float]:
    """One Sharpe per distinct candidate on the candidate's snapshot, the candidate's own last."""
    lock = candidate.get("snapshot_lock_sha256")
    manifest = candidate.get("manifest_sha256")
    seen: dict[str, float] = {}
    for trial in trials:
        if trial.snapshot_lock_sha256 == lock and trial.manifest_sha256 != manifest:
            seen[trial.manifest_sha256] = trial.sharpe_per_period
    return [*seen.values(), sharpe]


def append_trial(ledger: Path, trial: Trial) -> None:
    """Append one line (O_APPEND: whole lines, even with two writers) and fsync it."""
    ledger.parent.mkdir(parents=True, exist_ok=True)
    stamped = {
        **trial.as_dict(),
        "recorded_at": trial.recorded_at or datetime.now(UTC).isoformat(timespec="seconds"),
    }
    data = (json.dumps(stamped, sort_keys=True) + "\n").encode()
    fd = os.open(ledger, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
