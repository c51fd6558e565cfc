"""Vendor files as they come (issue 16 item 3): Yahoo and yfinance exports of a stock that split many times.

The histories are real-shaped: traded prices on a cent grid that rise
~150-fold over 2000-2013 through six splits (2:1, 2:1, 2:1, 3:2, 4:1, 10:1),
so the split-adjusted 2000 close is about $0.08, with quarterly cash
dividends; beside them real bundled bars written as Yahoo writes them.
Everything runs in-process (the console script is tested elsewhere).
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow.compute as pc
import pytest

from _import_files import (
    NVDA_LIKE_SPLITS,
    run_cli,
    vendor_history,
    write_text,
    yahoo_file,
    yahoo_split_adjusted,
    yfinance_file,
)
from aurora_e2d.core import paths
from aurora_e2d.data.ingest import load_snapshot


@pytest.fixture(scope="module")
def history() -> list[dict]:
    return vendor_history()


@pytest.fixture(scope="module")
def yahoo_dir(history, snapshot, tmp_path_factory):
    src = tmp_path_factory.mktemp("yahoo")
    yahoo_file(history, src / "NVDA.csv")
    yahoo_split_adjusted(snapshot, src, ["AAPL", "MSFT", "IBM"], decimals=6)
    return src


def _lock(out) -> dict:
    return json.loads((out / paths.LOCK_NAME).read_text())


def _closes(snapshot, symbol: str) -> np.ndarray:
    prices = snapshot.prices.filter(pc.equal(snapshot.prices.column("symbol"), symbol))
    return prices.column("close").to_numpy()


class TestYahoo:
    def test_readme_command_infers_split_adjusted_and_says_so(self, capsys, yahoo_dir, tmp_path):
        code, out, err = run_cli(capsys, "data", "import", str(yahoo_dir), "--out", str(tmp_path / "s"))
        assert (code, err) == (0, "")
        lines = out.splitlines()
        assert lines[0].startswith("imported 4 symbols, ")
        assert "(XNYS, split_adjusted), 0 splits, " in lines[0]
        assert [line.split()[0] for line in lines[1:5]] == ["AAPL", "IBM", "MSFT", "NVDA"]
        nvda = lines[4].split()
        assert nvda[1:4] == ["2000-01-03..2013-02-28", "3,309", "rows"]
        assert nvda[4:8] == ["18", "dividends", "0", "splits"]
        assert lines[5].startswith(
            "assumed: price basis split_adjusted (inferred): Close read as split-adjusted, as Yahoo's is; "
            "read as traded prices it fails ("
        )
        assert lines[5].endswith("it fails (NVDA 2008-11-20: implied dividend must be > 0, was 0.0)")
        assert lines[6] == "assumed: symbol from the file name: AAPL.csv, IBM.csv, MSFT.csv, NVDA.csv"
        imported = load_snapshot(tmp_path / "s")
        assert _closes(imported, "NVDA")[0] < 0.10  # split-adjusted, as the vendor wrote it
        lock = _lock(tmp_path / "s")
        assert lock["price_basis"] == "split_adjusted"
        assert lock["source"]["options"]["price_basis"] == "auto"
        assert lock["source"]["assumptions"] == [line.removeprefix("assumed: ") for line in lines[5:]]
        provenance = (tmp_path / "s" / "PROVENANCE.md").read_text()
        assert "- **Assumptions**" in provenance
        assert "| NVDA | 2000-01-03 | 2013-02-28 | 3309 | 18 | 0 | Adj Close | `NVDA.csv` |" in provenance
        assert "price basis split_adjusted (inferred)" in provenance

    def test_dividends_keep_their_split_adjusted_size(self, yahoo_dir, history, tmp_path):
        from aurora_e2d.data.importer import import_snapshot

        import_snapshot([yahoo_dir / "NVDA.csv"], tmp_path / "s")
        actions = load_snapshot(tmp_path / "s").actions.to_pylist()
        later = np.prod(list(NVDA_LIKE_SPLITS.values())[4:])  # the splits after the first dividend
        paid = [a["dividend_usd"] for a in actions if a["kind"] == "dividend"]
        assert len(paid) == 18
        # Yahoo scales by 1 - D / previous close; read back as D = close * (r - 1): within the day's move
        assert np.allclose(paid[:6], 0.075 / later, rtol=0.1)  # before the 2010 and 2012 splits
        assert np.allclose(paid[-3:], 0.075, rtol=0.1)
        assert min(paid) < 0.005  # what a cent-rounding raw reading turns into 0.0

    def test_explicit_raw_wins_and_its_refusal_names_the_other_basis(self, capsys, yahoo_dir, tmp_path):
        code, out, err = run_cli(
            capsys, "data", "import", str(yahoo_dir), "--out", str(tmp_path / "s"), "--price-basis", "raw"
        )
        assert (code, out) == (2, "")
        assert err.count("\n") == 1
        assert f"{yahoo_dir / 'NVDA.csv'}: row 2237: NVDA 2008-11-20: implied dividend must be > 0" in err
        assert err.rstrip().endswith("use --price-basis split_adjusted)")
        assert not (tmp_path / "s").exists()

    def test_explicit_split_adjusted_gives_the_same_tables(self, yahoo_dir, tmp_path):
        from aurora_e2d.data.importer import import_snapshot

        auto = import_snapshot([yahoo_dir], tmp_path / "a")
        named = import_snapshot([yahoo_dir], tmp_path / "b", price_basis="split_adjusted")
        assert named.assumptions == ("symbol from the file name: AAPL.csv, IBM.csv, MSFT.csv, NVDA.csv",)
        assert auto.written.lock["files"] == named.written.lock["files"]


class TestTradedPricesStayAsTheyAre:
    def test_csvdir_files_with_raw_closes_are_not_restored(self, snapshot, tmp_path):
        """Real bundled bars with their splits in a split column: Close drops at each split, so auto is raw."""
        from _import_files import PINNED_SHA, csvdir
        from aurora_e2d.data.importer import import_snapshot

        (tmp_path / "src").mkdir()
        csvdir(snapshot, tmp_path / "src")
        result = import_snapshot([tmp_path / "src"], tmp_path / "s")
        assert (
            result.written.lock["files"]["corporate_actions.parquet"]["sha256"]
            == (PINNED_SHA["corporate_actions.parquet"])
        )
        assert result.assumptions[0] == "price basis raw (inferred): Close read as traded prices"

    def test_the_bundled_source_is_raw_by_its_splits(self, snapshot, tmp_path):
        from _import_files import source_like_csv
        from aurora_e2d.data.importer import import_snapshot

        result = import_snapshot([source_like_csv(snapshot, tmp_path / "stocks.csv.gz")], tmp_path / "s")
        assert result.assumptions == (
            "price basis raw (inferred): Adj Close / Close moves like a split (AAPL 2000-06-21 x2, "
            "AAPL 2005-02-28 x2, MSFT 2003-02-18 x2)",
        )

    def test_the_stated_assumptions_name_files_never_paths(self, yahoo_dir, tmp_path):
        """The same files from another directory give the same bytes, PROVENANCE.md and lock included."""
        import shutil

        from _import_files import hashes
        from aurora_e2d.data.importer import import_snapshot

        moved = shutil.copytree(yahoo_dir, tmp_path / "elsewhere" / "drop")
        import_snapshot([yahoo_dir], tmp_path / "a")
        import_snapshot([moved], tmp_path / "b")
        assert hashes(tmp_path / "a") == hashes(tmp_path / "b")


class TestYfinance:
    @pytest.fixture(scope="class")
    def imported(self, history, tmp_path_factory):
        src = tmp_path_factory.mktemp("yf")
        yfinance_file(history, src / "NVDA.csv")
        out = tmp_path_factory.mktemp("out") / "s"
        from aurora_e2d.data.importer import import_snapshot

        return import_snapshot([src], out), load_snapshot(out)

    def test_real_share_counts_from_the_stock_splits_column(self, imported, history):
        result, snapshot = imported
        assert (result.splits, result.dividends, result.written.lock["price_basis"]) == (6, 18, "raw")
        prices = snapshot.prices.to_pydict()
        assert np.allclose(prices["close"], [r["close"] for r in history], rtol=1e-12, atol=0)
        assert prices["volume"] == [r["volume"] for r in history]
        splits = {
            str(a["ex_date"]): a["split_ratio"] for a in snapshot.actions.to_pylist() if a["kind"] == "split"
        }
        assert splits == NVDA_LIKE_SPLITS
        paid = [a["dividend_usd"] for a in snapshot.actions.to_pylist() if a["kind"] == "dividend"]
        assert np.allclose(paid, 0.075, rtol=1e-12)

    def test_summary_states_the_restoration_and_the_time_of_day(self, imported):
        result, _ = imported
        text = result.summary().splitlines()
        assert "(XNYS, raw), 6 splits, 18 dividends;" in text[0]
        assert text[1].split()[:8] == [
            "NVDA",
            "2000-01-03..2013-02-28",
            "3,309",
            "rows",
            "18",
            "dividends",
            "6",
            "splits",
        ]
        assert text[2:] == [
            "assumed: price basis raw (inferred): Close read as traded prices (restored as below)",
            "assumed: Close was split-adjusted in NVDA (no drop at the split column's splits): prices, "
            "volume and dividends restored to traded units with those splits",
            "assumed: symbol from the file name: NVDA.csv",
            "assumed: dates with a time of day: the date as written is the session (time and zone "
            "dropped): NVDA.csv",
        ]

    def test_an_index_column_and_t_separated_timestamps(self, history, tmp_path):
        from aurora_e2d.data.importer import import_snapshot

        plain = yfinance_file(history[:300], tmp_path / "NVDA.csv").read_text().splitlines()
        odd = [",Datetime" + plain[0].removeprefix("Date")]
        odd += [f"{i},{line.replace(' ', 'T', 1)}" for i, line in enumerate(plain[1:])]
        (tmp_path / "odd").mkdir()
        write_text(tmp_path / "odd" / "NVDA.csv", "\n".join(odd) + "\n")
        a = import_snapshot([tmp_path / "NVDA.csv"], tmp_path / "a")
        b = import_snapshot([tmp_path / "odd" / "NVDA.csv"], tmp_path / "b")
        assert a.written.lock["files"] == b.written.lock["files"]
        assert (b.splits, b.rows) == (1, 300)

    def test_a_series_both_adjusted_and_not_is_refused(self, capsys, history, tmp_path):
        plain = yfinance_file(history, tmp_path / "src.csv").read_text().splitlines()
        row = next(i for i, line in enumerate(plain) if line.startswith("2007-09-11"))
        cells = plain[row].split(",")
        cells[1:5] = [repr(float(x) / 1.5) for x in cells[1:5]]  # Close drops at this split only
        plain[row] = ",".join(cells)
        path = write_text(tmp_path / "NVDA.csv", "\n".join(plain) + "\n")
        code, _, err = run_cli(capsys, "data", "import", str(path), "--out", str(tmp_path / "s"))
        assert (code, err) == (
            2,
            f"aurora: error: {path}: row {row + 1}: NVDA 2007-09-11: Close drops by the 1.5 split here but "
            "not at 2000-06-27; name the basis with --price-basis\n",
        )

    def test_a_pandas_parquet_with_a_tz_aware_date_index(self, history, tmp_path):
        """``df.to_parquet()`` of a yfinance frame: the index becomes a tz-aware timestamp column."""
        import pandas as pd

        from aurora_e2d.data.importer import import_snapshot

        csv = yfinance_file(history[:300], tmp_path / "NVDA.csv")
        frame = pd.read_csv(csv, index_col="Date")
        frame.index = pd.to_datetime(frame.index, utc=True).tz_convert("America/New_York")
        (tmp_path / "pq").mkdir()
        frame.to_parquet(tmp_path / "pq" / "NVDA.parquet")
        a = import_snapshot([csv], tmp_path / "a")
        b = import_snapshot([tmp_path / "pq" / "NVDA.parquet"], tmp_path / "b")
        assert a.written.lock["files"]["stocks.parquet"]["rows"] == 300
        assert load_snapshot(tmp_path / "a").prices.equals(load_snapshot(tmp_path / "b").prices)
        assert "timestamps: each is the session of its date in the exchange's time zone: NVDA.parquet" in (
            b.assumptions
        )


class TestOddFilesSaySo:
    def test_no_adj_close_means_no_dividends_and_is_said(self, capsys, history, tmp_path):
        lines = ["Date,Open,High,Low,Close,Volume"]
        lines += [
            f"{r['date']},{r['open']},{r['high']},{r['low']},{r['close']},{r['volume']}" for r in history[:50]
        ]
        write_text(tmp_path / "ABC.csv", "\n".join(lines) + "\n")
        code, out, err = run_cli(
            capsys, "data", "import", str(tmp_path / "ABC.csv"), "--out", str(tmp_path / "s")
        )
        assert (code, err) == (0, "")
        assert (
            "assumed: no Adj Close, dividend or split column: no dividends or splits recorded: ABC.csv" in out
        )
        assert "(actions from none; ABC.csv)" in out

    def test_an_odd_file_name_is_refused_with_a_hint(self, capsys, history, tmp_path):
        path = yahoo_file(history[:50], tmp_path / "MSFT-odd-format.csv.gz", gz=True)
        code, out, err = run_cli(capsys, "data", "import", str(path), "--out", str(tmp_path / "s"))
        assert (code, out) == (2, "")
        assert err == (
            f"aurora: error: {path}: no symbol column, and the file name 'MSFT-odd-format' does not look "
            "like a ticker (up to 10 letters or digits, optionally one .X or -X suffix of 1-3 characters, "
            "e.g. BRK-B, VOD.L); rename the file or name its symbol with --symbol NAME\n"
        )

    def test_symbol_names_a_single_file(self, capsys, history, tmp_path):
        path = yahoo_file(history[:50], tmp_path / "MSFT-odd-format.csv.gz", gz=True)
        code, out, err = run_cli(
            capsys, "data", "import", str(path), "--symbol", "msft", "--out", str(tmp_path / "s")
        )
        assert (code, err) == (0, "")
        assert out.splitlines()[1].split()[0] == "MSFT"
        assert "assumed: symbol from --symbol: MSFT-odd-format.csv.gz" in out
        assert _lock(tmp_path / "s")["source"]["options"]["symbol"] == "MSFT"

    def test_symbol_with_two_files_is_refused(self, capsys, yahoo_dir, tmp_path):
        code, _, err = run_cli(
            capsys, "data", "import", str(yahoo_dir), "--symbol", "X", "--out", str(tmp_path / "s")
        )
        assert (code, err) == (
            2,
            "aurora: error: '--symbol': names the symbol of one file, but 4 files were given\n",
        )
