"""A grid's symbol columns through an Enum cast are exactly the binary search's positions."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from aurora_e2d.report._grid import symbol_columns

NAMES = ["AAPL", "BRK.B", "MSFT", "SYN0001", "Ü-NAME"]  # sorted as polars and Python sort them


def searched(names: list[str], symbols: pl.Series) -> np.ndarray:
    return pl.Series(names, dtype=pl.String).search_sorted(symbols).to_numpy().astype(np.int64)


def test_every_known_symbol_gets_its_index_in_the_sorted_names():
    assert NAMES == sorted(NAMES) == pl.Series(NAMES).sort().to_list()
    symbols = pl.Series(np.random.default_rng(0).choice(NAMES, 10_000))
    got = symbol_columns(NAMES, symbols)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, searched(NAMES, symbols))
    np.testing.assert_array_equal(got[:5], [NAMES.index(s) for s in symbols[:5].to_list()])


@pytest.mark.parametrize(
    "symbols",
    [["MSFT", "IBM", "AAPL"], ["MSFT", None, "AAPL"], []],
    ids=["unknown-symbol", "null", "empty"],
)
def test_rows_the_cast_cannot_place_fall_back_to_the_search(symbols: list[str | None]):
    series = pl.Series(symbols, dtype=pl.String)
    np.testing.assert_array_equal(symbol_columns(NAMES, series), searched(NAMES, series))
