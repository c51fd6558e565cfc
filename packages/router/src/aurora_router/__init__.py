"""Aurora order router: pre-trade checks, throttles and dedup in front of a broker.

The names below are the public API; modules starting with ``_`` are private.
"""

from aurora_router._killwatch import KillWatch
from aurora_router.csvio import (
    INPUT_COLUMNS,
    RESULT_COLUMNS,
    ParsedRow,
    parse_orders,
    read_orders,
    write_results,
)
from aurora_router.errors import RouteInputError
from aurora_router.ids import client_order_id
from aurora_router.reference import ReferenceBook
from aurora_router.results import JournalSink, ListSink, ResultSink, RouteAction, RouteResult, RouteStatus
from aurora_router.router import Router
from aurora_router.summary import RouteSummary, TripRecord

__all__ = [
    "INPUT_COLUMNS",
    "RESULT_COLUMNS",
    "JournalSink",
    "KillWatch",
    "ListSink",
    "ParsedRow",
    "ReferenceBook",
    "ResultSink",
    "RouteAction",
    "RouteInputError",
    "RouteResult",
    "RouteStatus",
    "RouteSummary",
    "Router",
    "TripRecord",
    "client_order_id",
    "parse_orders",
    "read_orders",
    "write_results",
]
