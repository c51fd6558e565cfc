"""The checklist item that requires a blessing of this revision's candidate against the golden champion.

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

from aurora_e2d.config import BlessConfig, RunConfig
from aurora_gates.promote.inputs import PromotionInputs
from aurora_gates.ratchet import GOLDENS, RatchetError, load_goldens
from aurora_gates.registry import CheckFailed

__all__ = ["blessing_item", "default_config_hash"]

FORMAT_VERSION = 1
_IDENTITY = ("run_id", "manifest_sha256", "config_hash", "snapshot_lock_sha256", "git_revision", "status")
_WINDOW = ("start", "end")  # where a run trades, not how: bless compares candidate and champion on one window


def default_config_hash(config: Mapping[str, Any] | None = None) -> str:
    """The hash of a config without its window: this revision's defaults when ``config`` is None."""
    data = dict(RunConfig().model_dump(mode="json") if config is None else config)
    for key in _WINDOW:
        data.pop(key, None)
    return RunConfig.model_validate({**data, "start": None, "end": None}, strict=False).config_hash()


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
    revision = inputs.require_revision()
    if candidate.get("git_revision") != revision:
        raise CheckFailed(
            f"the blessed candidate ran revision {candidate.get('git_revision')!r}, not the current {revision!r}",
            report=str(path),
            **identities,
        )
    config = candidate.get("config")
    expected = default_config_hash()
    found = default_config_hash(config) if isinstance(config, Mapping) else None
    if found != expected:
        raise CheckFailed(
            f"the blessed candidate's config (window aside) hashes to {found}, this revision's default config to "
            f"{expected}: bless a run of the default config",
            report=str(path),
            **identities,
        )
    on = sorted(name for name, value in (champion.get("flags") or {}).items() if value)
    if on:
        raise CheckFailed(
            f"the champion ran with flags on ({', '.join(on)}): it is not the golden", **identities
        )
    try:
        pinned = dict(load_goldens(inputs.repo_root / GOLDENS).baseline_hashes)
    except RatchetError as error:
        raise CheckFailed(f"cannot read the golden baseline hashes: {error}") from None
    hashes = champion.get("artifact_sha256") or {}
    differ = sorted(n for n in pinned if hashes.get(n) != pinned[n])
    if not pinned or differ:
        raise CheckFailed(
            f"the champion is not the golden: {', '.join(differ) or 'no baseline hash pinned'} "
            f"differ from {GOLDENS} baseline_hashes",
            champion_sha256={n: hashes.get(n) for n in pinned},
            golden_sha256=pinned,
        )
    return {
        "report": str(path),
        **identities,
        "window": data.get("window"),
        "checks": {
            str(c.get("name")): c.get("message") for c in data.get("checks", []) if isinstance(c, Mapping)
        },
    }
