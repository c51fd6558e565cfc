import json
import shutil

import pytest

from aurora_e2d.core import paths
from aurora_e2d.core.errors import InputError
from aurora_e2d.data.ingest import load_snapshot


@pytest.fixture
def copy(tmp_path):
    target = tmp_path / "snap"
    shutil.copytree(paths.snapshot_dir(), target)
    return target


class TestLoadSnapshot:
    def test_real_snapshot_loads_and_reports_hashes(self, snapshot):
        lock = json.loads((paths.snapshot_dir() / paths.LOCK_NAME).read_text())
        assert snapshot.prices.num_rows == 12154
        assert snapshot.actions.num_rows == 95
        assert snapshot.prices_sha256 == lock["files"]["stocks.parquet"]["sha256"]
        assert snapshot.actions_sha256 == lock["files"]["corporate_actions.parquet"]["sha256"]

    def test_one_flipped_byte_is_a_one_line_error_with_both_hashes(self, copy):
        path = copy / "stocks.parquet"
        data = bytearray(path.read_bytes())
        data[100] ^= 0xFF
        path.write_bytes(bytes(data))
        expected = json.loads((copy / paths.LOCK_NAME).read_text())["files"]["stocks.parquet"]["sha256"]
        with pytest.raises(InputError) as info:
            load_snapshot(copy)
        message = str(info.value)
        assert "\n" not in message
        assert message.startswith(f"{path}: sha256 mismatch: expected {expected}, actual ")
        assert len(message.rsplit(" ", 1)[1]) == 64

    def test_corrupt_actions_file(self, copy):
        (copy / "corporate_actions.parquet").write_bytes(b"")
        with pytest.raises(InputError, match=r"corporate_actions\.parquet: sha256 mismatch"):
            load_snapshot(copy)

    def test_missing_file(self, copy):
        (copy / "stocks.parquet").unlink()
        with pytest.raises(InputError, match=r"stocks.parquet: missing$"):
            load_snapshot(copy)

    def test_missing_lock(self, copy):
        (copy / paths.LOCK_NAME).unlink()
        with pytest.raises(InputError) as info:
            load_snapshot(copy)
        assert str(info.value) == (
            f"{copy}: holds no snapshot (snapshot.lock.json is missing); make one with `aurora data import`"
        )

    def test_missing_directory(self, tmp_path):
        with pytest.raises(InputError) as info:
            load_snapshot(tmp_path / "nowhere")
        assert str(info.value) == (
            f"{tmp_path / 'nowhere'}: snapshot directory is missing (no such directory); "
            "make one with `aurora data import`"
        )

    def test_malformed_lock(self, copy):
        (copy / paths.LOCK_NAME).write_text('{"files": {}}')
        with pytest.raises(InputError, match=r"malformed lock \(KeyError: 'stocks.parquet'\)"):
            load_snapshot(copy)

    def test_row_count_mismatch(self, copy):
        lock = json.loads((copy / paths.LOCK_NAME).read_text())
        lock["files"]["stocks.parquet"]["rows"] = 12153
        (copy / paths.LOCK_NAME).write_text(json.dumps(lock))
        with pytest.raises(InputError, match="expected 12153 rows, found 12154"):
            load_snapshot(copy)


class TestPaths:
    def test_repo_root_holds_the_lock(self):
        assert (paths.repo_root() / "goldens" / "snapshot" / "snapshot.lock.json").is_file()

    def test_not_found_is_clear(self, tmp_path, monkeypatch):
        monkeypatch.setattr(paths, "__file__", str(tmp_path / "x" / "paths.py"))
        monkeypatch.chdir(tmp_path)
        with pytest.raises(InputError, match=r"goldens/snapshot/snapshot.lock.json: not found above"):
            paths.repo_root()
