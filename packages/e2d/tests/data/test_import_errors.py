"""Bad input: exit 2, one line naming the file (and row/column where known), nothing written at --out."""

from __future__ import annotations

import gzip
import zipfile

import pytest

from _import_files import aurora, rows_by_symbol, run_cli

HEADER = "Date,Open,High,Low,Close,Adj Close,Volume"


@pytest.fixture(scope="module")
def good_lines(snapshot) -> list[str]:
    """AAPL's first 20 real bars as Yahoo lines (data rows are rows 2..21 of the file)."""
    rows = rows_by_symbol(snapshot, ["AAPL"])["AAPL"][:20]
    return [
        f"{r['date']},{r['open']!r},{r['high']!r},{r['low']!r},{r['close']!r},{r['adj_close']!r},{r['volume']}"
        for r in rows
    ]


def _file(tmp_path, lines: list[str], name="AAPL.csv", header=HEADER):
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def _set(lines: list[str], row: int, column: int, value: str) -> list[str]:
    """Change one cell; ``row`` as the file numbers it (the header is row 1)."""
    lines = list(lines)
    cells = lines[row - 2].split(",")
    cells[column] = value
    lines[row - 2] = ",".join(cells)
    return lines


def _fails(capsys, tmp_path, *sources, options=()) -> str:
    out = tmp_path / "snap"
    code, stdout, stderr = run_cli(capsys, "data", "import", *map(str, sources), "--out", str(out), *options)
    assert (code, stdout) == (2, "")
    assert stderr.count("\n") == 1
    assert stderr.startswith("aurora: error: ")
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".snap")] == []  # no temp dir left
    return stderr.removeprefix("aurora: error: ").rstrip("\n")


class TestBrokenFiles:
    def test_binary_garbage(self, capsys, tmp_path):
        path = tmp_path / "AAPL.csv"
        path.write_bytes(bytes(range(256)) * 8)
        assert _fails(capsys, tmp_path, path) == f"{path}: binary data, not a CSV, gzip or Parquet file"

    def test_invalid_utf8(self, capsys, tmp_path, good_lines):
        path = tmp_path / "AAPL.csv"
        path.write_bytes(
            ("\n".join([HEADER, *good_lines[:3]]) + "\n").encode() + b"2000-03-06,\xff\xfe,1,1,1,1,1\n"
        )
        assert _fails(capsys, tmp_path, path) == f"{path}: not UTF-8 text (or binary data)"

    def test_truncated_gzip(self, capsys, tmp_path, good_lines):
        path = tmp_path / "AAPL.csv.gz"
        path.write_bytes(gzip.compress(("\n".join([HEADER, *good_lines]) + "\n").encode())[:-20])
        assert _fails(capsys, tmp_path, path).startswith(f"{path}: not a valid gzip file (")

    def test_zip_archive(self, capsys, tmp_path):
        path = tmp_path / "prices.csv"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("AAPL.csv", HEADER + "\n")
        assert (
            _fails(capsys, tmp_path, path) == f"{path}: a zip archive; unzip it and import the files inside"
        )

    def test_missing_close_column(self, capsys, tmp_path, good_lines):
        lines = [",".join(line.split(",")[:4] + line.split(",")[5:]) for line in good_lines]
        path = _file(tmp_path, lines, header="Date,Open,High,Low,Adj Close,Volume")
        assert _fails(capsys, tmp_path, path) == (
            f"{path}: no 'Close' column (columns: Date, Open, High, Low, Adj Close, Volume)"
        )

    def test_unparseable_date(self, capsys, tmp_path, good_lines):
        path = _file(tmp_path, _set(good_lines, 9, 0, "2000-02-30"))
        assert _fails(capsys, tmp_path, path) == (
            f"{path}: row 9 column 'Date': '2000-02-30' is not a date "
            "(YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD, optionally with a time of day)"
        )

    def test_duplicate_date_same_bar(self, capsys, tmp_path, good_lines):
        path = _file(tmp_path, [*good_lines[:5], good_lines[2], *good_lines[5:]])
        assert (
            _fails(capsys, tmp_path, path)
            == f"{path}: row 7: duplicate date: AAPL 2000-03-03 is also on row 4"
        )

    def test_duplicate_dates_with_other_prices_are_two_series(self, capsys, tmp_path, snapshot, good_lines):
        """MSFT's bars appended to AAPL's file: the same dates again, other prices."""
        msft = rows_by_symbol(snapshot, ["MSFT"])["MSFT"][:3]
        extra = [
            f"{r['date']},{r['open']!r},{r['high']!r},{r['low']!r},{r['close']!r},{r['adj_close']!r},{r['volume']}"
            for r in msft
        ]
        path = _file(tmp_path, [*good_lines, *extra])
        assert _fails(capsys, tmp_path, path) == (
            f"{path}: row 22: AAPL 2000-03-01 also on row 2 with other prices: two series read as one symbol?"
        )

    def test_a_second_symbol_in_a_per_symbol_file(self, capsys, tmp_path, good_lines):
        lines = [f"{'MSFT' if i == 15 else 'AAPL'},{line}" for i, line in enumerate(good_lines, start=2)]
        path = _file(tmp_path, lines, header="Ticker," + HEADER)
        assert _fails(capsys, tmp_path, path) == (
            f"{path}: row 15 column 'Ticker': 'MSFT' in a file named after AAPL: two symbols read as one "
            "(name a table of several symbols after none of them)"
        )

    @pytest.mark.parametrize(("column", "name"), [(1, "Open"), (3, "Low"), (4, "Close"), (5, "Adj Close")])
    @pytest.mark.parametrize("value", ["0", "-12.5"])
    def test_non_positive_price(self, capsys, tmp_path, good_lines, column, name, value):
        path = _file(tmp_path, _set(good_lines, 6, column, value))
        assert _fails(capsys, tmp_path, path) == f"{path}: row 6 column '{name}': '{value}' must be > 0"

    def test_empty_file(self, capsys, tmp_path):
        (tmp_path / "AAPL.csv").write_bytes(b"")
        assert _fails(capsys, tmp_path, tmp_path / "AAPL.csv") == f"{tmp_path / 'AAPL.csv'}: empty file"

    def test_header_only(self, capsys, tmp_path):
        path = _file(tmp_path, [])
        assert _fails(capsys, tmp_path, path) == f"{path}: no data rows (header only)"

    def test_non_numeric_price(self, capsys, tmp_path, good_lines):
        path = tmp_path / "data" / "AAPL.csv"
        path.parent.mkdir()
        _file(path.parent, _set(good_lines, 17, 4, "n/a"))
        assert _fails(capsys, tmp_path, path) == f"{path}: row 17 column 'Close': 'n/a' is not a number"

    def test_yahoo_null_row(self, capsys, tmp_path, good_lines):
        lines = list(good_lines)
        lines[10] = lines[10].split(",")[0] + ",null,null,null,null,null,null"
        path = _file(tmp_path, lines)
        assert _fails(capsys, tmp_path, path) == f"{path}: row 12 column 'Open': 'null' is not a number"

    def test_empty_price_cell(self, capsys, tmp_path, good_lines):
        path = _file(tmp_path, _set(good_lines, 4, 2, ""))
        assert _fails(capsys, tmp_path, path) == (
            f"{path}: row 4 column 'High': empty (a number is required on every row)"
        )

    def test_nan_price(self, capsys, tmp_path, good_lines):
        path = _file(tmp_path, _set(good_lines, 4, 4, "nan"))
        assert _fails(capsys, tmp_path, path) == f"{path}: row 4 column 'Close': 'nan' is not a finite number"

    def test_ragged_row(self, capsys, tmp_path, good_lines):
        lines = list(good_lines)
        lines[4] = lines[4].rsplit(",", 2)[0]
        path = _file(tmp_path, lines)
        assert _fails(capsys, tmp_path, path) == f"{path}: row 6: 5 fields, but the header has 7"

    @pytest.mark.parametrize(
        ("value", "problem"),
        [("-5", "'-5' must be >= 0"), ("10.5", "'10.5' is not a whole number of shares")],
    )
    def test_bad_volume(self, capsys, tmp_path, good_lines, value, problem):
        path = _file(tmp_path, _set(good_lines, 3, 6, value))
        assert _fails(capsys, tmp_path, path) == f"{path}: row 3 column 'Volume': {problem}"

    def test_a_date_that_is_not_a_session(self, capsys, tmp_path, good_lines):
        path = _file(tmp_path, _set(good_lines, 5, 0, "2000-03-04"))  # a Saturday
        assert _fails(capsys, tmp_path, path) == (
            f"{path}: row 5: AAPL 2000-03-04 is not a session of XNYS (1 such rows in this import)"
        )

    def test_negative_dividend_column(self, capsys, tmp_path, good_lines):
        lines = [f"{line},{'-0.5' if i == 8 else '0'},1" for i, line in enumerate(good_lines, start=2)]
        path = _file(tmp_path, lines, header=HEADER + ",Dividend,Split")
        assert _fails(capsys, tmp_path, path) == (
            f"{path}: row 8 column 'Dividend': '-0.5' must be >= 0 (cash per share; 0 or empty when none)"
        )


class TestBadOptionsAndPaths:
    def test_missing_source(self, capsys, tmp_path):
        assert (
            _fails(capsys, tmp_path, tmp_path / "nope.csv")
            == f"{tmp_path / 'nope.csv'}: no such file or directory"
        )

    def test_directory_without_data_files(self, capsys, tmp_path):
        (tmp_path / "src").mkdir()
        (tmp_path / "src" / "README.md").write_text("no data here")
        assert _fails(capsys, tmp_path, tmp_path / "src") == (
            f"{tmp_path / 'src'}: no .csv, .csv.gz, .parquet, .pq files in this directory"
        )

    def test_no_symbol_anywhere(self, capsys, tmp_path, good_lines):
        path = _file(tmp_path, good_lines, name=".csv")
        assert (
            _fails(capsys, tmp_path, path)
            == f"{path}: no symbol column, and the file name names no symbol; use --symbol NAME"
        )

    def test_unknown_calendar(self, capsys, tmp_path, good_lines):
        path = _file(tmp_path, good_lines)
        assert _fails(capsys, tmp_path, path, options=("--calendar", "XXXX")) == (
            "--calendar: unknown exchange calendar 'XXXX' (an exchange-calendars code such as XNYS)"
        )

    def test_unknown_price_basis(self, capsys, tmp_path, good_lines):
        path = _file(tmp_path, good_lines)
        assert _fails(capsys, tmp_path, path, options=("--price-basis", "adjusted")) == (
            "'--price-basis': must be one of auto, raw, split_adjusted, was 'adjusted'"
        )

    def test_existing_snapshot_is_never_overwritten(self, capsys, tmp_path, good_lines):
        path = _file(tmp_path, good_lines)
        out = tmp_path / "snap"
        out.mkdir()
        (out / "stocks.parquet").write_bytes(b"an earlier snapshot")
        code, _, err = run_cli(capsys, "data", "import", str(path), "--out", str(out))
        assert code == 2
        assert err == (
            f"aurora: error: --out {out}: already exists and is not empty; snapshots are immutable, "
            "write a new directory\n"
        )
        assert [p.name for p in out.iterdir()] == ["stocks.parquet"]
        assert (out / "stocks.parquet").read_bytes() == b"an earlier snapshot"

    def test_an_existing_empty_directory_is_used(self, capsys, tmp_path, good_lines):
        path = _file(tmp_path, good_lines)
        (tmp_path / "snap").mkdir()
        code, _out, err = run_cli(capsys, "data", "import", str(path), "--out", str(tmp_path / "snap"))
        assert (code, err) == (0, "")
        assert (tmp_path / "snap" / "snapshot.lock.json").is_file()


class TestRealConsoleScript:
    """The installed `aurora` script in a subprocess: the exact line on stderr, exit 2, nothing written."""

    @pytest.mark.parametrize(
        ("make", "expected"),
        [
            (
                lambda d, lines: (d / "AAPL.csv").write_bytes(bytes(range(256)) * 4),
                "binary data, not a CSV, gzip or Parquet file",
            ),
            (
                lambda d, lines: _file(d, _set(lines, 17, 4, "n/a")),
                "row 17 column 'Close': 'n/a' is not a number",
            ),
            (
                lambda d, lines: _file(d, _set(lines, 5, 0, "2000-03-04")),
                "row 5: AAPL 2000-03-04 is not a session of XNYS (1 such rows in this import)",
            ),
        ],
        ids=["binary", "not-a-number", "not-a-session"],
    )
    def test_bad_file(self, tmp_path, good_lines, make, expected):
        (tmp_path / "data").mkdir()
        make(tmp_path / "data", good_lines)
        result = aurora("data", "import", "data/AAPL.csv", "--out", "snap", cwd=tmp_path)
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr == f"aurora: error: data/AAPL.csv: {expected}\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]

    def test_good_file_then_refused_second_time(self, tmp_path, good_lines):
        (tmp_path / "data").mkdir()
        _file(tmp_path / "data", good_lines)
        first = aurora("data", "import", "data", "--out", "snap", cwd=tmp_path)
        assert (first.returncode, first.stderr) == (0, "")
        assert first.stdout.startswith(
            "imported 1 symbols, 20 rows, 2000-03-01..2000-03-28 (XNYS, raw), 0 splits"
        )
        lines = first.stdout.splitlines()
        assert lines[1].split() == [
            "AAPL",
            "2000-03-01..2000-03-28",
            "20",
            "rows",
            "0",
            "dividends",
            "0",
            "splits",
            "(actions",
            "from",
            "Adj",
            "Close;",
            "AAPL.csv)",
        ]
        assert lines[2].startswith("assumed: price basis raw (inferred): Adj Close / Close shows no split")
        assert lines[3:] == ["assumed: symbol from the file name: AAPL.csv"]
        again = aurora("data", "import", "data", "--out", "snap", cwd=tmp_path)
        assert again.returncode == 2
        assert again.stderr == (
            "aurora: error: --out snap: already exists and is not empty; snapshots are immutable, write a new directory\n"
        )
