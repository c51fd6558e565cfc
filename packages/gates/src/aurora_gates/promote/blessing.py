"""The checklist item that requires a blessing of this revision's candidate against the golden champion,
on the team's reference (aurora.toml [gates] goldens; the bundled demo when none is named).

`nox -s l2` runs `aurora bless --candidate-run C --champion-run P --json
reports/blessing.json`; this item reads that JSON from the evidence
directory and holds it to what promotion needs: it blessed; under the
built-in thresholds (a blessing under loosened ones does not count); the
candidate is this revision (git) with its default config (the window aside:
bless already refuses runs over different windows); the champion is the
golden -- flags off and its decisions and fills byte-identical to the
baseline hashes in goldens/metrics.json. Both run identities go into the
promotion report.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aurora_e2d.rundir.config import BlessConfig
from aurora_gates.promote.inputs import PromotionInputs
from aurora_gates.ratchet import RatchetError
from aurora_gates.reference import config_hash_without_window, load_reference
from aurora_gates.registry import CheckFailed
from aurora_safety import ConfigError

__all__ = ["blessing_item", "default_config_hash"]

FORMAT_VERSION = 1
_IDENTITY = ("run_id", "manifest_sha256", "config_hash", "snapshot_lock_sha256", "git_revision", "status")
default_config_hash = config_hash_without_window  # the name this item has always exported


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise CheckFailed(
            f"blessing report {path} does not exist (run `aurora bless ... --json {path}`)", report=str(path)
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise CheckFailed(f"blessing report {path} is not valid JSON: {error}", report=str(path)) from None
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise CheckFailed(
            f"blessing report {path} is not a format {FORMAT_VERSION} blessing", report=str(path)
        )
    return data


def _identity(run: Any) -> dict[str, Any]:
    run = run if isinstance(run, Mapping) else {}
    return {key: run.get(key) for key in _IDENTITY}


def blessing_item(inputs: PromotionInputs) -> dict[str, Any]:
    path = inputs.evidence.blessing
    data = _read(path)
    candidate, champion = data.get("candidate") or {}, data.get("champion") or {}
    identities = {"candidate": _identity(candidate), "champion": _identity(champion)}
    if data.get("blessed") is not True:
        failed = [c for c in data.get("checks", []) if isinstance(c, Mapping) and not c.get("passed")]
        raise CheckFailed(
            f"the candidate was not blessed: {', '.join(str(c.get('name')) for c in failed) or 'no check passed'}",
            report=str(path),
            failed={str(c.get("name")): c.get("message") for c in failed},
            **identities,
        )
    defaults = BlessConfig().model_dump(mode="json")
    used = data.get("thresholds") or {}
    changed = sorted(k for k in set(defaults) | set(used) if used.get(k) != defaults.get(k))
    if changed:
        raise CheckFailed(
            "the blessing used thresholds other than the built-in ones: "
            + ", ".join(f"{k}={used.get(k)!r} (built in {defaults.get(k)!r})" for k in changed),
            report=str(path),
        )
    try:
        reference = load_reference(inputs.repo_root)
    except (RatchetError, ConfigError) as error:
        raise CheckFailed(f"cannot read the reference's goldens: {error}") from None
    for role, run in (("candidate", candidate), ("champion", champion)):
        lock = run.get("snapshot_lock_sha256") if isinstance(run, Mapping) else None
        if lock != reference.lock_sha256:
            raise CheckFailed(
                f"the {role} ran on snapshot {str(lock)[:12]}, not the reference snapshot "
                f"{reference.lock_sha256[:12]} of {reference.shown}",
                reference=reference.describe(),
                **identities,
            )
    revision = inputs.require_revision()
    if candidate.get("git_revision") != revision:
        raise CheckFailed(
            f"the blessed candidate ran revision {candidate.get('git_revision')!r}, not the current {revision!r}",
            report=str(path),
            **identities,
        )
    config = candidate.get("config")
    expected = reference.config_hash
    found = config_hash_without_window(config) if isinstance(config, Mapping) else None
    if found != expected:
        what = (
            "this revision's default config" if reference.config_path is None else str(reference.config_path)
        )
        raise CheckFailed(
            f"the blessed candidate's config (window aside) hashes to {found}, {what} to "
            f"{expected}: bless a run of the reference config",
            report=str(path),
            **identities,
        )
    on = sorted(name for name, value in (champion.get("flags") or {}).items() if value)
    if on:
        raise CheckFailed(
            f"the champion ran with flags on ({', '.join(on)}): it is not the golden", **identities
        )
    pinned = dict(reference.goldens.baseline_hashes)
    hashes = champion.get("artifact_sha256") or {}
    differ = sorted(n for n in pinned if hashes.get(n) != pinned[n])
    if not pinned or differ:
        raise CheckFailed(
            f"the champion is not the golden: {', '.join(differ) or 'no baseline hash pinned'} "
            f"differ from {reference.shown} baseline_hashes",
            champion_sha256={n: hashes.get(n) for n in pinned},
            golden_sha256=pinned,
        )
    return {
        "report": str(path),
        "reference": reference.describe(),
        **identities,
        "window": data.get("window"),
        "sharpe_inference": data.get("sharpe_inference"),  # PSR and DSR: stated, not a gate
        "checks": {
            str(c.get("name")): c.get("message") for c in data.get("checks", []) if isinstance(c, Mapping)
        },
    }
