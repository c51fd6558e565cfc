"""The journal file: durability settings, constraints, transactions, refusal of bad files."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from aurora_broker import (
    JOURNAL_NAME,
    Bar,
    BrokerConfig,
    ConfigMismatchError,
    Journal,
    JournalError,
    PaperBroker,
)
from aurora_broker._brokerstore import BrokerStore
from aurora_broker.testing import make_order
from aurora_safety import BreakerBoard, Limits, StateChanged, TestClock, TradingState
from broker_factories import D0, D1, HASH


class TestOpen:
    def test_wal_and_full_sync(self, journal: Journal) -> None:
        assert journal.pragma("journal_mode") == "wal"
        assert journal.pragma("synchronous") == 2  # FULL
        assert journal.pragma("foreign_keys") == 1

    def test_run_dir_or_file_path(self, tmp_path: Path) -> None:
        Journal.open(tmp_path, HASH).close()
        assert (tmp_path / JOURNAL_NAME).is_file()
        with Journal.open(tmp_path / JOURNAL_NAME, HASH, create=False) as j:
            assert j.config_hash == HASH

    def test_fresh_connection_sees_wal_mode(self, journal: Journal) -> None:
        conn = sqlite3.connect(journal.path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.close()

    def test_config_hash_mismatch_is_one_clear_line(self, tmp_path: Path) -> None:
        Journal.open(tmp_path, "aaa").close()
        with pytest.raises(ConfigMismatchError) as info:
            Journal.open(tmp_path, "bbb")
        assert str(info.value) == (
            f"{tmp_path / JOURNAL_NAME}: journal was written with config hash 'aaa', this config "
            "hashes to 'bbb'; use the run's original config or a new run directory"
        )
        assert "\n" not in str(info.value)
        assert isinstance(info.value, JournalError)
        assert isinstance(info.value, ValueError)

    def test_garbage_file_is_refused_and_left_untouched(self, tmp_path: Path) -> None:
        path = tmp_path / JOURNAL_NAME
        path.write_bytes(b"this is not a database at all" * 100)
        before = path.read_bytes()
        with pytest.raises(
            JournalError, match=r"journal\.sqlite: not an SQLite database \(corrupt or foreign file\)$"
        ):
            Journal.open(tmp_path, HASH)
        assert path.read_bytes() == before
        assert not (tmp_path / (JOURNAL_NAME + "-wal")).exists()

    def test_sqlite_header_with_garbage_body(self, tmp_path: Path) -> None:
        path = tmp_path / JOURNAL_NAME
        path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
        before = path.read_bytes()
        with pytest.raises(JournalError, match=r"^.*journal\.sqlite: not a usable Aurora journal"):
            Journal.open(tmp_path, HASH)
        assert path.read_bytes() == before

    def test_corrupted_page_is_detected(self, tmp_path: Path, clock: TestClock) -> None:
        with Journal.open(tmp_path, HASH, clock=clock) as j:
            broker = PaperBroker(j, BrokerConfig(), Limits(), clock)
            for i in range(200):
                broker.submit(make_order(coid=f"o{i}", quantity=1))
        path = tmp_path / JOURNAL_NAME
        data = bytearray(path.read_bytes())
        page = 4096
        for start in range(page, len(data), page):  # smash every b-tree page header after the first
            data[start : start + 12] = b"\xa5" * 12
        path.write_bytes(bytes(data))
        with pytest.raises(JournalError) as info:
            Journal.open(tmp_path, HASH, create=False)
        assert str(info.value).startswith(str(path) + ": ")
        assert "\n" not in str(info.value)

    def test_foreign_sqlite_database(self, tmp_path: Path) -> None:
        conn = sqlite3.connect(tmp_path / JOURNAL_NAME)
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
        conn.close()
        with pytest.raises(JournalError, match=r"not an Aurora journal \(foreign SQLite database\)$"):
            Journal.open(tmp_path, HASH)

    def test_missing_journal_without_create(self, tmp_path: Path) -> None:
        with pytest.raises(JournalError, match=r"no journal here \(not a run directory\?\)$"):
            Journal.open(tmp_path / JOURNAL_NAME, HASH, create=False)
        assert not (tmp_path / JOURNAL_NAME).exists()

    def test_missing_directory(self, tmp_path: Path) -> None:
        with pytest.raises(JournalError, match=r"directory does not exist$"):
            Journal.open(tmp_path / "nope" / JOURNAL_NAME, HASH)

    def test_empty_file_without_create(self, tmp_path: Path) -> None:
        (tmp_path / JOURNAL_NAME).write_bytes(b"")
        with pytest.raises(JournalError, match=r"journal is empty"):
            Journal.open(tmp_path / JOURNAL_NAME, HASH, create=False)

    def test_schema_version_mismatch(self, tmp_path: Path) -> None:
        with Journal.open(tmp_path, HASH) as j:
            j.execute("UPDATE meta SET schema_version = 99")
        with pytest.raises(JournalError, match=r"journal format v99 is newer than this Aurora's v3;"):
            Journal.open(tmp_path, HASH)


class TestConstraints:
    def test_client_order_id_unique(self, journal: Journal, broker: PaperBroker) -> None:
        broker.submit(make_order())
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            BrokerStore(journal).insert_order(broker.order_state("o1"))  # type: ignore[arg-type]

    def test_fill_id_unique(self, journal: Journal, broker: PaperBroker) -> None:
        broker.submit(make_order())
        broker.process_session(D1, {"AAPL": Bar(99.0, 101.0, 98.0, 100.0, 1e6)})
        fill = BrokerStore(journal).load_fills()[0]
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            BrokerStore(journal).insert_fill(fill)

    def test_decision_key_unique(self, journal: Journal) -> None:
        journal.record_decision("s", D0, "AAPL", {"w": 0.1})
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            journal.record_decision("s", D0, "AAPL", {"w": 0.2})
        assert journal.read.decisions() == [("s", D0, "AAPL", {"w": 0.1})]

    def test_sizing_clips_are_the_decisions_holding_a_sizing_object(self, journal: Journal) -> None:
        clipped = {"reason": "max_order_notional_usd", "wanted_qty": 120, "ordered_qty": 80}
        journal.record_decision("s", D1, "MSFT", {"w": 0.2, "sizing": clipped})
        journal.record_decision("s", D0, "MSFT", {"w": 0.1})
        journal.record_decision("s", D0, "AAPL", {"w": 0.1, "sizing": {"reason": "max_orders_per_session"}})
        journal.record_decision("s", D1, "IBM", {"w": 0.0, "sizing": None})  # not an object: no clip
        journal.record_decision("t", D0, "IBM", {"sizing": "clipped"})
        expected = [
            (day, symbol, payload["sizing"])
            for _, day, symbol, payload in journal.read.decisions()
            if isinstance(payload.get("sizing"), dict)
        ]
        assert journal.read.sizing_clips() == expected
        assert [symbol for _, symbol, _ in expected] == ["AAPL", "MSFT"]  # decisions() order
        assert expected[1][2] == clipped


class TestTransactions:
    def test_rollback_leaves_nothing_half_written(self, journal: Journal, broker: PaperBroker) -> None:
        broker.submit(make_order(coid="kept"))

        def crashing_session() -> None:
            with journal.session_transaction():
                journal.record_decision("s", D0, "AAPL", {"w": 0.1})
                broker.submit(make_order(coid="lost", symbol="MSFT"))
                broker.process_session(D1, {"AAPL": Bar(99.0, 101.0, 98.0, 100.0, 1e6)})
                journal.write_checkpoint(D1)
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            crashing_session()
        assert journal.read.decisions() == []
        assert journal.read.last_checkpoint() is None
        assert journal.query("SELECT client_order_id, status FROM orders") == [("kept", "ACCEPTED")]
        assert journal.query("SELECT COUNT(*) FROM fills") == [(0,)]
        # memory was reloaded from the journal: the broker agrees with the file
        assert broker.order_state("lost") is None
        assert broker.open_orders()[0].client_order_id == "kept"
        assert broker.last_session is None
        assert broker.cash_cents == 100_000_000
        assert broker.positions() == {}

    def test_commit_is_visible_to_another_connection(self, journal: Journal, broker: PaperBroker) -> None:
        with journal.session_transaction():
            broker.submit(make_order())
            journal.write_checkpoint(D0, {"n": 1})
        other = sqlite3.connect(journal.path)
        assert other.execute("SELECT client_order_id FROM orders").fetchall() == [("o1",)]
        other.close()

    def test_session_transaction_cannot_nest(self, journal: Journal) -> None:
        with (
            journal.session_transaction(),
            pytest.raises(RuntimeError, match="cannot be nested"),
            journal.session_transaction(),
        ):
            pass

    def test_failed_inner_step_undoes_only_itself(self, journal: Journal) -> None:
        with journal.session_transaction():
            journal.record_decision("s", D0, "AAPL", {})
            with pytest.raises(sqlite3.IntegrityError):
                journal.record_decision("s", D0, "AAPL", {})
            journal.record_decision("s", D0, "MSFT", {})
        assert [d[2] for d in journal.read.decisions()] == ["AAPL", "MSFT"]


class TestReopen:
    def test_reopen_after_close_keeps_everything(self, tmp_path: Path, clock: TestClock) -> None:
        limits = Limits()
        board = BreakerBoard.from_limits(limits)
        board.on_equity(100.0, D0, 1)
        trips = board.on_equity(50.0, D1, 2)
        with Journal.open(tmp_path, HASH, clock=clock) as j:
            broker = PaperBroker(j, BrokerConfig(), limits, clock)
            with j.session_transaction():
                j.record_decision("s", D0, "AAPL", {"w": 0.5})
                broker.submit(make_order(strategy="s"))
                j.record_route_result("o1", "accepted", None, None, strategy="s", session=D0, symbol="AAPL")
                j.record_state_change(StateChanged(TradingState.ACTIVE, TradingState.HALTED, "drawdown", 3))
                for trip in trips:
                    j.record_breaker_event(trip)
                j.save_breaker_state(board.to_dict())
                j.write_checkpoint(D0, {"equity_cents": 1})
            with j.session_transaction():
                broker.process_session(D1, {"AAPL": Bar(99.0, 101.0, 98.0, 100.0, 1e6)})
                j.write_checkpoint(D1)
            account = broker.account()
        with Journal.open(tmp_path, HASH, clock=clock, create=False) as j:
            again = PaperBroker(j, BrokerConfig(), limits, clock)
            assert again.account() == account
            assert again.order_state("o1") == broker.order_state("o1")
            assert j.read.decisions() == [("s", D0, "AAPL", {"w": 0.5})]
            assert j.read.routed_client_order_ids() == {"o1"}
            assert [r.event for r in j.read.state_events()] == [
                StateChanged(TradingState.ACTIVE, TradingState.HALTED, "drawdown", 3)
            ]
            assert j.read.trading_state() is TradingState.HALTED
            assert [e.breaker for e in j.read.breaker_events()] == ["drawdown", "daily_loss"]
            restored = BreakerBoard.from_dict(j.read.breaker_state())  # type: ignore[arg-type]
            assert restored.state_required() is TradingState.HALTED
            checkpoint = j.read.last_checkpoint()
            assert checkpoint is not None
            assert checkpoint.session == D1
            assert j.read.equity_snapshots()[0].session == D1

    def test_other_starting_cash_is_refused(self, tmp_path: Path, clock: TestClock) -> None:
        with Journal.open(tmp_path, HASH) as j:
            PaperBroker(j, BrokerConfig(), Limits(), clock)
        with Journal.open(tmp_path, HASH) as j, pytest.raises(JournalError, match="100000000 cents"):
            PaperBroker(j, BrokerConfig(starting_cash_usd=5.0), Limits(), clock)


def test_checkpoint_wall_time_comes_from_the_clock(tmp_path: Path) -> None:
    with Journal.open(tmp_path, HASH, clock=TestClock(42)) as j:
        j.write_checkpoint(date(2012, 1, 3))
        cp = j.read.last_checkpoint()
        assert cp is not None
        assert cp.committed_at_ns == 42
        assert cp.data == {}
