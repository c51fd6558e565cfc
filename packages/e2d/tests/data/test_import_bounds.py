"""Bounded inputs (issue 18 item 5): caps on each file's decompressed bytes and rows; symbols by pattern.

A gzip bomb is refused under a memory bound: the import runs as a real
subprocess (its peak RSS is the point) and ``os.wait4`` reports the peak.
The bomb is built streaming: one compressed gzip member repeated (a valid
multi-member gzip file), so building it costs nothing.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from _import_files import AURORA, run_cli, write_text

RSS_BOUND_MB = 600
HEADER = b"Date,Open,High,Low,Close,Volume\n"
GOOD = "Date,Open,High,Low,Close,Volume\n" + "".join(
    f"2000-03-{d:02d},1.5,1.6,1.4,1.5,100\n" for d in (1, 2, 3, 6, 7, 8, 9, 10)
)


def gzip_bomb(path: Path, member: bytes, copies: int) -> Path:
    """HEADER, then ``member`` ``copies`` times, each a separate gzip member of the same file."""
    body = gzip.compress(member, compresslevel=9, mtime=0)
    with path.open("wb") as f:
        f.write(gzip.compress(HEADER, mtime=0))
        for _ in range(copies):
            f.write(body)
    return path


# A fresh, small interpreter spawns the command and reports its exit code and peak RSS. Measured
# straight from the test process, a child's ru_maxrss can carry the parent's resident pages from
# before its exec (vfork shares them): an 800 MB pytest worker made a 138 MB import read 815 MB.
_LAUNCHER = (
    "import os, sys\n"
    "quiet = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]  # its stdout is not ours\n"
    "pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ, file_actions=quiet)\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)\n"
)


def run_measured(*args: str, cwd: Path) -> tuple[int, str, float]:
    """(exit code, stderr, peak RSS in MB) of ``aurora *args`` in a subprocess."""
    assert AURORA is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURORA_")}
    with (cwd / "stderr.txt").open("w") as err:
        done = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, AURORA, *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            check=True,
        )
    code, peak_kb = (int(part) for part in done.stdout.split())
    return code, (cwd / "stderr.txt").read_text(), peak_kb / 1024


class TestGzipBomb:
    def test_bytes_cap_refuses_a_bomb_under_a_memory_bound(self, tmp_path):
        block = b"9" * (16 << 20)  # no newline: only the byte cap can stop it
        bomb = gzip_bomb(tmp_path / "AAPL.csv.gz", block, 4)  # 64 MiB of text in ~130 KB
        assert bomb.stat().st_size < 1 << 20
        code, err, peak = run_measured(
            "data", "import", str(bomb), "--out", "s", "--max-file-bytes", "16M", cwd=tmp_path
        )
        assert (code, err) == (
            2,
            f"aurora: error: {bomb}: decompresses to more than 16,777,216 bytes (the cap; raise it with "
            "--max-file-bytes if the file is genuine)\n",
        )
        assert peak < RSS_BOUND_MB, f"peak RSS {peak:.0f} MB"
        assert not (tmp_path / "s").exists()

    @pytest.mark.l1
    def test_the_default_caps_refuse_a_2_gib_bomb(self, tmp_path):
        """The case of the issue: a few MB that expand to over 2 GiB, with no flag given."""
        bomb = gzip_bomb(tmp_path / "AAPL.csv.gz", b"9" * (16 << 20), 130)  # 2.03 GiB
        code, err, peak = run_measured("data", "import", str(bomb), "--out", "s", cwd=tmp_path)
        assert code == 2
        assert err.startswith(f"aurora: error: {bomb}: decompresses to more than 2,147,483,648 bytes")
        assert peak < RSS_BOUND_MB, f"peak RSS {peak:.0f} MB"

    def test_rows_cap_stops_a_bomb_of_short_lines(self, capsys, tmp_path):
        bomb = gzip_bomb(tmp_path / "AAPL.csv.gz", b"2000-03-01,1,1,1,1,1\n" * 50_000, 4)
        code, out, err = run_cli(
            capsys, "data", "import", str(bomb), "--out", str(tmp_path / "s"), "--max-file-rows", "100000"
        )
        assert (code, out) == (2, "")
        assert err == (
            f"aurora: error: {bomb}: has more than 100,000 rows (the cap; raise it with --max-file-rows "
            "if the file is genuine)\n"
        )


class TestCaps:
    def test_a_plain_file_over_the_byte_cap(self, capsys, tmp_path):
        path = write_text(tmp_path / "AAPL.csv", GOOD)
        code, _, err = run_cli(
            capsys, "data", "import", str(path), "--out", str(tmp_path / "s"), "--max-file-bytes", "100"
        )
        assert (code, err) == (
            2,
            f"aurora: error: {path}: is {len(GOOD)} bytes, more than 100 (the cap; raise it with "
            "--max-file-bytes if the file is genuine)\n",
        )

    def test_a_parquet_file_over_the_row_cap_by_its_footer(self, capsys, tmp_path):
        table = pa.table(
            {"symbol": ["A"] * 10, "date": ["2000-03-01"] * 10, **{c: [1.0] * 10 for c in "ohlcv"}}
        )
        pq.write_table(
            table.rename_columns(["symbol", "date", "open", "high", "low", "close", "volume"]),
            tmp_path / "t.parquet",
        )
        code, _, err = run_cli(
            capsys,
            "data",
            "import",
            str(tmp_path / "t.parquet"),
            "--out",
            str(tmp_path / "s"),
            "--max-file-rows",
            "5",
        )
        assert (code, err) == (
            2,
            f"aurora: error: {tmp_path / 't.parquet'}: has more than 5 rows (the cap; raise it with "
            "--max-file-rows if the file is genuine)\n",
        )

    def test_within_the_caps_imports(self, capsys, tmp_path):
        path = write_text(tmp_path / "AAPL.csv.gz", GOOD, gz=True)
        code, out, err = run_cli(
            capsys,
            "data",
            "import",
            str(path),
            "--out",
            str(tmp_path / "s"),
            "--max-file-bytes",
            f"{len(GOOD)}",
            "--max-file-rows",
            "8",
        )
        assert (code, err) == (0, "")
        assert out.startswith("imported 1 symbols, 8 rows, ")

    @pytest.mark.parametrize("value", ["0", "-5", "12X", "", "99999999999T"])
    def test_bad_byte_cap_values(self, capsys, tmp_path, value):
        path = write_text(tmp_path / "AAPL.csv", GOOD)
        code, _, err = run_cli(
            capsys, "data", "import", str(path), "--out", str(tmp_path / "s"), "--max-file-bytes", value
        )
        assert (code, err) == (
            2,
            f"aurora: error: '--max-file-bytes': must be a size like 512M, 2G or a byte count >= 1, was {value!r}\n",
        )


HOSTILE = ["../../evil", "<script>alert(1)</script>", "AAPL;rm -rf x", "A" * 3000, "aapl", "-X"]


class TestSymbolPattern:
    @pytest.mark.parametrize("bad", HOSTILE, ids=["path", "html", "shell", "3000-chars", "lower", "dash"])
    def test_a_symbol_column_value_is_refused_naming_file_row_and_column(self, capsys, tmp_path, bad):
        rows = GOOD.splitlines()
        lines = ["Symbol," + rows[0]] + [f"IBM,{r}" for r in rows[1:]] + [f'"{bad}",{rows[1]}']
        path = write_text(tmp_path / "long.csv", "\n".join(lines) + "\n")
        code, out, err = run_cli(capsys, "data", "import", str(path), "--out", str(tmp_path / "s"))
        assert (code, out) == (2, "")
        shown = repr(bad if len(bad) <= 40 else bad[:40] + "...")
        assert err.startswith(f"aurora: error: {path}: row 10 column 'Symbol': symbol {shown}")
        assert err.endswith(
            r"does not match ^[A-Z0-9][A-Z0-9.\-]{0,14}$ (upper-case letters, digits, '.' and '-', "
            "at most 15 characters)\n"
        )
        assert err.count("\n") == 1
        assert len(err) < 400
        assert not (tmp_path / "s").exists()

    @pytest.mark.parametrize("bad", HOSTILE[:4], ids=["path", "html", "shell", "3000-chars"])
    def test_symbol_option_is_checked_too(self, capsys, tmp_path, bad):
        path = write_text(tmp_path / "AAPL.csv", GOOD)
        code, _, err = run_cli(
            capsys, "data", "import", str(path), "--symbol", bad, "--out", str(tmp_path / "s")
        )
        assert code == 2
        assert err.startswith("aurora: error: '--symbol': symbol ")
        assert err.count("\n") == 1
        assert len(err) < 400

    @pytest.mark.parametrize(
        "name", ["<script>.csv", "AAPL;rm.csv", "x" * 200 + ".csv", "MSFT-odd-format.csv"]
    )
    def test_a_file_name_that_is_no_ticker_is_refused(self, capsys, tmp_path, name):
        path = write_text(tmp_path / name, GOOD)
        code, _, err = run_cli(capsys, "data", "import", str(path), "--out", str(tmp_path / "s"))
        assert code == 2
        assert err.startswith(f"aurora: error: {path}: no symbol column, and the file name ")
        assert err.endswith("rename the file or name its symbol with --symbol NAME\n")

    @pytest.mark.parametrize("name", ["brk-b.csv", "BRK.B.csv", "7203.T.csv.gz", "vod.l.csv"])
    def test_tickers_with_a_class_or_exchange_suffix_are_names(self, capsys, tmp_path, name):
        path = write_text(tmp_path / name, GOOD, gz=name.endswith(".gz"))
        code, out, err = run_cli(capsys, "data", "import", str(path), "--out", str(tmp_path / "s"))
        assert (code, err) == (0, "")
        assert out.splitlines()[1].split()[0] == name.split(".csv")[0].upper()


@pytest.mark.parametrize(
    ("text", "size"),
    [("1024", 1024), ("512M", 512 << 20), ("2G", 2 << 30), ("2GB", 2 << 30), ("1KiB", 1024), ("3t", 3 << 40)],
)
def test_sizes_read_with_binary_units(text, size):
    from aurora_e2d.data.importer.bounded import parse_size

    assert parse_size(text, "--max-file-bytes") == size
