"""Every Parquet artifact of a run, declared once: the writer and the gates use this.

`finite` lists the float columns where NaN or ±inf is forbidden (the gates
check it on the real files); `unique_by` is the artifact's key.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from aurora_e2d.data.corpactions import BARS_SCHEMA
from aurora_e2d.research.decisions import (
    DECISIONS_SCHEMA,
    DECISIONS_SORT_KEY,
    PREDICTIONS_SCHEMA,
    PREDICTIONS_SORT_KEY,
)
from aurora_e2d.research.features import FEATURE_COLUMNS, FEATURES_SCHEMA
from aurora_e2d.runtime.derive import EQUITY_SCHEMA, FILLS_SCHEMA, ORDERS_SCHEMA, POSITIONS_SCHEMA


@dataclass(frozen=True)
class ArtifactSpec:
    name: str
    schema: pa.Schema
    sort_by: tuple[str, ...]
    unique_by: tuple[str, ...]
    finite: tuple[str, ...] = ()

    @property
    def file(self) -> str:
        return f"{self.name}.parquet"

    def schema_strings(self) -> dict[str, str]:
        return {field.name: str(field.type) for field in self.schema}


def _specs() -> dict[str, ArtifactSpec]:
    specs = [
        ArtifactSpec(
            "bars",
            BARS_SCHEMA,
            sort_by=("symbol", "date"),
            unique_by=("symbol", "date"),
            finite=("open", "high", "low", "close", "close_tr", "close_adj"),
        ),
        ArtifactSpec(
            "features",
            FEATURES_SCHEMA,
            sort_by=("symbol", "date"),
            unique_by=("symbol", "date"),
            finite=FEATURE_COLUMNS,
        ),
        ArtifactSpec(
            "predictions",
            PREDICTIONS_SCHEMA,
            sort_by=PREDICTIONS_SORT_KEY,
            unique_by=PREDICTIONS_SORT_KEY,
            finite=("prediction",),
        ),
        ArtifactSpec(
            "decisions",
            DECISIONS_SCHEMA,
            sort_by=DECISIONS_SORT_KEY,
            unique_by=DECISIONS_SORT_KEY,
            finite=("prediction", "target_weight"),
        ),
        ArtifactSpec("orders", ORDERS_SCHEMA, sort_by=("client_order_id",), unique_by=("client_order_id",)),
        ArtifactSpec("fills", FILLS_SCHEMA, sort_by=("fill_id",), unique_by=("fill_id",), finite=("price",)),
        ArtifactSpec("positions", POSITIONS_SCHEMA, sort_by=("date", "symbol"), unique_by=("date", "symbol")),
        ArtifactSpec(
            "equity",
            EQUITY_SCHEMA,
            sort_by=("date",),
            unique_by=("date",),
            finite=("cash_usd", "market_value_usd", "equity", "gross_exposure", "turnover"),
        ),
    ]
    return {spec.name: spec for spec in specs}


ARTIFACTS: dict[str, ArtifactSpec] = _specs()
