"""Forgery drills: a derived artifact edited after the run -- with its new sha256 written into
manifest.json, so every hash agrees -- fails gate l0, which re-derives it from the journal."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from aurora_e2d.rundir.artifacts import PARQUET_WRITE_OPTIONS
from aurora_gates import REGISTRY, GateContext, Level, run_check


def forge(run_dir: Path, name: str, table: pa.Table) -> None:
    """Rewrite ``name``.parquet (same schema, same writer) and record its new sha256 in the manifest."""
    path = run_dir / f"{name}.parquet"
    pq.write_table(table, path, **PARQUET_WRITE_OPTIONS)
    manifest_path = run_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["artifacts"][name]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest["artifacts"][name]["rows"] = table.num_rows
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def doubled(table: pa.Table, column: str) -> pa.Table:
    index = table.schema.get_field_index(column)
    return table.set_column(index, table.schema.field(column), pc.multiply(table.column(column), 2.0))


def gate(run_dir: Path, repo_root: Path) -> dict[str, tuple[bool, str, dict]]:
    """The two checks a forgery plays against each other: the manifest's hashes and the journal."""
    from aurora_gates import runner

    runner._load_checks()
    context = GateContext(repo_root=repo_root, run_dir=run_dir)
    results = [
        run_check(REGISTRY.get(name), context) for name in ("snapshot_integrity", "derived_from_journal")
    ]
    return {r.name: (r.passed, r.reason, dict(r.evidence)) for r in results}


def test_the_real_run_equals_what_its_journal_derives(real_run: Path, repo_root: Path) -> None:
    passed, reason, evidence = gate(real_run, repo_root)["derived_from_journal"]
    assert REGISTRY.get("derived_from_journal").level is Level.L0
    assert passed, reason
    assert set(evidence["rows_rederived"]) == {
        "orders.parquet",
        "fills.parquet",
        "positions.parquet",
        "equity.parquet",
    }


def test_fills_with_every_price_doubled_fail_naming_the_first_row(run_copy: Path, repo_root: Path) -> None:
    fills = pq.read_table(run_copy / "fills.parquet")
    forge(run_copy, "fills", doubled(fills, "price"))
    results = gate(run_copy, repo_root)
    assert results["snapshot_integrity"][0], "the forged manifest agrees with the forged file"
    passed, reason, evidence = results["derived_from_journal"]
    assert not passed
    first = fills.column("price")[0].as_py()
    assert reason == (
        f"fills.parquet: row 0 column 'price' is {first * 2!r} in the file, {first!r} derived from the "
        "journal: the file is not what its journal derives"
    )
    assert evidence["artifact"] == "fills.parquet"
    assert evidence["row"] == 0
    assert evidence["column"] == "price"


def test_equity_doubled_fails(run_copy: Path, repo_root: Path) -> None:
    forge(run_copy, "equity", doubled(pq.read_table(run_copy / "equity.parquet"), "equity"))
    results = gate(run_copy, repo_root)
    assert results["snapshot_integrity"][0]
    passed, reason, evidence = results["derived_from_journal"]
    assert not passed
    assert reason.startswith("equity.parquet: row 0 column 'equity' is ")
    assert evidence["column"] == "equity"


def test_a_dropped_order_fails_naming_the_row_it_shifts(run_copy: Path, repo_root: Path) -> None:
    orders = pq.read_table(run_copy / "orders.parquet")
    middle = orders.num_rows // 2
    forge(run_copy, "orders", pa.concat_tables([orders.slice(0, middle), orders.slice(middle + 1)]))
    passed, reason, evidence = gate(run_copy, repo_root)["derived_from_journal"]
    assert not passed
    assert reason.startswith(f"orders.parquet: row {middle} column ")
    assert evidence["row"] == middle


def test_a_journal_that_cannot_be_read_fails_the_check(run_copy: Path, repo_root: Path) -> None:
    (run_copy / "journal.sqlite").write_bytes(b"not a database at all")
    passed, reason, _ = gate(run_copy, repo_root)["derived_from_journal"]
    assert not passed
    assert reason.startswith("the artifacts cannot be re-derived from the journal: ")
    assert "journal.sqlite" in reason
