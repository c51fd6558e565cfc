"""Where each row's symbol sits in a sorted list of symbols: the column of a dates x symbols grid.

``search_sorted`` over strings is a binary search of string compares per row: 0.37 s for the 3.5 M
decisions or bars of 2,000 symbols x 7 years, paid by several grids of every report and summary.
An Enum cast with the sorted names as its categories is one hash lookup per row (0.05 s) and gives
the same positions, since a category's code is its index in the list.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

__all__ = ["symbol_columns"]


def symbol_columns(names: Sequence[str], symbols: pl.Series) -> np.ndarray:
    """``pl.Series(names).search_sorted(symbols)`` for ``names`` sorted and unique."""
    if symbols.null_count() == 0:
        try:
            return symbols.cast(pl.Enum(list(names))).to_physical().to_numpy().astype(np.int64, copy=False)
        except (pl.exceptions.InvalidOperationError, ValueError):
            pass  # a symbol outside ``names`` (or names repeated): where the search puts it
    return pl.Series(list(names), dtype=pl.String).search_sorted(symbols).to_numpy().astype(np.int64)
