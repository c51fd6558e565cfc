"""The snapshot directory an import writes: lock format 2, reproducible bytes, written whole or not at all."""

from __future__ import annotations

import hashlib
import json

import pytest

from _import_files import csvdir, hashes, run_cli
from aurora_e2d.core import paths
from aurora_e2d.core.errors import InputError
from aurora_e2d.data import snapshot_writer
from aurora_e2d.data.importer import import_snapshot
from aurora_e2d.data.ingest import load_snapshot

SYMBOLS = ["FB", "GOOG"]


@pytest.fixture(scope="module")
def src(snapshot, tmp_path_factory):
    directory = tmp_path_factory.mktemp("src")
    csvdir(snapshot, directory, SYMBOLS)
    return directory


class TestLock:
    def test_format_2_keys(self, src, tmp_path):
        import_snapshot([src], tmp_path / "s", price_basis="raw")
        lock = json.loads((tmp_path / "s" / paths.LOCK_NAME).read_text())
        assert sorted(lock) == [
            "calendar",
            "files",
            "format_version",
            "kind",
            "price_basis",
            "source",
            "writer",
        ]
        assert (lock["format_version"], lock["kind"], lock["calendar"], lock["price_basis"]) == (
            2,
            "imported",
            "XNYS",
            "raw",
        )
        assert "label" not in lock  # only synthetic snapshots carry one
        assert lock["source"]["options"] == {"calendar": "XNYS", "price_basis": "raw"}
        assert lock["source"]["actions_from"] == {"columns": 2}
        assert [f["name"] for f in lock["source"]["files"]] == ["FB.csv", "GOOG.csv"]
        for entry in lock["source"]["files"]:
            data = (src / entry["name"]).read_bytes()
            assert entry == {
                "name": entry["name"],
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
            }
        assert sorted(lock["files"]) == ["corporate_actions.parquet", "stocks.parquet"]
        assert set(lock["writer"]) == {"pyarrow"}

    def test_no_path_or_wall_time_in_any_file(self, src, tmp_path):
        import_snapshot([src], tmp_path / "s")
        for path in (tmp_path / "s").iterdir():
            data = path.read_bytes()
            assert str(tmp_path).encode() not in data, path.name
            assert str(src).encode() not in data, path.name

    def test_argument_order_does_not_change_the_bytes(self, src, tmp_path):
        import_snapshot([src / "FB.csv", src / "GOOG.csv"], tmp_path / "a")
        import_snapshot([src / "GOOG.csv", src / "FB.csv"], tmp_path / "b")
        import_snapshot([src, src / "FB.csv"], tmp_path / "c")  # FB named twice is read once
        assert hashes(tmp_path / "a") == hashes(tmp_path / "b") == hashes(tmp_path / "c")

    def test_summary_quotes_the_lock_hash_that_ingest_loads(self, src, tmp_path, capsys):
        code, out, err = run_cli(capsys, "data", "import", str(src), "--out", str(tmp_path / "s"))
        assert (code, err) == (0, "")
        digest = hashlib.sha256((tmp_path / "s" / paths.LOCK_NAME).read_bytes()).hexdigest()
        assert out.splitlines()[0].endswith(f"wrote {tmp_path / 's'} (lock sha256 {digest})")
        assert load_snapshot(tmp_path / "s").lock_sha256 == digest

    def test_ingest_detects_a_tampered_file(self, src, tmp_path):
        import_snapshot([src], tmp_path / "s")
        path = tmp_path / "s" / "stocks.parquet"
        data = bytearray(path.read_bytes())
        data[100] ^= 1
        path.write_bytes(bytes(data))
        with pytest.raises(InputError, match="sha256 mismatch"):
            load_snapshot(tmp_path / "s")


class TestAtomicWrite:
    def test_a_failure_while_writing_leaves_nothing(self, src, tmp_path, monkeypatch):
        def fail_after_parquet(*args, **kwargs):
            raise OSError("disk full (simulated)")

        monkeypatch.setattr(snapshot_writer, "_json_bytes", fail_after_parquet)
        with pytest.raises(OSError, match="simulated"):
            import_snapshot([src], tmp_path / "s")
        assert list(tmp_path.iterdir()) == []  # neither --out nor the temp dir beside it

    def test_the_directory_appears_complete(self, src, tmp_path, monkeypatch):
        """Until the rename, --out does not exist; after it, every file is there."""
        seen = []
        rename = snapshot_writer.os.rename

        def spy(a, b):
            seen.append((sorted(p.name for p in tmp_path.iterdir()), sorted(p.name for p in a.iterdir())))
            rename(a, b)

        monkeypatch.setattr(snapshot_writer.os, "rename", spy)
        import_snapshot([src], tmp_path / "s")
        (outside, inside) = seen[0]
        assert "s" not in outside
        assert len(outside) == 1
        assert outside[0].startswith(".s.")
        assert inside == [
            "PROVENANCE.md",
            "corporate_actions.parquet",
            "sanity.json",
            "snapshot.lock.json",
            "stocks.parquet",
        ]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]

    def test_written_files_are_ordinary_readable_files(self, src, tmp_path):
        import_snapshot([src], tmp_path / "s")
        assert (tmp_path / "s").stat().st_mode & 0o777 == 0o755
        assert {p.stat().st_mode & 0o777 for p in (tmp_path / "s").iterdir()} == {0o644}


class TestProgress:
    def test_every_file_and_stage_is_reported(self, src, tmp_path):
        seen = []
        import_snapshot(
            [src], tmp_path / "s", progress=lambda stage, done, total: seen.append((stage, done, total))
        )
        assert seen == [
            ("reading", 0, 2),
            ("reading", 1, 2),
            ("reading", 2, 2),
            ("checking", 0, 1),
            ("writing", 0, 1),
            ("writing", 1, 1),
        ]
