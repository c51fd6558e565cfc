"""Deterministic inputs for the modelling tests (model, export, decisions, portfolio).

A synthetic features frame of the features-stage shape (feature names are a
parameter, as the modelling modules take them), synthetic bars for the
portfolio, and the real features computed by the data stages when they are
available. Not a conftest: other stages own that file.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence

import numpy as np
import polars as pl

SYMBOLS = ("AAPL", "FB", "GOOG", "IBM", "MSFT")
FEATURES = ("mom_5", "mom_21", "vol_21", "rsi_14", "vz_21")
LABEL_HORIZON = 5
_LATE_LISTING = {"FB": dt.date(2003, 6, 2)}  # one symbol joins later, as FB does in the real data


def weekdays(start: dt.date, end: dt.date) -> list[dt.date]:
    days = (end - start).days + 1
    return [d for d in (start + dt.timedelta(i) for i in range(days)) if d.weekday() < 5]


def synthetic_features(
    feature_columns: Sequence[str] = FEATURES,
    *,
    start: dt.date = dt.date(2000, 3, 1),
    end: dt.date = dt.date(2004, 12, 31),
    seed: int = 7,
    label_horizon: int = LABEL_HORIZON,
) -> pl.DataFrame:
    """Rows sorted by (symbol, date): float32 features, a float64 label with a signal in the first feature."""
    rng = np.random.default_rng(seed)
    sessions = weekdays(start, end)
    frames = []
    for symbol in SYMBOLS:
        dates = [d for d in sessions if d >= _LATE_LISTING.get(symbol, start)]
        n = len(dates)
        x = rng.normal(0.0, 1.0, size=(n, len(feature_columns))).astype(np.float32)
        label = 0.004 * x[:, 0].astype(np.float64) - 0.002 * x[:, -1] + rng.normal(0.0, 0.01, size=n)
        label[n - label_horizon :] = np.nan
        frames.append(
            pl.DataFrame(
                {
                    "symbol": [symbol] * n,
                    "date": dates,
                    "ts": [dt.datetime.combine(d, dt.time(21), tzinfo=dt.UTC) for d in dates],
                    **{name: x[:, i] for i, name in enumerate(feature_columns)},
                    "label": pl.Series(label, dtype=pl.Float64).fill_nan(None),
                },
                schema_overrides={"ts": pl.Datetime("us", "UTC"), "date": pl.Date},
            )
        )
    return pl.concat(frames).sort("symbol", "date")


def synthetic_bars(features: pl.DataFrame, *, seed: int = 11) -> pl.DataFrame:
    """symbol, date, ts, close_tr: a random walk per symbol over the features' (symbol, date) rows."""
    rng = np.random.default_rng(seed)
    keys = features.select("symbol", "date", "ts").sort("symbol", "date")
    steps = rng.normal(0.0003, 0.015, size=keys.height)
    walk = pl.col("step").exp().cum_prod().over("symbol") * 50.0
    return keys.with_columns(step=pl.Series(steps)).with_columns(close_tr=walk).drop("step")


@functools.cache
def real_data() -> tuple[pl.DataFrame, pl.DataFrame, tuple[str, ...], int]:
    """(features, bars, FEATURE_COLUMNS, LABEL_HORIZON) from the real data stages on the bundled snapshot."""
    from aurora_e2d.data.corpactions import normalise
    from aurora_e2d.data.ingest import load_snapshot
    from aurora_e2d.data.sanity import run_sanity
    from aurora_e2d.data.sessions import attach_session_close, session_closes
    from aurora_e2d.research.features import FEATURE_COLUMNS, LABEL_HORIZON, compute_features

    snapshot = load_snapshot()
    closes = session_closes(dt.date(2000, 3, 1), dt.date(2013, 3, 1))
    prices, _ = run_sanity(snapshot.prices, "strict", sessions=closes.dates, actions=snapshot.actions)
    bars = normalise(attach_session_close(prices, closes), snapshot.actions, "total_return")
    return compute_features(bars), bars, tuple(FEATURE_COLUMNS), int(LABEL_HORIZON)
