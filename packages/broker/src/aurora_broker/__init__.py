"""Aurora paper broker: orders, fills, positions and cash in a durable SQLite journal.

The names below are the public API; modules starting with ``_`` are private.
Money is integer cents (see ``money``); prices are the data's raw floats.
``contract`` (the checks every broker passes) and ``testing`` (test builders)
are public modules, not re-exported here.
"""

from aurora_broker._schema import SCHEMA_VERSION as JOURNAL_FORMAT_VERSION
from aurora_broker._schema import TABLES as JOURNAL_TABLES
from aurora_broker.backup import backup_journal, integrity_check_journal
from aurora_broker.chain import ChainCheck
from aurora_broker.config import BrokerConfig, load_broker_config
from aurora_broker.corpactions import (
    CashDividend,
    CorporateAction,
    Delisting,
    Split,
    split_order,
    split_position,
)
from aurora_broker.errors import ConfigMismatchError, JournalError, SessionOrderError
from aurora_broker.events import (
    BrokerEvent,
    DividendCredited,
    ExpiryReason,
    OrderAccepted,
    OrderAdjusted,
    OrderCancelled,
    OrderDenied,
    OrderExpired,
    OrderFilled,
    PositionDelisted,
    SplitApplied,
)
from aurora_broker.exposure import SymbolExposure
from aurora_broker.fillmodel import PRICE_TICK, FillModel, FillPlan
from aurora_broker.interface import Broker, SessionReport
from aurora_broker.journal import JOURNAL_NAME, Checkpoint, Journal
from aurora_broker.messages import (
    Account,
    Bar,
    Fill,
    MassStatus,
    Order,
    OrderStatus,
    Position,
    SessionBars,
    Side,
    SubmitOrder,
    session_closes,
)
from aurora_broker.migrate import Migration, migrate_journal
from aurora_broker.money import cents_to_usd, dec, to_cents, usd_to_cents
from aurora_broker.nextopen import NextOpenBroker, OpenPriceFill
from aurora_broker.paper import PaperBroker
from aurora_broker.reader import (
    BreakerRecord,
    EquitySnapshot,
    JournalReader,
    LedgerEntry,
    PositionSnapshot,
    RouteRecord,
    RunEvent,
    StateRecord,
)
from aurora_broker.registry import (
    DEFAULT_BROKER_KIND,
    BrokerFactory,
    broker_kinds,
    open_broker,
    register_broker,
)

__all__ = [
    "DEFAULT_BROKER_KIND",
    "JOURNAL_FORMAT_VERSION",
    "JOURNAL_NAME",
    "JOURNAL_TABLES",
    "PRICE_TICK",
    "Account",
    "Bar",
    "BreakerRecord",
    "Broker",
    "BrokerConfig",
    "BrokerEvent",
    "BrokerFactory",
    "CashDividend",
    "ChainCheck",
    "Checkpoint",
    "ConfigMismatchError",
    "CorporateAction",
    "Delisting",
    "DividendCredited",
    "EquitySnapshot",
    "ExpiryReason",
    "Fill",
    "FillModel",
    "FillPlan",
    "Journal",
    "JournalError",
    "JournalReader",
    "LedgerEntry",
    "MassStatus",
    "Migration",
    "NextOpenBroker",
    "OpenPriceFill",
    "Order",
    "OrderAccepted",
    "OrderAdjusted",
    "OrderCancelled",
    "OrderDenied",
    "OrderExpired",
    "OrderFilled",
    "OrderStatus",
    "PaperBroker",
    "Position",
    "PositionDelisted",
    "PositionSnapshot",
    "RouteRecord",
    "RunEvent",
    "SessionBars",
    "SessionOrderError",
    "SessionReport",
    "Side",
    "Split",
    "SplitApplied",
    "StateRecord",
    "SubmitOrder",
    "SymbolExposure",
    "backup_journal",
    "broker_kinds",
    "cents_to_usd",
    "dec",
    "integrity_check_journal",
    "load_broker_config",
    "migrate_journal",
    "open_broker",
    "register_broker",
    "session_closes",
    "split_order",
    "split_position",
    "to_cents",
    "usd_to_cents",
]
