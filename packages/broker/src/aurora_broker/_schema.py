"""The journal's SQL schema; bump SCHEMA_VERSION on any change and add its step to ``migrate.py``."""

from __future__ import annotations

# 2: trading_state_events.cause, run_events, DELISTING ledger lines
# 3: checkpoints.chain_sha256 and marks_json (the checkpoint hash chain, see chain.py)
SCHEMA_VERSION = 3
APPLICATION_ID = 0x41555241  # "AURA": PRAGMA application_id marks the file as an Aurora journal

DDL = """
CREATE TABLE meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    schema_version INTEGER NOT NULL,
    config_hash TEXT NOT NULL,
    created_at_ns INTEGER NOT NULL
);
CREATE TABLE account (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    starting_cash_cents INTEGER NOT NULL,
    cash_cents INTEGER NOT NULL,
    last_session TEXT
);
CREATE TABLE cash_ledger (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    session TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('FILL', 'COMMISSION', 'DIVIDEND', 'CASH_IN_LIEU', 'DELISTING')),
    ref TEXT NOT NULL,
    amount_cents INTEGER NOT NULL
);
CREATE TABLE orders (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    client_order_id TEXT NOT NULL UNIQUE,
    strategy TEXT,
    session TEXT NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    limit_price REAL NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('NEW', 'ACCEPTED', 'FILLED', 'PARTIALLY_FILLED',
                                           'EXPIRED', 'CANCELLED', 'REJECTED')),
    filled_quantity INTEGER NOT NULL DEFAULT 0 CHECK (filled_quantity >= 0),
    rejection_json TEXT
);
CREATE TABLE order_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    client_order_id TEXT NOT NULL REFERENCES orders (client_order_id),
    session TEXT,
    ts_ns INTEGER NOT NULL,
    event TEXT NOT NULL,
    data_json TEXT NOT NULL
);
CREATE TABLE fills (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    fill_id TEXT NOT NULL UNIQUE,
    client_order_id TEXT NOT NULL REFERENCES orders (client_order_id),
    session TEXT NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    price REAL NOT NULL,
    gross_cents INTEGER NOT NULL,
    commission_cents INTEGER NOT NULL CHECK (commission_cents >= 0)
);
CREATE TABLE positions (
    symbol TEXT PRIMARY KEY,
    quantity INTEGER NOT NULL,
    mark_price REAL,
    mark_session TEXT
);
CREATE TABLE position_snapshots (
    session TEXT NOT NULL,
    symbol TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    mark_price REAL,
    PRIMARY KEY (session, symbol)
);
CREATE TABLE equity_snapshots (
    session TEXT PRIMARY KEY,
    cash_cents INTEGER NOT NULL,
    market_value_cents INTEGER NOT NULL,
    equity_cents INTEGER NOT NULL CHECK (equity_cents = cash_cents + market_value_cents)
);
CREATE TABLE corporate_action_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    session TEXT NOT NULL,
    symbol TEXT NOT NULL,
    data_json TEXT NOT NULL
);
CREATE TABLE trading_state_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ns INTEGER NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    reason TEXT NOT NULL,
    cause TEXT
);
CREATE TABLE breaker_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ns INTEGER NOT NULL,
    breaker TEXT NOT NULL,
    event TEXT NOT NULL,
    data_json TEXT NOT NULL
);
CREATE TABLE breaker_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    board_json TEXT NOT NULL
);
CREATE TABLE decisions (
    strategy TEXT NOT NULL,
    session TEXT NOT NULL,
    symbol TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    PRIMARY KEY (strategy, session, symbol)
);
CREATE TABLE route_results (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    client_order_id TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('submit', 'cancel')),
    strategy TEXT,
    session TEXT,
    symbol TEXT,
    side TEXT,
    quantity INTEGER,
    limit_price REAL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
    reason TEXT,
    values_json TEXT
);
CREATE INDEX route_results_by_id ON route_results (client_order_id);
CREATE TABLE run_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ns INTEGER NOT NULL,
    kind TEXT NOT NULL,
    data_json TEXT NOT NULL
);
CREATE TABLE checkpoints (
    session TEXT PRIMARY KEY,
    committed_at_ns INTEGER NOT NULL,
    data_json TEXT NOT NULL,
    chain_sha256 TEXT NOT NULL DEFAULT '',
    marks_json TEXT NOT NULL DEFAULT '{}'
);
"""

TABLES = (
    "meta",
    "account",
    "cash_ledger",
    "orders",
    "order_events",
    "fills",
    "positions",
    "position_snapshots",
    "equity_snapshots",
    "corporate_action_events",
    "trading_state_events",
    "breaker_events",
    "breaker_state",
    "decisions",
    "route_results",
    "run_events",
    "checkpoints",
)
