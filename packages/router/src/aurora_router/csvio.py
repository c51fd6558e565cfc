"""ORDERS.csv in, results CSV out (``aurora route``).

Input columns ``client_order_id,symbol,side,quantity,limit_price``. A file
that cannot be read or lacks that header is a ``RouteInputError`` (exit 2);
a malformed row becomes an INVALID_ORDER rejection naming its line and
field, and the other rows are still routed. Output is
``client_order_id,status,reason`` in input order, ``\\n`` line endings, so
the same input gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from aurora_broker import Side, SubmitOrder
from aurora_router.errors import RouteInputError
from aurora_router.results import RouteResult
from aurora_safety import ReasonCode, Rejection

__all__ = ["INPUT_COLUMNS", "RESULT_COLUMNS", "ParsedRow", "parse_orders", "read_orders", "write_results"]

INPUT_COLUMNS = ("client_order_id", "symbol", "side", "quantity", "limit_price")
RESULT_COLUMNS = ("client_order_id", "status", "reason")


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """One data row: an order to route, or the rejection that replaces it."""

    line: int
    client_order_id: str
    order: SubmitOrder | None
    rejection: Rejection | None


def _bad(line: int, field: str, value: str, expected: str) -> Rejection:
    return Rejection.of(ReasonCode.INVALID_ORDER, line=line, field=field, value=value, expected=expected)


def _parse_row(line: int, row: dict[str, str], session: date, strategy: str | None) -> ParsedRow:
    coid = row["client_order_id"].strip()
    if not coid:
        return ParsedRow(line, coid, None, _bad(line, "client_order_id", coid, "non-empty text"))
    symbol = row["symbol"].strip()
    if not symbol:
        return ParsedRow(line, coid, None, _bad(line, "symbol", symbol, "non-empty text"))
    side = row["side"].strip().upper()
    if side not in Side.__members__:
        return ParsedRow(line, coid, None, _bad(line, "side", row["side"], "BUY or SELL"))
    raw_qty = row["quantity"].strip()
    if not (raw_qty.isascii() and raw_qty.isdigit()) or int(raw_qty) <= 0:
        return ParsedRow(line, coid, None, _bad(line, "quantity", raw_qty, "integer > 0"))
    raw_price = row["limit_price"].strip()
    try:
        price = float(raw_price)
    except ValueError:
        price = math.nan
    if not (math.isfinite(price) and price > 0):
        return ParsedRow(line, coid, None, _bad(line, "limit_price", raw_price, "finite number > 0"))
    order = SubmitOrder(
        client_order_id=coid,
        symbol=symbol,
        side=Side(side),
        quantity=int(raw_qty),
        limit_price=price,
        session=session,
        strategy=strategy,
    )
    return ParsedRow(line, coid, order, None)


def parse_orders(
    text: str, session: date, *, source: str = "<orders>", strategy: str | None = None
) -> list[ParsedRow]:
    """Parse CSV text; ``session`` is the session the orders are placed in."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != INPUT_COLUMNS:
        found = "nothing" if header is None else ",".join(header)
        raise RouteInputError(source, f"header must be {','.join(INPUT_COLUMNS)}, was {found!r}")
    rows: list[ParsedRow] = []
    for fields in reader:
        line = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue  # blank line
        if len(fields) != len(INPUT_COLUMNS):
            coid = fields[0].strip() if fields else ""
            rows.append(
                ParsedRow(
                    line, coid, None, _bad(line, "row", ",".join(fields), f"{len(INPUT_COLUMNS)} fields")
                )
            )
            continue
        rows.append(_parse_row(line, dict(zip(INPUT_COLUMNS, fields, strict=True)), session, strategy))
    return rows


def read_orders(path: Path | str, session: date, *, strategy: str | None = None) -> list[ParsedRow]:
    """Read and parse ORDERS.csv; an unusable file is one ``RouteInputError`` line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise RouteInputError(path, "is not UTF-8 text") from None
    except OSError as exc:
        raise RouteInputError(path, f"cannot read orders file ({exc.strerror or exc})") from None
    return parse_orders(text, session, source=str(path), strategy=strategy)


def write_results(results: Iterable[RouteResult], out: TextIO) -> None:
    """``client_order_id,status,reason`` rows in the order given."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    for result in results:
        writer.writerow((result.client_order_id, str(result.status), result.reason))
