"""Shared fixtures and Hypothesis profiles for aurora_safety tests."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from aurora_safety import Limits, TestClock

# "mutation": deterministic and quick, for mutmut runs (TOOLING.md). mutmut runs a test class
# more than once in one process (stats, then the clean run), which Hypothesis reports as
# differing executors although every run builds its instance afresh.
settings.register_profile(
    "mutation",
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=30,
    suppress_health_check=[HealthCheck.differing_executors],
)
settings.register_profile("default", deadline=None)
settings.register_profile("nightly", max_examples=500, deadline=None)  # nox -s l1
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def clock() -> TestClock:
    return TestClock(start_ns=1_000_000_000)


@pytest.fixture
def limits() -> Limits:
    return Limits()
