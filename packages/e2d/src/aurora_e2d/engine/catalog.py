"""Every Parquet artifact of a run, by name: the stages', then the engine's (each declared in its room)."""

from __future__ import annotations

from aurora_e2d.data.corpactions import BARS_ARTIFACT
from aurora_e2d.engine.derive import EQUITY_ARTIFACT, FILLS_ARTIFACT, ORDERS_ARTIFACT, POSITIONS_ARTIFACT
from aurora_e2d.research.decisions import DECISIONS_ARTIFACT, PREDICTIONS_ARTIFACT
from aurora_e2d.research.features import FEATURES_ARTIFACT
from aurora_e2d.rundir.spec import ArtifactSpec

__all__ = ["ARTIFACTS", "ArtifactSpec"]

ARTIFACTS: dict[str, ArtifactSpec] = {
    spec.name: spec
    for spec in (
        BARS_ARTIFACT,
        FEATURES_ARTIFACT,
        PREDICTIONS_ARTIFACT,
        DECISIONS_ARTIFACT,
        ORDERS_ARTIFACT,
        FILLS_ARTIFACT,
        POSITIONS_ARTIFACT,
        EQUITY_ARTIFACT,
    )
}
