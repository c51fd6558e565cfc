"""The journal is checked before it is believed: SQLite's integrity check on open, the checkpoint
hash chain that names an edited session, and the migration of an older format (real SQLite files)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from aurora_broker import (
    JOURNAL_NAME,
    Bar,
    BrokerConfig,
    ConfigMismatchError,
    Journal,
    JournalError,
    JournalReader,
    PaperBroker,
    migrate_journal,
)
from aurora_broker.testing import flip_index_byte, make_order
from aurora_safety import Limits, TestClock
from broker_factories import HASH

DAYS = [date(2012, 1, 3) + timedelta(days=n) for n in range(6)]


def _trade(run_dir: Path, sessions: list[date] = DAYS) -> None:
    """A small real journal: orders, fills, decisions, snapshots and a checkpoint per session."""
    clock = TestClock(1_000)
    with Journal.open(run_dir, HASH, clock=clock) as journal:
        broker = PaperBroker(journal, BrokerConfig(), Limits(), clock)
        for number, day in enumerate(sessions):
            with journal.session_transaction():
                journal.record_decision("s", day, "AAPL", {"w": 0.1 * number})
                broker.submit(make_order(coid=f"o{number}", session=day, quantity=10 + number))
                broker.process_session(day, {"AAPL": Bar(99.0, 101.0, 98.0, 100.0, 1e6)})
                journal.write_checkpoint(day, {"n": number})


def test_a_flipped_index_byte_is_refused_by_readers_and_writers(tmp_path: Path) -> None:
    _trade(tmp_path)
    path = tmp_path / JOURNAL_NAME
    flip_index_byte(path)
    corrupt = r"journal is corrupt \(SQLite integrity_check: .*index"
    with pytest.raises(JournalError, match=corrupt) as caught, JournalReader.open(tmp_path):
        pass
    assert str(caught.value).startswith(str(path))
    assert "\n" not in str(caught.value)
    with pytest.raises(JournalError, match="journal is corrupt"):
        Journal.open(tmp_path, HASH, create=False)


def test_the_chain_verifies_and_names_an_edited_past_session(tmp_path: Path) -> None:
    _trade(tmp_path)
    with JournalReader.open(tmp_path) as reader:
        check = reader.verify_chain()
        head = reader.chain_head()
    assert check.ok
    assert check.sessions == len(DAYS)
    assert head == (DAYS[-1], check.head)
    conn = sqlite3.connect(tmp_path / JOURNAL_NAME)
    conn.execute("UPDATE fills SET price = price * 2 WHERE session = ?", (DAYS[2].isoformat(),))
    conn.commit()
    conn.close()
    with JournalReader.open(tmp_path) as reader:
        broken = reader.verify_chain()
    assert not broken.ok
    assert broken.broken_session == DAYS[2].isoformat()
    assert f"session {DAYS[2].isoformat()}" in str(broken.problem)


def test_a_deleted_row_and_an_edited_checkpoint_are_named(tmp_path: Path) -> None:
    _trade(tmp_path)
    conn = sqlite3.connect(tmp_path / JOURNAL_NAME)
    conn.execute("DELETE FROM decisions WHERE session = ?", (DAYS[1].isoformat(),))
    conn.execute("UPDATE checkpoints SET data_json = '{\"n\":99}' WHERE session = ?", (DAYS[4].isoformat(),))
    conn.commit()
    conn.close()
    with JournalReader.open(tmp_path) as reader:
        assert reader.verify_chain().broken_session == DAYS[1].isoformat()


def _as_v2(path: Path, config_hash: str = HASH) -> None:
    """Turn a current journal into the v2 layout (no chain columns), as the previous release wrote it."""
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE checkpoints DROP COLUMN chain_sha256")
    conn.execute("ALTER TABLE checkpoints DROP COLUMN marks_json")
    conn.execute("UPDATE meta SET schema_version = 2, config_hash = ?", (config_hash,))
    conn.commit()
    conn.close()


def test_a_v2_journal_is_refused_by_writers_with_both_versions_and_the_command(tmp_path: Path) -> None:
    _trade(tmp_path)
    _as_v2(tmp_path / JOURNAL_NAME)
    with pytest.raises(
        JournalError,
        match=r"journal format v2 is older than this Aurora's v3; migrate it with `aurora migrate --run-dir ",
    ):
        Journal.open(tmp_path, HASH, create=False)
    with JournalReader.open(tmp_path) as reader:  # readers read it as it is
        assert reader.schema_version() == 2
        assert reader.chain_head() is None
        assert len(reader.checkpoints()) == len(DAYS)


def test_migration_backs_up_then_chains_the_past_and_restamps_a_vouched_config(tmp_path: Path) -> None:
    _trade(tmp_path)
    path = tmp_path / JOURNAL_NAME
    _as_v2(path, "legacy-hash")
    before = sqlite3.connect(path).execute("SELECT * FROM fills ORDER BY seq").fetchall()
    with pytest.raises(ConfigMismatchError):
        migrate_journal(path, HASH)  # a stored hash nobody vouched for
    assert not (tmp_path / f"{JOURNAL_NAME}.bak-v2").exists()
    done = migrate_journal(path, HASH, legacy_config_hashes={"legacy-hash"})
    assert done is not None
    assert (done.from_version, done.to_version, done.sessions_chained) == (2, 3, len(DAYS))
    backup = sqlite3.connect(done.backup)
    assert backup.execute("SELECT schema_version, config_hash FROM meta").fetchone() == (2, "legacy-hash")
    assert backup.execute("SELECT * FROM fills ORDER BY seq").fetchall() == before
    backup.close()
    assert migrate_journal(path, HASH) is None  # idempotent
    # writers accept it and chain on
    with Journal.open(tmp_path, HASH, create=False) as journal, journal.session_transaction():
        journal.write_checkpoint(DAYS[-1] + timedelta(days=1))
    with JournalReader.open(tmp_path) as reader:
        check = reader.verify_chain()
    assert check.ok
    assert check.sessions == len(DAYS) + 1
    conn = sqlite3.connect(path)
    conn.execute(
        "UPDATE cash_ledger SET amount_cents = amount_cents + 1 WHERE session = ?", (DAYS[3].isoformat(),)
    )
    conn.commit()
    conn.close()
    with JournalReader.open(tmp_path) as reader:
        assert reader.verify_chain().broken_session == DAYS[3].isoformat()


def test_a_newer_journal_is_refused_by_readers_migration_and_writers(tmp_path: Path) -> None:
    _trade(tmp_path, DAYS[:1])
    conn = sqlite3.connect(tmp_path / JOURNAL_NAME)
    conn.execute("UPDATE meta SET schema_version = 4")
    conn.commit()
    conn.close()
    newer = r"journal format v4 is newer than this Aurora's v3"
    with pytest.raises(JournalError, match=newer), JournalReader.open(tmp_path):
        pass
    with pytest.raises(JournalError, match=newer):
        migrate_journal(tmp_path / JOURNAL_NAME, HASH)
    with pytest.raises(JournalError, match=newer):
        Journal.open(tmp_path, HASH, create=False)


def test_checkpoint_marks_are_recorded_per_table(tmp_path: Path) -> None:
    _trade(tmp_path, DAYS[:2])
    rows = sqlite3.connect(tmp_path / JOURNAL_NAME).execute(
        "SELECT marks_json FROM checkpoints ORDER BY session"
    )
    marks = [json.loads(r[0]) for r in rows]
    assert marks[0]["decisions"] == 1
    assert marks[1]["decisions"] == 2
    assert marks[1]["fills"] >= marks[0]["fills"]
