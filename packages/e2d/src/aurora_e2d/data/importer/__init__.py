"""Import users' daily bars (per-symbol Yahoo/csvdir CSVs, long CSV/Parquet tables) into a snapshot.

Modules, in the order data flows: ``sources`` (find and read files), ``columns``
(which column means what), ``parse`` (values, with row/column in every
message), ``bars`` (one file), ``combine`` (all files, sessions, duplicates),
``adjust`` (price basis, corporate actions, adj_close), ``audit``
(sanity.json), ``provenance`` (PROVENANCE.md), ``pipeline`` (the command).
"""

from aurora_e2d.data.importer.adjust import PriceBasis
from aurora_e2d.data.importer.pipeline import ImportResult, import_snapshot

__all__ = ["ImportResult", "PriceBasis", "import_snapshot"]
