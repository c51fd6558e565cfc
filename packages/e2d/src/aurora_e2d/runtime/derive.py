"""The execution artifacts, derived from the journal (the source of truth).

`orders`, `fills`, `positions` and `equity` are rebuilt from committed
journal rows only, with no wall-clock column, so a killed-and-resumed run
and an uninterrupted one derive byte-identical files.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pyarrow as pa

from aurora_broker import Journal

_TS = pa.timestamp("us", tz="UTC")

ORDERS_SCHEMA = pa.schema(
    [
        pa.field("client_order_id", pa.string(), nullable=False),
        pa.field("strategy", pa.string()),
        pa.field("date", pa.date32(), nullable=False),  # session the order was created at
        pa.field("symbol", pa.string()),
        pa.field("side", pa.string()),
        pa.field("quantity", pa.int64()),
        pa.field("limit_price", pa.float64()),
        pa.field("route_status", pa.string(), nullable=False),  # accepted | rejected
        pa.field("reason", pa.string()),  # reason code when rejected
        pa.field("status", pa.string(), nullable=False),  # final: FILLED, EXPIRED, CANCELLED, REJECTED, ...
        pa.field("filled_quantity", pa.int64(), nullable=False),
    ]
)
FILLS_SCHEMA = pa.schema(
    [
        pa.field("fill_id", pa.string(), nullable=False),
        pa.field("client_order_id", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("ts", _TS, nullable=False),  # session close of the fill session
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("side", pa.string(), nullable=False),
        pa.field("quantity", pa.int64(), nullable=False),
        pa.field("price", pa.float64(), nullable=False),  # raw open +/- slippage
        pa.field("gross_cents", pa.int64(), nullable=False),
        pa.field("commission_cents", pa.int64(), nullable=False),
    ]
)
POSITIONS_SCHEMA = pa.schema(
    [
        pa.field("date", pa.date32(), nullable=False),
        pa.field("ts", _TS, nullable=False),
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("quantity", pa.int64(), nullable=False),
        pa.field("mark_price", pa.float64()),  # raw close
    ]
)
EQUITY_SCHEMA = pa.schema(
    [
        pa.field("date", pa.date32(), nullable=False),
        pa.field("ts", _TS, nullable=False),
        pa.field("cash_usd", pa.float64(), nullable=False),
        pa.field("market_value_usd", pa.float64(), nullable=False),
        pa.field("equity", pa.float64(), nullable=False),  # USD, cash + positions at raw close
        pa.field("daily_return", pa.float64()),  # null on the first session
        pa.field("gross_exposure", pa.float64(), nullable=False),  # sum |position x close| / equity
        pa.field("turnover", pa.float64(), nullable=False),  # traded notional / (2 x previous equity)
    ]
)


def _day(text: str) -> date:
    return date.fromisoformat(text)


def orders_frame(journal: Journal) -> pl.DataFrame:
    """One row per order the router answered (first answer per id), with its final state."""
    final = {
        coid: (status, filled)
        for coid, status, filled in journal.query(
            "SELECT client_order_id, status, filled_quantity FROM orders"
        )
    }
    rows, seen = [], set()
    for result in journal.route_results():
        coid = result["client_order_id"]
        if result["action"] != "submit" or coid in seen or result["session"] is None:
            continue
        seen.add(coid)
        status, filled = final.get(coid, ("REJECTED", 0))
        rows.append(
            {
                "client_order_id": coid,
                "strategy": result["strategy"],
                "date": _day(result["session"]),
                "symbol": result["symbol"],
                "side": result["side"],
                "quantity": result["quantity"],
                "limit_price": result["limit_price"],
                "route_status": result["status"],
                "reason": result["reason"],
                "status": status,
                "filled_quantity": filled,
            }
        )
    return _frame(rows, ORDERS_SCHEMA)


def fills_frame(journal: Journal, ts_by_day: dict[date, datetime]) -> pl.DataFrame:
    rows = [
        {
            "fill_id": fill_id,
            "client_order_id": coid,
            "date": _day(session),
            "ts": ts_by_day[_day(session)],
            "symbol": symbol,
            "side": side,
            "quantity": quantity,
            "price": price,
            "gross_cents": gross,
            "commission_cents": commission,
        }
        for fill_id, coid, session, symbol, side, quantity, price, gross, commission in journal.query(
            "SELECT fill_id, client_order_id, session, symbol, side, quantity, price, gross_cents,"
            " commission_cents FROM fills ORDER BY seq"
        )
    ]
    return _frame(rows, FILLS_SCHEMA)


def positions_frame(journal: Journal, ts_by_day: dict[date, datetime]) -> pl.DataFrame:
    rows = [
        {"date": _day(s), "ts": ts_by_day[_day(s)], "symbol": sym, "quantity": q, "mark_price": m}
        for s, sym, q, m in journal.query(
            "SELECT session, symbol, quantity, mark_price FROM position_snapshots ORDER BY session, symbol"
        )
    ]
    return _frame(rows, POSITIONS_SCHEMA)


def equity_frame(journal: Journal, ts_by_day: dict[date, datetime]) -> pl.DataFrame:
    traded = dict(journal.query("SELECT session, SUM(ABS(gross_cents)) FROM fills GROUP BY session"))
    gross = dict(
        journal.query(
            "SELECT session, SUM(ABS(quantity * mark_price)) FROM position_snapshots GROUP BY session"
        )
    )
    rows, previous = [], None
    for session, cash, market, equity in journal.query(
        "SELECT session, cash_cents, market_value_cents, equity_cents FROM equity_snapshots ORDER BY session"
    ):
        equity_usd = equity / 100.0
        rows.append(
            {
                "date": _day(session),
                "ts": ts_by_day[_day(session)],
                "cash_usd": cash / 100.0,
                "market_value_usd": market / 100.0,
                "equity": equity_usd,
                "daily_return": None if previous is None else equity_usd / previous - 1.0,
                "gross_exposure": (gross.get(session) or 0.0) / equity_usd,
                "turnover": 0.0 if previous is None else (traded.get(session, 0) / 100.0) / (2.0 * previous),
            }
        )
        previous = equity_usd
    return _frame(rows, EQUITY_SCHEMA)


def _frame(rows: list[dict], schema: pa.Schema) -> pl.DataFrame:
    table = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame
