"""ORDERS.csv parsing and results CSV writing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from aurora_broker import Side
from aurora_router import RESULT_COLUMNS, RouteInputError, parse_orders, read_orders, write_results
from aurora_router.results import describe
from aurora_safety import ReasonCode, Rejection
from router_factories import NOW_NS, SESSION, Rig, make_order

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
    ],
)
def test_malformed_row_is_rejected_with_line_and_field(row: str, rejection: Rejection) -> None:
    rows = parse_orders(HEADER + row + "\nok,AAPL,BUY,1,1\n", SESSION)
    assert rows[0].order is None
    assert rows[0].rejection == rejection
    assert rows[1].order is not None
    assert rows[1].line == 3


EXPECTED = "(expected client_order_id,symbol,side,quantity,limit_price, in any order)"


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("client_order_id,symbol,side,qty,limit_price", "missing column 'quantity'; unknown column 'qty'"),
        ("client_order_id,symbol,side", "missing columns 'quantity', 'limit_price'"),
        (
            "client_order_id,symbol,side,quantity,limit_price,Note ,tif",
            "unknown columns 'Note', 'tif'",
        ),
        ("client_order_id,symbol,SYMBOL,side,quantity,limit_price", "duplicate column 'symbol'"),
        (
            "a,AAPL,BUY,1,1",  # a data row where the header should be
            "missing columns 'client_order_id', 'symbol', 'side', 'quantity', 'limit_price'; "
            "unknown columns 'a', 'AAPL', 'BUY', '1'; duplicate column '1'",
        ),
    ],
)
def test_header_problems_name_the_columns_and_the_file(tmp_path: Path, header: str, problem: str) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(header + "\n")
    with pytest.raises(RouteInputError) as info:
        read_orders(path, SESSION)
    assert str(info.value) == f"{path}: {problem} {EXPECTED}"


def test_empty_file_has_no_header(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("")
    with pytest.raises(RouteInputError) as info:
        read_orders(path, SESSION)
    assert str(info.value) == f"{path}: has no header {EXPECTED}"


def test_columns_match_by_name_in_any_order_and_case() -> None:
    text = " Limit_Price ,SIDE,quantity, symbol ,Client_Order_ID\n101.5,sell,7,IBM,x1\n"
    (row,) = parse_orders(text, SESSION)
    assert row.rejection is None
    assert row.order == make_order(coid="x1", symbol="IBM", side=Side.SELL, quantity=7, limit_price=101.5)


@pytest.mark.parametrize(
    ("row", "fields"),
    [("a,AAPL,BUY,1", 4), ("a,AAPL,BUY,1,1,extra", 6), ("a", 1)],
)
def test_ragged_row_says_how_many_fields(row: str, fields: int) -> None:
    rows = parse_orders(HEADER + row + "\nok,AAPL,BUY,1,1\n", SESSION)
    assert rows[0].client_order_id == "a"
    assert rows[0].rejection == Rejection.of(
        ReasonCode.INVALID_ORDER, line=2, field="row", fields=fields, expected=5
    )
    assert describe(rows[0].rejection) == f"row has {fields} fields, expected 5"
    assert rows[1].order is not None


def test_ragged_row_takes_its_id_from_the_named_column() -> None:
    (row,) = parse_orders("symbol,client_order_id,side,quantity,limit_price\nAAPL,b7\n", SESSION)
    assert row.client_order_id == "b7"
    (row,) = parse_orders("symbol,side,quantity,limit_price,client_order_id\nAAPL,BUY\n", SESSION)
    assert row.client_order_id == ""


@pytest.mark.parametrize(
    ("row", "detail"),
    [
        ("a,AAPL,hold,10,1", "side='hold' expected BUY or SELL"),
        ("a,AAPL,BUY,abc,1", "quantity='abc' expected integer > 0"),
        ("a,AAPL,BUY,1,", "limit_price='' expected finite number > 0"),
        ("a,AAPL,BUY,1,nan", "limit_price='nan' expected finite number > 0"),
        (",AAPL,BUY,1,1", "client_order_id='' expected non-empty text"),
    ],
)
def test_detail_names_the_field_and_the_value(row: str, detail: str) -> None:
    (parsed,) = parse_orders(HEADER + row + "\n", SESSION)
    assert describe(parsed.rejection) == detail


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
    path.write_text(
        HEADER + "a,AAPL,BUY,10,100\nb,AAPL,BUY,zero,100\na,AAPL,BUY,10,100\nc,TSLA,BUY,1,1\n"
        "d,MSFT,SELL,5,100\ne,IBM,BUY,3000,100\nf,IBM,BUY\n"
    )
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
            "client_order_id,status,reason,detail\n"
            "a,accepted,,\n"
            "b,rejected,INVALID_ORDER,quantity='zero' expected integer > 0\n"
            "a,rejected,DUPLICATE_ORDER,client_order_id='a'\n"
            "c,rejected,INVALID_ORDER,symbol='TSLA' expected known symbol\n"
            "d,rejected,SHORT_SALE,position_qty=0 open_sell_qty=0 quantity=5\n"
            "e,rejected,MAX_ORDER_NOTIONAL,max_order_notional_usd=250000 notional=300000\n"
            'f,rejected,INVALID_ORDER,"row has 3 fields, expected 5"\n'
        )
    )


def test_result_columns() -> None:
    assert RESULT_COLUMNS == ("client_order_id", "status", "reason", "detail")
