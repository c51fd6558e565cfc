"""Odd but valid files import, and import to exactly what a plain file of the same bars gives.

Every file here holds real bundled bars (AAPL around its 2000-06-21 split and
IBM over the same weeks), written in the shapes users' files come in.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from _import_files import rows_by_symbol
from aurora_e2d.core import paths
from aurora_e2d.data.importer import import_snapshot
from aurora_e2d.data.ingest import load_snapshot

START, END = dt.date(2000, 5, 1), dt.date(2000, 8, 31)  # AAPL's 2:1 split on 2000-06-21 inside
YAHOO = ["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"]
FIELD = dict(zip(YAHOO, ["date", "open", "high", "low", "close", "adj_close", "volume"], strict=True))


@pytest.fixture(scope="module")
def bars(snapshot) -> dict[str, list[dict]]:
    return {
        s: [r for r in rows if START <= r["date"] <= END]
        for s, rows in rows_by_symbol(snapshot, ["AAPL", "IBM"]).items()
    }


def _cell(row: dict, column: str, date_format: str) -> str:
    value = row[FIELD[column]]
    return value.strftime(date_format) if column == "Date" else repr(value)


def yahoo(rows, *, columns=YAHOO, header=None, date_format="%Y-%m-%d", sep=",", newline="\n") -> str:
    lines = [sep.join(header or columns)]
    lines += [sep.join(_cell(r, c, date_format) for c in columns) for r in rows]
    return newline.join(lines) + newline


def _stocks_sha(out) -> dict:
    return json.loads((out / paths.LOCK_NAME).read_text())["files"]


@pytest.fixture(scope="module")
def reference(bars, tmp_path_factory) -> dict:
    """The plain files: Yahoo columns in Yahoo order, ISO dates, LF, no BOM."""
    src = tmp_path_factory.mktemp("plain")
    for symbol, rows in bars.items():
        (src / f"{symbol}.csv").write_text(yahoo(rows))
    out = tmp_path_factory.mktemp("out") / "s"
    import_snapshot([src], out)
    return _stocks_sha(out)


def _import_aapl(tmp_path, data: bytes | str, bars, name="AAPL.csv", **options) -> dict:
    """AAPL written as ``data`` beside a plain IBM file; the lock's files entry."""
    src = tmp_path / "src"
    src.mkdir()
    (src / name).write_bytes(data.encode() if isinstance(data, str) else data)
    (src / "IBM.csv").write_text(yahoo(bars["IBM"]))
    import_snapshot([src], tmp_path / "s", **options)
    return _stocks_sha(tmp_path / "s")


class TestSameBarsAnyShape:
    def test_reference_has_the_split(self, reference, tmp_path, bars):
        (tmp_path / "AAPL.csv").write_text(yahoo(bars["AAPL"]))
        result = import_snapshot([tmp_path / "AAPL.csv"], tmp_path / "s")
        assert (result.splits, result.dividends, result.rows) == (1, 0, len(bars["AAPL"]))

    def test_any_column_order_and_case(self, reference, tmp_path, bars):
        columns = ["Volume", "Adj Close", "Close", "Low", "High", "Open", "Date"]
        header = ["VOLUME", "adj_close", "close", "LOW", "High", "open", "date"]
        assert _import_aapl(tmp_path, yahoo(bars["AAPL"], columns=columns, header=header), bars) == reference

    def test_us_dates(self, reference, tmp_path, bars):
        text = yahoo(bars["AAPL"], date_format="%m/%d/%Y")
        assert "\n05/01/2000," in text
        assert _import_aapl(tmp_path, text, bars) == reference

    def test_day_first_dates_when_no_row_reads_month_first(self, reference, tmp_path, bars):
        text = yahoo(bars["AAPL"], date_format="%d/%m/%Y")
        assert "\n31/05/2000," in text
        assert _import_aapl(tmp_path, text, bars) == reference

    def test_dates_with_a_time_of_day(self, reference, tmp_path, bars):
        text = yahoo(bars["AAPL"], date_format="%Y-%m-%d 00:00:00")
        assert _import_aapl(tmp_path, text, bars) == reference

    def test_compact_dates(self, reference, tmp_path, bars):
        assert _import_aapl(tmp_path, yahoo(bars["AAPL"], date_format="%Y%m%d"), bars) == reference

    def test_pandas_to_csv_with_its_unnamed_index_column(self, reference, tmp_path, bars):
        frame = pd.DataFrame({c: [r[FIELD[c]] for r in bars["AAPL"]] for c in YAHOO})
        text = frame.to_csv()  # pandas' default: a leading unnamed index column
        assert text.startswith(",Date,Open,")
        assert _import_aapl(tmp_path, text, bars) == reference

    def test_utf8_bom_and_crlf(self, reference, tmp_path, bars):
        data = b"\xef\xbb\xbf" + yahoo(bars["AAPL"], newline="\r\n").encode()
        assert _import_aapl(tmp_path, data, bars) == reference

    def test_blank_lines(self, reference, tmp_path, bars):
        text = "\n" + yahoo(bars["AAPL"]).replace("\n2000-06-01,", "\n\n2000-06-01,") + "\n\n"
        assert _import_aapl(tmp_path, text, bars) == reference

    @pytest.mark.parametrize("sep", [";", "\t"])
    def test_semicolon_or_tab_separated(self, reference, tmp_path, bars, sep):
        assert _import_aapl(tmp_path, yahoo(bars["AAPL"], sep=sep), bars) == reference

    def test_whole_volumes_written_as_floats(self, reference, tmp_path, bars):
        text = yahoo([{**r, "volume": float(r["volume"])} for r in bars["AAPL"]])
        assert ",9616100.0\n" in text or ".0\n" in text
        assert _import_aapl(tmp_path, text, bars) == reference

    def test_gzip_is_detected_by_its_bytes_not_its_name(self, reference, tmp_path, bars):
        data = gzip.compress(yahoo(bars["AAPL"]).encode(), mtime=0)
        assert _import_aapl(tmp_path, data, bars, name="AAPL.csv") == reference

    def test_plain_text_named_gz(self, reference, tmp_path, bars):
        assert _import_aapl(tmp_path, yahoo(bars["AAPL"]), bars, name="aapl.csv.gz") == reference

    def test_a_symbol_column_naming_the_file(self, reference, tmp_path, bars):
        text = yahoo(bars["AAPL"]).replace("Date,", "Symbol,Date,", 1).replace("\n2000", "\nAAPL,2000")
        assert _import_aapl(tmp_path, text, bars) == reference

    def test_unknown_columns_are_ignored(self, reference, tmp_path, bars):
        text = yahoo(bars["AAPL"]).replace("\n", ",x\n").replace("Volume,x\n", "Volume,Comment\n", 1)
        assert _import_aapl(tmp_path, text, bars) == reference


class TestParquet:
    def _table(self, bars, dates: pa.Array) -> pa.Table:
        rows = bars["AAPL"] + bars["IBM"]
        return pa.table(
            {
                "ticker": [r["symbol"] for r in rows],
                "date": dates,
                **{c: [r[FIELD[c]] for r in rows] for c in YAHOO[1:]},
            }
        )

    @pytest.mark.parametrize(
        "kind", ["date32", "string", "naive-midnight", "new-york-midnight", "utc-session-close"]
    )
    def test_date_columns_of_any_type(self, reference, tmp_path, bars, kind):
        days = [r["date"] for r in bars["AAPL"] + bars["IBM"]]
        midnight = [dt.datetime.combine(d, dt.time()) for d in days]
        dates = {
            "date32": pa.array(days, pa.date32()),
            "string": pa.array([d.isoformat() for d in days]),
            "naive-midnight": pa.array(midnight, pa.timestamp("us")),
            "new-york-midnight": pa.array(
                pd.DatetimeIndex(midnight).tz_localize("America/New_York"),
                pa.timestamp("ns", "America/New_York"),
            ),
            "utc-session-close": pa.array(
                pd.DatetimeIndex([m + dt.timedelta(hours=21) for m in midnight]).tz_localize("UTC"),
                pa.timestamp("us", "UTC"),
            ),
        }[kind]
        pq.write_table(self._table(bars, dates), tmp_path / "prices.parquet")
        import_snapshot([tmp_path / "prices.parquet"], tmp_path / "s")
        assert _stocks_sha(tmp_path / "s") == reference


class TestQuandlWiki:
    def test_quandl_columns_give_explicit_actions(self, tmp_path, bars):
        """Quandl WIKI: Ex-Dividend and Split Ratio columns, Adj. columns ignored."""
        header = "Date,Open,High,Low,Close,Volume,Ex-Dividend,Split Ratio,Adj. Open,Adj. Close"
        lines = [header]
        for r in bars["AAPL"]:
            split = 2.0 if r["date"] == dt.date(2000, 6, 21) else 1.0
            ohlcv = f"{r['open']!r},{r['high']!r},{r['low']!r},{r['close']!r},{r['volume']}"
            lines.append(f"{r['date']},{ohlcv},0.0,{split},1.0,{r['adj_close']!r}")
        (tmp_path / "AAPL.csv").write_text("\n".join(lines) + "\n")
        result = import_snapshot([tmp_path / "AAPL.csv"], tmp_path / "s")
        loaded = load_snapshot(tmp_path / "s")
        assert loaded.actions.to_pylist() == [
            {
                "symbol": "AAPL",
                "ex_date": dt.date(2000, 6, 21),
                "kind": "split",
                "split_ratio": 2.0,
                "dividend_usd": None,
            }
        ]
        assert result.splits == 1
        lock = json.loads((tmp_path / "s" / paths.LOCK_NAME).read_text())
        assert lock["source"]["actions_from"] == {"columns": 1}
