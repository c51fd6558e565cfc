"""Shared real-data fixtures for the data-stage tests (no polars here: sanity tests must stay fork-safe)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import settings

from aurora_e2d.data.ingest import Snapshot, load_snapshot
from aurora_e2d.data.sessions import SessionCloses, session_closes

# Mutation runs (aurora_gates.mutation sets HYPOTHESIS_PROFILE=mutation): deterministic, no example
# database, no deadline (a forked worker on a loaded machine is slow), fewer examples.
settings.register_profile("mutation", derandomize=True, deadline=None, database=None, max_examples=25)
settings.register_profile("nightly", max_examples=500, deadline=None)  # nox -s l1
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

DATA_START, DATA_END = dt.date(2000, 3, 1), dt.date(2013, 3, 1)


@pytest.fixture(scope="session")
def snapshot() -> Snapshot:
    return load_snapshot()


@pytest.fixture(scope="session")
def xnys() -> SessionCloses:
    return session_closes(DATA_START, DATA_END)
