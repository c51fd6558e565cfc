"""L0 check of the journal itself: SQLite's integrity check, the checkpoint hash chain, and the
manifest's chain head, so journal and artifacts are bound and an edited past session is named."""

from __future__ import annotations

import json
import shlex
from typing import Any

from aurora_broker import JOURNAL_NAME, JournalError, JournalReader
from aurora_e2d.rundir.layout import MANIFEST_FILE
from aurora_gates.registry import REGISTRY, CheckFailed, GateContext, Level


@REGISTRY.register(
    "journal_chain",
    Level.L0,
    "The journal passes SQLite's integrity check, its checkpoint hash chain recomputes from its rows, "
    "and the manifest records the chain's head.",
)
def journal_chain(ctx: GateContext) -> dict[str, Any]:
    run_dir = ctx.require_run_dir()
    path = run_dir / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CheckFailed(f"manifest.json unreadable: {error}", file=str(path)) from None
    recorded = manifest.get("journal")
    if not isinstance(recorded, dict) or "chain_head" not in recorded:
        raise CheckFailed(
            f"run directory format {manifest.get('format_version', 1)} predates the journal chain; "
            f"migrate it with `aurora migrate --run-dir {shlex.quote(str(run_dir))}`",
            file=str(path),
        )
    if not (run_dir / JOURNAL_NAME).is_file():
        raise CheckFailed(f"{JOURNAL_NAME} is missing", run_dir=str(run_dir))
    try:
        with JournalReader.open(run_dir) as reader:
            chain = reader.verify_chain()
    except JournalError as error:
        raise CheckFailed(str(error), file=str(run_dir / JOURNAL_NAME)) from None
    if not chain.ok:
        raise CheckFailed(
            f"{JOURNAL_NAME}: {chain.problem}", file=str(run_dir / JOURNAL_NAME), session=chain.broken_session
        )
    head = None if chain.head is None else {"session": chain.head_session, "sha256": chain.head}
    if recorded["chain_head"] != head:
        raise CheckFailed(
            f"manifest.json records journal chain head {recorded['chain_head']}, the journal's is {head}: "
            "the artifacts were not derived from this journal",
            manifest=recorded["chain_head"],
            journal=head,
        )
    return {"sessions": chain.sessions, "chain_head": head}
