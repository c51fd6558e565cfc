"""Import users' daily bars (per-symbol Yahoo/csvdir CSVs, long CSV/Parquet tables) into a snapshot.

Modules, in the order data flows: ``sources`` (find and read files) with
``bounded`` (caps on decompressed bytes and rows), ``columns`` (which column
means what), ``symbols`` (the symbol pattern), ``parse`` (values, with
row/column in every message), ``bars`` (one file), ``combine`` (all files,
sessions, duplicates), ``basis`` (the inferred price basis) over ``adjust``
(corporate actions, adj_close), ``summary`` (per symbol, and every
assumption), ``provenance`` (PROVENANCE.md), ``pipeline`` (the command). ``data.audit`` writes the
sanity report and ``data.snapshot_writer`` the directory, for synthetic
snapshots too.
"""

from aurora_e2d.data.importer.adjust import PriceBasis
from aurora_e2d.data.importer.pipeline import ImportResult, import_snapshot

__all__ = ["ImportResult", "PriceBasis", "import_snapshot"]
