"""The execution artifacts, derived from the journal (the source of truth).

`orders`, `fills`, `positions` and `equity` are rebuilt from committed
journal rows only, with no wall-clock column, so a killed-and-resumed run
and an uninterrupted one derive byte-identical files.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

import polars as pl
import pyarrow as pa

from aurora_broker import JournalReader
from aurora_e2d.rundir.spec import ArtifactSpec

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
ORDERS_ARTIFACT = ArtifactSpec(
    "orders", ORDERS_SCHEMA, sort_by=("client_order_id",), unique_by=("client_order_id",)
)
FILLS_ARTIFACT = ArtifactSpec(
    "fills", FILLS_SCHEMA, sort_by=("fill_id",), unique_by=("fill_id",), finite=("price",)
)
POSITIONS_ARTIFACT = ArtifactSpec(
    "positions", POSITIONS_SCHEMA, sort_by=("date", "symbol"), unique_by=("date", "symbol")
)
EQUITY_ARTIFACT = ArtifactSpec(
    "equity",
    EQUITY_SCHEMA,
    sort_by=("date",),
    unique_by=("date",),
    finite=("cash_usd", "market_value_usd", "equity", "gross_exposure", "turnover"),
)


DERIVED = ("orders", "fills", "positions", "equity")


def derive_frames(journal: JournalReader, ts_by_day: dict[date, datetime]) -> dict[str, pl.DataFrame]:
    """Every execution artifact from the journal: what a run writes and what `gate l0` re-derives."""
    return {
        "orders": orders_frame(journal),
        "fills": fills_frame(journal, ts_by_day),
        "positions": positions_frame(journal, ts_by_day),
        "equity": equity_frame(journal, ts_by_day),
    }


def orders_frame(journal: JournalReader) -> pl.DataFrame:
    """One row per order the router answered (first answer per id), with its final state."""
    final = {order.client_order_id: (str(order.status), order.filled_quantity) for order in journal.orders()}
    rows, seen = [], set()
    for result in journal.route_results():
        coid = result.client_order_id
        if result.action != "submit" or coid in seen or result.session is None:
            continue
        seen.add(coid)
        status, filled = final.get(coid, ("REJECTED", 0))
        rows.append(
            {
                "client_order_id": coid,
                "strategy": result.strategy,
                "date": result.session,
                "symbol": result.symbol,
                "side": result.side,
                "quantity": result.quantity,
                "limit_price": result.limit_price,
                "route_status": result.status,
                "reason": result.reason,
                "status": status,
                "filled_quantity": filled,
            }
        )
    return _frame(rows, ORDERS_SCHEMA)


def fills_frame(journal: JournalReader, ts_by_day: dict[date, datetime]) -> pl.DataFrame:
    rows = [
        {
            "fill_id": fill.fill_id,
            "client_order_id": fill.client_order_id,
            "date": fill.session,
            "ts": ts_by_day[fill.session],
            "symbol": fill.symbol,
            "side": str(fill.side),
            "quantity": fill.quantity,
            "price": fill.price,
            "gross_cents": fill.gross_cents,
            "commission_cents": fill.commission_cents,
        }
        for fill in journal.fills()
    ]
    return _frame(rows, FILLS_SCHEMA)


def positions_frame(journal: JournalReader, ts_by_day: dict[date, datetime]) -> pl.DataFrame:
    rows = [
        {
            "date": p.session,
            "ts": ts_by_day[p.session],
            "symbol": p.symbol,
            "quantity": p.quantity,
            "mark_price": p.mark_price,
        }
        for p in journal.position_snapshots()
    ]
    return _frame(rows, POSITIONS_SCHEMA)


def equity_frame(journal: JournalReader, ts_by_day: dict[date, datetime]) -> pl.DataFrame:
    traded: dict[date, int] = defaultdict(int)
    for fill in journal.fills():
        traded[fill.session] += abs(fill.gross_cents)
    gross: dict[date, float] = defaultdict(float)
    for p in journal.position_snapshots():
        if p.mark_price is not None:
            gross[p.session] += abs(p.quantity * p.mark_price)
    rows, previous = [], None
    for snapshot in journal.equity_snapshots():
        session = snapshot.session
        equity_usd = snapshot.equity_cents / 100.0
        rows.append(
            {
                "date": session,
                "ts": ts_by_day[session],
                "cash_usd": snapshot.cash_cents / 100.0,
                "market_value_usd": snapshot.market_value_cents / 100.0,
                "equity": equity_usd,
                "daily_return": None if previous is None else equity_usd / previous - 1.0,
                "gross_exposure": gross.get(session, 0.0) / equity_usd,
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
