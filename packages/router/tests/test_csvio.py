"""ORDERS.csv parsing and results CSV writing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from aurora_broker import Side
from aurora_router import RouteInputError, parse_orders, read_orders, write_results
from aurora_safety import ReasonCode, Rejection
from router_factories import NOW_NS, SESSION, Rig

HEADER = "client_order_id,symbol,side,quantity,limit_price\n"


def bad(line: int, field: str, value: str, expected: str) -> Rejection:
    return Rejection.of(ReasonCode.INVALID_ORDER, line=line, field=field, value=value, expected=expected)


def test_good_rows_become_orders() -> None:
    rows = parse_orders(HEADER + "a,AAPL,buy,10,100.5\n\nb,MSFT,SELL,3,20\n", SESSION)
    assert [(r.line, r.client_order_id, r.rejection) for r in rows] == [(2, "a", None), (4, "b", None)]
    assert rows[0].order is not None
    assert rows[0].order.side is Side.BUY
    assert rows[0].order.limit_price == 100.5
    assert rows[1].order is not None
    assert rows[1].order.session == SESSION


@pytest.mark.parametrize(
    ("row", "rejection"),
    [
        ("a,AAPL,HOLD,10,1", bad(2, "side", "HOLD", "BUY or SELL")),
        ("a,AAPL,BUY,ten,1", bad(2, "quantity", "ten", "integer > 0")),
        ("a,AAPL,BUY,1.5,1", bad(2, "quantity", "1.5", "integer > 0")),
        ("a,AAPL,BUY,0,1", bad(2, "quantity", "0", "integer > 0")),
        ("a,AAPL,BUY,-3,1", bad(2, "quantity", "-3", "integer > 0")),
        ("a,AAPL,BUY,1,nan", bad(2, "limit_price", "nan", "finite number > 0")),
        ("a,AAPL,BUY,1,inf", bad(2, "limit_price", "inf", "finite number > 0")),
        ("a,AAPL,BUY,1,0", bad(2, "limit_price", "0", "finite number > 0")),
        ("a,AAPL,BUY,1,", bad(2, "limit_price", "", "finite number > 0")),
        (",AAPL,BUY,1,1", bad(2, "client_order_id", "", "non-empty text")),
        ("a,,BUY,1,1", bad(2, "symbol", "", "non-empty text")),
        ("a,AAPL,BUY,1", bad(2, "row", "a,AAPL,BUY,1", "5 fields")),
    ],
)
def test_malformed_row_is_rejected_with_line_and_field(row: str, rejection: Rejection) -> None:
    rows = parse_orders(HEADER + row + "\nok,AAPL,BUY,1,1\n", SESSION)
    assert rows[0].order is None
    assert rows[0].rejection == rejection
    assert rows[1].order is not None
    assert rows[1].line == 3


@pytest.mark.parametrize("text", ["", "a,AAPL,BUY,1,1\n", "client_order_id,symbol,side,qty,limit_price\n"])
def test_missing_or_wrong_header(tmp_path: Path, text: str) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(text)
    with pytest.raises(
        RouteInputError,
        match=r"orders\.csv: header must be client_order_id,symbol,side,"
        r"quantity,limit_price, was ",
    ):
        read_orders(path, SESSION)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(RouteInputError) as info:
        read_orders(tmp_path / "missing.csv", SESSION)
    assert (
        str(info.value) == f"{tmp_path / 'missing.csv'}: cannot read orders file (No such file or directory)"
    )
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(RouteInputError, match=r"bin\.csv: is not UTF-8 text$"):
        read_orders(tmp_path / "bin.csv", SESSION)


def test_route_file_end_to_end_and_write_deterministically(rig: Rig, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "a,AAPL,BUY,10,100\nb,AAPL,BUY,zero,100\na,AAPL,BUY,10,100\nc,TSLA,BUY,1,1\n")
    results = rig.router.route_rows(read_orders(path, SESSION), SESSION, NOW_NS)
    outs = []
    for _ in range(2):
        buffer = io.StringIO()
        write_results(results, buffer)
        outs.append(buffer.getvalue())
    assert (
        outs[0]
        == outs[1]
        == (
            "client_order_id,status,reason\na,accepted,\nb,rejected,INVALID_ORDER\n"
            "a,rejected,DUPLICATE_ORDER\nc,rejected,INVALID_ORDER\n"
        )
    )
