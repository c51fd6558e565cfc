"""ORDERS.csv in, results CSV out (``aurora route``).

Input columns ``client_order_id,symbol,side,quantity,limit_price`` are found
by header name, in any order, case-insensitively, surrounding spaces
ignored. A file that cannot be read, or whose header lacks a column, repeats
one or has one we do not know, is a ``RouteInputError`` naming the file and
the columns (exit 2): an unknown column is refused rather than ignored, as it
may hold something the writer meant us to honour. A malformed row becomes an
INVALID_ORDER rejection naming its line, field and value, and the other rows
are still routed (a quantity beyond int64 too). Output is
``client_order_id,status,reason,detail`` in input order, ``\\n`` line
endings, so the same input gives the same bytes; a cell that starts with
``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'`` so that a
spreadsheet shows it as text (OWASP CSV injection).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from aurora_broker import Side, SubmitOrder
from aurora_router.errors import RouteInputError
from aurora_router.results import RouteResult
from aurora_safety import ReasonCode, Rejection

__all__ = [
    "FORMULA_PREFIXES",
    "INPUT_COLUMNS",
    "MAX_QUANTITY",
    "RESULT_COLUMNS",
    "ParsedRow",
    "parse_orders",
    "read_orders",
    "spreadsheet_safe",
    "write_results",
]

INPUT_COLUMNS = ("client_order_id", "symbol", "side", "quantity", "limit_price")
MAX_QUANTITY = 2**63 - 1  # SQLite INTEGER (int64): a larger quantity is a rejected row, not a traceback
# OWASP CSV injection: a cell starting with one of these is a formula to a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
RESULT_COLUMNS = ("client_order_id", "status", "reason", "detail")


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """One data row: an order to route, or the rejection that replaces it."""

    line: int
    client_order_id: str
    order: SubmitOrder | None
    rejection: Rejection | None


def _bad(line: int, field: str, value: str, expected: str) -> Rejection:
    return Rejection.of(ReasonCode.INVALID_ORDER, line=line, field=field, value=value, expected=expected)


def _names(names: Iterable[str]) -> str:
    listed = list(names)
    return f"{'s' if len(listed) > 1 else ''} {', '.join(repr(n) for n in listed)}"


def _columns(header: Sequence[str] | None, source: str) -> dict[str, int]:
    """Input column name -> its index in a row; every problem of the header in one error line."""
    expected = f"(expected {','.join(INPUT_COLUMNS)}, in any order)"
    if header is None:
        raise RouteInputError(source, f"has no header {expected}")
    index: dict[str, int] = {}
    duplicates: list[str] = []
    unknown: list[str] = []
    for position, raw in enumerate(header):
        name = raw.strip().lower()
        if name in index and name not in duplicates:
            duplicates.append(name)
        elif name not in INPUT_COLUMNS:
            unknown.append(raw.strip())
        index.setdefault(name, position)
    missing = [name for name in INPUT_COLUMNS if name not in index]
    problems = []
    if missing:
        problems.append(f"missing column{_names(missing)}")
    if unknown:
        problems.append(f"unknown column{_names(unknown)}")
    if duplicates:
        problems.append(f"duplicate column{_names(duplicates)}")
    if problems:
        raise RouteInputError(source, f"{'; '.join(problems)} {expected}")
    return {name: index[name] for name in INPUT_COLUMNS}


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
    if int(raw_qty) > MAX_QUANTITY:
        return ParsedRow(
            line, coid, None, _bad(line, "quantity", raw_qty, f"integer <= {MAX_QUANTITY} (int64)")
        )
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
    columns = _columns(next(reader, None), source)
    width = len(INPUT_COLUMNS)
    rows: list[ParsedRow] = []
    for fields in reader:
        line = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue  # blank line
        if len(fields) != width:
            at = columns["client_order_id"]
            coid = fields[at].strip() if at < len(fields) else ""
            ragged = Rejection.of(
                ReasonCode.INVALID_ORDER, line=line, field="row", fields=len(fields), expected=width
            )
            rows.append(ParsedRow(line, coid, None, ragged))
            continue
        values = {name: fields[at] for name, at in columns.items()}
        rows.append(_parse_row(line, values, session, strategy))
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


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading ``'`` (OWASP)."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def write_results(results: Iterable[RouteResult], out: TextIO) -> None:
    """``client_order_id,status,reason,detail`` rows in the order given, formula-like cells escaped."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    for result in results:
        cells = (result.client_order_id, str(result.status), result.reason, result.detail)
        writer.writerow(tuple(spreadsheet_safe(c) if isinstance(c, str) else c for c in cells))
