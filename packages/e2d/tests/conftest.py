"""Shared real-data fixtures for the data-stage tests (no polars here: sanity tests must stay fork-safe)."""

from __future__ import annotations

import datetime as dt

import pytest

from aurora_e2d.ingest import Snapshot, load_snapshot
from aurora_e2d.sessions import SessionCloses, xnys_session_closes

DATA_START, DATA_END = dt.date(2000, 3, 1), dt.date(2013, 3, 1)


@pytest.fixture(scope="session")
def snapshot() -> Snapshot:
    return load_snapshot()


@pytest.fixture(scope="session")
def xnys() -> SessionCloses:
    return xnys_session_closes(DATA_START, DATA_END)
