"""The gates' surface: the names other code (the CLI plugin, nox, CI) codes against resolve, once."""

from __future__ import annotations

import importlib

import pytest

import aurora_gates

SUBPACKAGES = ["mutation", "promote", "ratchet", "rollback"]


def test_every_exported_name_resolves_and_is_unique() -> None:
    names = list(aurora_gates.__all__)
    assert len(set(names)) == len(names)
    for name in names:
        assert getattr(aurora_gates, name) is not None, name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'no_such_gate'"):
        aurora_gates.no_such_gate  # noqa: B018 -- the lookup is the test


@pytest.mark.parametrize("sub", SUBPACKAGES)
def test_each_concept_declares_its_own_public_names(sub: str) -> None:
    module = importlib.import_module(f"aurora_gates.{sub}")
    names = list(module.__all__)
    assert names
    assert len(set(names)) == len(names)
    for name in names:
        assert getattr(module, name) is not None, f"aurora_gates.{sub}.{name}"
