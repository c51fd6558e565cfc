"""The trading stack of one journal, assembled in one place.

journal -> broker (``[broker] kind``, from aurora_broker's registry) ->
governor (trading state + breakers, restored from the journal) -> kill
switch -> reference book -> router. `aurora run`,
`resume`, `advance`, `route` and the operator commands all build it here, so
the wiring (which clock, which sink, what is restored) cannot drift between
them. `aurora status` reads the same restored governor through
``restore_governor`` on a read-only journal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from aurora_broker import Broker, BrokerConfig, Journal, JournalReader, open_broker
from aurora_e2d.rundir.config import RunConfig
from aurora_router import JournalSink, ReferenceBook, ResultSink, Router
from aurora_safety import Clock, KillSwitch, Limits, SystemClock, TradingGovernor

__all__ = ["TradingStack", "broker_config", "open_stack", "restore_governor"]


def broker_config(config: RunConfig) -> BrokerConfig:
    """The broker's costs and starting cash, as the run's config says."""
    execution = config.execution
    return BrokerConfig(
        commission_per_share_usd=execution.commission_per_share_usd,
        min_commission_usd=execution.min_commission_usd,
        slippage_bps=execution.slippage_bps,
        starting_cash_usd=execution.starting_cash_usd,
    )


def restore_governor(reader: JournalReader, limits: Limits) -> TradingGovernor:
    """The governor as the journal left it: saved breaker board and last trading state."""
    return TradingGovernor.restore(reader.breaker_state(), reader.trading_state(), limits)


@dataclass
class TradingStack:
    """Everything that trades for one journal; ``close`` releases the journal and the kill watch."""

    config: RunConfig
    clock: Clock
    journal: Journal
    broker: Broker
    governor: TradingGovernor
    kill_switch: KillSwitch
    book: ReferenceBook
    router: Router
    sink: ResultSink

    def close(self) -> None:
        self.router.kill_watch.close()
        self.journal.close()

    def __enter__(self) -> TradingStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_stack(
    journal_dir: Path,
    config: RunConfig,
    clock: Clock,
    *,
    symbols: Iterable[str] = (),
    kill_run_dir: Path | None = None,
    observe: Callable[[JournalSink], ResultSink] | None = None,
    watch_kill_files: bool = True,
    create: bool = True,
) -> TradingStack:
    """Open the journal in ``journal_dir`` and build the stack around it.

    ``kill_run_dir`` is the run directory whose ``kill.flag`` counts (a
    scratch copy used by ``aurora route`` still obeys the real run's kill
    file). Every router answer, state change and trip goes into the journal;
    ``observe`` may wrap that sink (the run adds the trace and the alert log).
    """
    # The journal stamps commits with wall time (operational only); ``clock`` is the event time
    # the broker and router decide on (a replay's session close, or the wall clock for `route`).
    journal = Journal.open(journal_dir, config.config_hash(), clock=SystemClock(), create=create)
    try:
        broker = open_broker(config.broker.kind, journal, broker_config(config), config.limits, clock)
        governor = restore_governor(journal.read, config.limits)
        journal_sink = JournalSink(journal)
        chosen: ResultSink = journal_sink if observe is None else observe(journal_sink)
        kill_switch = KillSwitch(run_dir=kill_run_dir)
        book = ReferenceBook(symbols)
        router = Router(
            broker,
            config.limits,
            kill_switch,
            governor,
            clock,
            book,
            sink=chosen,  # the router subscribes it to the governor: one listener path
            watch_kill_files=watch_kill_files,
            allow_short=config.execution.allow_short,
        )
        router.seed(journal.read.routed_client_order_ids())
    except BaseException:
        journal.close()
        raise
    return TradingStack(config, clock, journal, broker, governor, kill_switch, book, router, chosen)
