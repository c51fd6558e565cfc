"""`aurora data synthetic`: a labelled SYNTHETIC snapshot, same layout and writer as an import."""

from __future__ import annotations

import json

import pytest

from _import_files import hashes, run_cli
from aurora_e2d.core import paths
from aurora_e2d.data.ingest import load_snapshot
from aurora_e2d.data.synthetic import generate_universe
from aurora_e2d.data.synthetic_snapshot import write_synthetic_snapshot

ARGS = ("--symbols", "6", "--years", "1", "--seed", "3")


def _synthetic(capsys, out, *extra: str) -> tuple[int, str, str]:
    return run_cli(capsys, "data", "synthetic", *ARGS, "--out", str(out), *extra)


class TestSyntheticCommand:
    def test_labelled_in_lock_and_provenance(self, capsys, tmp_path):
        code, out, err = _synthetic(capsys, tmp_path / "s")
        assert (code, err) == (0, "")
        assert out.startswith("SYNTHETIC universe seed=3: 6 symbols x ")
        lock = json.loads((tmp_path / "s" / paths.LOCK_NAME).read_text())
        assert (lock["format_version"], lock["kind"], lock["label"], lock["calendar"]) == (
            2,
            "synthetic",
            "SYNTHETIC",
            "XNYS",
        )
        assert lock["source"] == {
            "generator": "aurora_e2d.data.synthetic",
            "options": {"symbols": 6, "years": 1.0, "seed": 3, "end": "2019-12-31", "calendar": "XNYS"},
        }
        provenance = (tmp_path / "s" / "PROVENANCE.md").read_text()
        assert provenance.startswith(
            "# Snapshot provenance (SYNTHETIC)\n\n**SYNTHETIC data, not market data**"
        )
        snap = load_snapshot(tmp_path / "s")
        assert (snap.kind, snap.calendar) == ("synthetic", "XNYS")
        assert set(snap.prices.column("symbol").unique().to_pylist()) == {f"SYN{i:04d}" for i in range(6)}
        assert json.loads((tmp_path / "s" / "sanity.json").read_text())["passes_strict"] is True

    def test_the_universe_is_written_unchanged(self, tmp_path):
        written, universe = write_synthetic_snapshot(tmp_path / "s", 6, 1, seed=3)
        snap = load_snapshot(written.directory)
        assert snap.prices.equals(universe.prices.replace_schema_metadata(None))
        assert snap.actions.equals(universe.actions.replace_schema_metadata(None))
        again = generate_universe(6, 1, seed=3)
        assert again.prices.equals(universe.prices)

    def test_same_arguments_same_bytes(self, capsys, tmp_path):
        assert _synthetic(capsys, tmp_path / "a")[0] == 0
        assert _synthetic(capsys, tmp_path / "b")[0] == 0
        assert hashes(tmp_path / "a") == hashes(tmp_path / "b")
        assert _synthetic(capsys, tmp_path / "c", "--end", "2018-12-31")[0] == 0
        assert hashes(tmp_path / "c")["stocks.parquet"] != hashes(tmp_path / "a")["stocks.parquet"]

    def test_other_calendar(self, capsys, tmp_path):
        assert _synthetic(capsys, tmp_path / "s", "--calendar", "XLON")[0] == 0
        assert load_snapshot(tmp_path / "s").calendar == "XLON"

    @pytest.mark.parametrize(
        ("extra", "message"),
        [
            (("--end", "31/12/2019"), "'--end': must be a date YYYY-MM-DD, was '31/12/2019'"),
            (("--symbols", "0"), "'--symbols': must be an integer >= 1, was 0"),
            (("--years", "0"), "'--years': must be > 0, was 0.0"),
            (
                ("--calendar", "NOPE"),
                "--calendar: unknown exchange calendar 'NOPE' (an exchange-calendars code such as XNYS)",
            ),
        ],
    )
    def test_bad_options(self, capsys, tmp_path, extra, message):
        code, out, err = _synthetic(capsys, tmp_path / "s", *extra)  # later options win in click
        assert (code, out, err) == (2, "", f"aurora: error: {message}\n")
        assert not (tmp_path / "s").exists()

    def test_never_overwrites(self, capsys, tmp_path):
        assert _synthetic(capsys, tmp_path / "s")[0] == 0
        before = hashes(tmp_path / "s")
        code, _, err = run_cli(
            capsys,
            "data",
            "synthetic",
            "--symbols",
            "7",
            "--years",
            "1",
            "--seed",
            "3",
            "--out",
            str(tmp_path / "s"),
        )
        assert code == 2
        assert "snapshots are immutable" in err
        assert hashes(tmp_path / "s") == before
