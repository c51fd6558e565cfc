"""L0: the derived artifacts are what their journal derives, not what a hash says they are.

`snapshot_integrity` trusts manifest.json's hashes, and whoever can edit a
file can edit the manifest. orders, fills, positions and equity are derived
from the journal (the source of truth), so this check re-derives them with
the run's own code and compares them row by row -- double-entry
reconciliation, not a hash the same process wrote.
"""

from __future__ import annotations

from typing import Any

from aurora_e2d.core.errors import ArtifactError
from aurora_e2d.engine import first_difference, rederive
from aurora_e2d.engine.catalog import ARTIFACTS
from aurora_gates.registry import REGISTRY, CheckFailed, GateContext, Level
from aurora_safety import AuroraError


@REGISTRY.register(
    "derived_from_journal",
    Level.L0,
    "orders, fills, positions and equity equal, row by row, what the run's journal derives with the run's own code.",
)
def derived_from_journal(ctx: GateContext) -> dict[str, Any]:
    run_dir = ctx.require_run_dir()
    try:
        derived = rederive(run_dir)
    except (AuroraError, OSError) as error:
        raise CheckFailed(f"the artifacts cannot be re-derived from the journal: {error}") from None
    rows: dict[str, int] = {}
    for name, table in derived.items():
        path = run_dir / ARTIFACTS[name].file
        try:
            difference = first_difference(name, path, table)
        except ArtifactError as error:
            raise CheckFailed(str(error), artifact=ARTIFACTS[name].file) from None
        if difference is not None:
            raise CheckFailed(
                f"{difference.describe()}: the file is not what its journal derives",
                artifact=difference.artifact,
                row=difference.row,
                column=difference.column,
                in_file=str(difference.in_file),
                from_journal=str(difference.from_journal),
            )
        rows[ARTIFACTS[name].file] = table.num_rows
    return {"rows_rederived": rows}
