import datetime as dt
import json
import shutil

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from aurora_e2d.core import paths
from aurora_e2d.data import snapshot
from aurora_e2d.data.snapshot import ACTIONS_SCHEMA, PRICES_SCHEMA, derive_corporate_actions
from aurora_e2d.rundir.artifacts import sha256_file

D = dt.date


@pytest.fixture(scope="module")
def actions(snapshot):
    return snapshot.actions.to_pylist()


class TestCommittedSnapshot:
    def test_lock_pins_files_and_source(self):
        lock = json.loads((paths.snapshot_dir() / paths.LOCK_NAME).read_text())
        assert lock["source"]["package"] == "bokeh-sampledata"
        assert lock["source"]["sha256"] == "5abadf99b2d394f920120a27de6f0df129859d71d4cfb0bf661bcc99446ab1fd"
        assert lock["files"]["stocks.parquet"]["rows"] == 12154
        assert lock["files"]["corporate_actions.parquet"]["rows"] == 95
        for name, meta in lock["files"].items():
            assert sha256_file(paths.snapshot_dir() / name) == meta["sha256"]

    def test_prices_schema_and_order(self, snapshot):
        t = snapshot.prices
        assert t.schema.equals(PRICES_SCHEMA)
        assert t.num_rows == 12154
        counts = dict(
            zip(*[c.to_pylist() for c in pc.value_counts(t.column("symbol")).flatten()], strict=True)
        )
        assert counts == {"AAPL": 3270, "FB": 196, "GOOG": 2148, "IBM": 3270, "MSFT": 3270}
        assert t.equals(t.sort_by([("symbol", "ascending"), ("date", "ascending")]))
        first = t.slice(0, 1).to_pylist()[0]
        assert first == {
            "symbol": "AAPL",
            "date": D(2000, 3, 1),
            "open": 118.56,
            "high": 132.06,
            "low": 118.5,
            "close": 130.31,
            "volume": 9616100,
            "adj_close": 4.186662803811,
        }

    def test_exactly_three_splits(self, actions):
        splits = [(a["symbol"], a["ex_date"], a["split_ratio"]) for a in actions if a["kind"] == "split"]
        assert splits == [
            ("AAPL", D(2000, 6, 21), 2.0),
            ("AAPL", D(2005, 2, 28), 2.0),
            ("MSFT", D(2003, 2, 18), 2.0),
        ]
        assert all(a["dividend_usd"] is None for a in actions if a["kind"] == "split")

    def test_92_positive_whole_cent_dividends(self, actions):
        divs = [a for a in actions if a["kind"] == "dividend"]
        assert len(divs) == 92
        assert all(a["split_ratio"] is None and a["dividend_usd"] > 0 for a in divs)
        assert all(abs(a["dividend_usd"] * 100 - round(a["dividend_usd"] * 100)) < 1e-9 for a in divs)

    def test_known_dividends(self, actions):
        by_key = {(a["symbol"], a["ex_date"]): a["dividend_usd"] for a in actions if a["kind"] == "dividend"}
        aapl = [(d, v) for (s, d), v in sorted(by_key.items()) if s == "AAPL"]
        assert aapl == [(D(2012, 8, 9), 2.65), (D(2012, 11, 7), 2.65), (D(2013, 2, 7), 2.65)]
        assert by_key[("MSFT", D(2004, 11, 15))] == 3.08
        assert not any(s in ("FB", "GOOG") for s, _ in by_key)


class TestDerive:
    def _prices(self, closes, factors):
        n = len(closes)
        return pa.table(
            {
                "symbol": ["X"] * n,
                "date": [D(2020, 1, 1 + i) for i in range(n)],
                "open": closes,
                "high": closes,
                "low": closes,
                "close": closes,
                "volume": [1] * n,
                "adj_close": [c * f for c, f in zip(closes, factors, strict=True)],
            },
            schema=PRICES_SCHEMA,
        )

    def test_split_dividend_and_tolerance_boundary(self):
        # r = 2 (2:1 split), r = 1 + 0.5/50 (a $0.50 dividend), r - 1 = 5e-7 (noise, below 1e-6)
        f3 = 1.0
        f2 = f3 / (1 + 0.5 / 50.0)
        f1 = f2 / (1 + 5e-7)
        f0 = f1 / 2.0
        table = derive_corporate_actions(self._prices([100.0, 50.0, 50.0, 50.0], [f0, f1, f2, f3]))
        assert table.schema.equals(ACTIONS_SCHEMA)
        assert table.to_pylist() == [
            {
                "symbol": "X",
                "ex_date": D(2020, 1, 2),
                "kind": "split",
                "split_ratio": 2.0,
                "dividend_usd": None,
            },
            {
                "symbol": "X",
                "ex_date": D(2020, 1, 4),
                "kind": "dividend",
                "split_ratio": None,
                "dividend_usd": 0.5,
            },
        ]

    def test_reverse_split_is_a_split(self):
        table = derive_corporate_actions(self._prices([10.0, 100.0], [1.0, 0.1]))
        assert table.column("split_ratio").to_pylist() == [0.1]

    def test_symbol_boundary_is_not_an_event(self):
        a, b = self._prices([1.0], [1.0]), self._prices([1.0], [3.0])
        b = b.set_column(0, PRICES_SCHEMA.field("symbol"), pa.array(["Y"]))
        assert derive_corporate_actions(pa.concat_tables([a, b])).num_rows == 0


class TestRebuild:
    def test_check_matches_lock(self, capsys):
        import bokeh_sampledata  # noqa: F401 -- a test extra of aurora-e2d: missing means a broken install

        assert snapshot.main(["--check"]) == 0
        assert "snapshot ok" in capsys.readouterr().out

    def test_rebuild_is_byte_identical(self, tmp_path):
        import bokeh_sampledata  # noqa: F401 -- a test extra of aurora-e2d: missing means a broken install

        lock = snapshot.build_snapshot(snapshot.source_csv_path(), tmp_path)
        committed = json.loads((paths.snapshot_dir() / paths.LOCK_NAME).read_text())
        assert lock == committed
        assert (tmp_path / "PROVENANCE.md").read_text() == (
            paths.snapshot_dir() / "PROVENANCE.md"
        ).read_text()

    def test_check_detects_a_changed_lock(self, tmp_path, monkeypatch, capsys):
        import bokeh_sampledata  # noqa: F401 -- a test extra of aurora-e2d: missing means a broken install

        shutil.copytree(paths.snapshot_dir(), tmp_path / "goldens" / "snapshot")
        lock_path = tmp_path / "goldens" / "snapshot" / paths.LOCK_NAME
        lock = json.loads(lock_path.read_text())
        lock["files"]["stocks.parquet"]["sha256"] = "0" * 64
        lock_path.write_text(json.dumps(lock))
        monkeypatch.setattr(paths, "snapshot_dir", lambda: tmp_path / "goldens" / "snapshot")
        assert snapshot.main(["--check"]) == 1
        assert "snapshot differs: files" in capsys.readouterr().err
