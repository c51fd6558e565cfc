"""An evening's universe exclusions from each symbol's last rows equal the whole history's (ADR 0014).

A symbol whose history is shorter than the tail, one that starts after the
cut, one that stops before it, prices around ``min_price`` and dollar
volumes around ``min_dollar_volume`` on a short median window: every reason
changes value somewhere near the cut, and every cut date is checked.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from aurora_e2d.research.incremental import exclusions_after
from aurora_e2d.research.universe import universe_exclusions

UNIVERSE = {
    "min_price": 1.0,
    "min_dollar_volume": 5_000.0,
    "dollar_volume_window_sessions": 4,
    "min_history_sessions": 6,
}


def frame() -> pl.DataFrame:
    rng = np.random.default_rng(21)
    days = [dt.date(2021, 1, 4) + dt.timedelta(days=i) for i in range(40)]
    spans = {"LONG": (0, 40), "SHORT": (30, 40), "GONE": (0, 25), "MID": (12, 40)}
    parts = []
    for symbol, (a, b) in spans.items():
        n = b - a
        parts.append(
            pl.DataFrame(
                {
                    "symbol": [symbol] * n,
                    "date": days[a:b],
                    "close": rng.choice([0.5, 0.99, 1.0, 2.5, 20.0], n),
                    "volume": rng.choice([10, 1_000, 3_000, 5_000], n).astype(np.int64),
                }
            )
        )
    return pl.concat(parts).sort("symbol", "date")


def test_every_cut_gives_the_whole_historys_exclusions_for_the_later_sessions() -> None:
    bars = frame()
    whole = universe_exclusions(bars, **UNIVERSE)  # type: ignore[arg-type]
    reasons = set(whole["exclusion"].drop_nulls().to_list())
    assert len(reasons) == 3  # history, price and dollar volume all occur
    for last in sorted(bars["date"].unique().to_list())[:-1]:
        got = exclusions_after(bars, last, UNIVERSE)
        assert got.equals(whole.filter(pl.col("date") > last)), last
