"""`aurora route` for scripts and spreadsheets (issues 17 and 18): wall-clock staleness, --strict,
overflowing quantities, CSV-injection escaping, and a --help that shows the input columns at 80
columns. In-process calls of the console script's ``main`` (the process boundary is not the point)."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import pytest

from _runs import argv, child_env
from aurora_e2d.cli.app import main

ORDERS = (
    "client_order_id,symbol,side,quantity,limit_price\n"
    "plain,AAPL,BUY,10,440\n"
    "=cmd|calc,AAPL,BUY,10,440\n"
    "@sum,AAPL,BUY,10,440\n"
    "huge,AAPL,BUY,99999999999999999999999,440\n"
)


@pytest.fixture
def orders(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS)
    return path


def _route(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, list[dict[str, str]], str]:
    code = main(["route", *map(str, args)])
    captured = capsys.readouterr()
    return code, list(csv.DictReader(io.StringIO(captured.out))), captured.err


def test_a_quantity_beyond_int64_is_a_rejected_row_not_a_traceback(capsys, orders: Path) -> None:
    code, rows, err = _route(capsys, orders, "--at-close")
    assert code == 0
    assert "Traceback" not in err
    huge = next(r for r in rows if r["client_order_id"] == "huge")
    assert huge["reason"] == "INVALID_ORDER"
    assert "quantity='99999999999999999999999'" in huge["detail"]


def test_formula_cells_are_escaped_for_spreadsheets(capsys, orders: Path) -> None:
    _, rows, _ = _route(capsys, orders, "--at-close")
    ids = [r["client_order_id"] for r in rows]
    assert ids == ["plain", "'=cmd|calc", "'@sum", "huge"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())


def test_staleness_is_judged_against_the_wall_clock_unless_at_close(capsys, orders: Path) -> None:
    _, now_rows, _ = _route(capsys, orders)  # the bundled data ends in 2013: years old today
    assert {r["reason"] for r in now_rows if r["client_order_id"] != "huge"} == {"STALE_REFERENCE"}
    _, close_rows, _ = _route(capsys, orders, "--at-close")
    assert [r["status"] for r in close_rows] == ["accepted", "accepted", "accepted", "rejected"]


def test_strict_exits_1_when_any_row_was_rejected(capsys, orders: Path, tmp_path: Path) -> None:
    code, _, err = _route(capsys, orders, "--at-close", "--strict")
    assert code == 1
    assert "aurora: route --strict: 1 of 4 row(s) rejected" in err
    clean = tmp_path / "clean.csv"
    clean.write_text("client_order_id,symbol,side,quantity,limit_price\na,AAPL,BUY,10,440\n")
    assert _route(capsys, clean, "--at-close", "--strict")[0] == 0


def test_help_shows_the_input_columns_at_80_columns() -> None:
    env = child_env({"COLUMNS": "80"})
    shown = subprocess.run(argv(["route", "--help"]), env=env, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0
    text = " ".join(shown.stdout.split())
    assert "client_order_id, symbol, side, quantity, limit_price" in text
    assert "--strict" in text
    assert max(len(line) for line in shown.stdout.splitlines()) <= 80
