"""Repository-level tests: contracts that span packages (layout, CI, hooks)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "l1: nightly breadth (nox -s l1); excluded from nox -s l0")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
