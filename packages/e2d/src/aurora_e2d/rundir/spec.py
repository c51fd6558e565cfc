"""What a Parquet artifact of a run is: its file, schema, order, key and the columns that must be finite.

Each room declares the artifacts it produces next to their schemas (bars in
``data.corpactions``, features/predictions/decisions in ``research``, orders,
fills, positions and equity in ``engine.derive``); ``engine.catalog`` lists
them all for the writer's callers and the gates. `finite` lists the float
columns where NaN or ±inf is forbidden (the gates check it on the real
files); `unique_by` is the artifact's key.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


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
