"""Stage 5: lagged features and the forward label, one polars lazy plan.

Every feature at session t uses bars up to and including t (rolling windows
and backward shifts only); ``label`` is the one forward-looking column and is
never in ``FEATURE_COLUMNS``. Features read the mode-adjusted ``close_adj`` and
``volume_adj`` of the bars artifact. Computed in float64, cast to float32 last.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa

from aurora_e2d.data.corpactions import BARS_SCHEMA
from aurora_e2d.rundir.spec import ArtifactSpec

__all__ = [
    "FEATURES_ARTIFACT",
    "FEATURES_SCHEMA",
    "FEATURE_COLUMNS",
    "LABEL_HORIZON",
    "WARMUP_SESSIONS",
    "compute_features",
    "compute_features_pandas",
    "features_plan",
    "in_key_order",
]

FEATURE_COLUMNS: tuple[str, ...] = (
    "ret_1d",  # momentum / reversal at 1, 5, 21 and 63 sessions
    "ret_5d",
    "ret_21d",
    "ret_63d",
    "vol_21d",  # sample std (ddof=1) of 1-session returns
    "vol_63d",
    "ma_ratio_10_50",  # 10-session mean / 50-session mean - 1
    "rsi_14",  # simple-average RSI in [0, 100]; 50 when the window has no move
    "dist_high_63",  # close / 63-session high - 1 (<= 0)
    "volume_z_21",  # z-score of log volume against its last 21 sessions; 0 when constant
)
LABEL_HORIZON = 5  # sessions; the label is close_adj[t + 5] / close_adj[t] - 1
WARMUP_SESSIONS = 63  # the first 63 rows of each symbol lack full history and are dropped

FEATURES_SCHEMA = pa.schema(
    [
        *(BARS_SCHEMA.field(n) for n in ("symbol", "date", "ts")),
        *(pa.field(n, pa.float32(), nullable=False) for n in FEATURE_COLUMNS),
        pa.field("label", pa.float64()),  # null for the last LABEL_HORIZON sessions of each symbol
    ]
)
FEATURES_ARTIFACT = ArtifactSpec(
    "features",
    FEATURES_SCHEMA,
    sort_by=("symbol", "date"),
    unique_by=("symbol", "date"),
    finite=FEATURE_COLUMNS,
)


def _exprs() -> list[pl.Expr]:
    c, v = pl.col("close_adj"), pl.col("volume_adj").cast(pl.Float64).log()
    ret1 = c / c.shift(1) - 1.0
    diff = c - c.shift(1)
    gain, loss = diff.clip(lower_bound=0.0).rolling_mean(14), (-diff).clip(lower_bound=0.0).rolling_mean(14)
    v_std = v.rolling_std(21)
    exprs = {
        "ret_1d": ret1,
        "ret_5d": c / c.shift(5) - 1.0,
        "ret_21d": c / c.shift(21) - 1.0,
        "ret_63d": c / c.shift(63) - 1.0,
        "vol_21d": ret1.rolling_std(21),
        "vol_63d": ret1.rolling_std(63),
        "ma_ratio_10_50": c.rolling_mean(10) / c.rolling_mean(50) - 1.0,
        "rsi_14": pl.when(gain + loss > 0).then(100.0 * gain / (gain + loss)).otherwise(50.0),
        "dist_high_63": c / c.rolling_max(63) - 1.0,
        "volume_z_21": pl.when(v_std > 0).then((v - v.rolling_mean(21)) / v_std).otherwise(0.0),
    }
    assert tuple(exprs) == FEATURE_COLUMNS
    return [e.over("symbol").alias(n) for n, e in exprs.items()]


def features_plan(bars: pl.LazyFrame, *, presorted: bool = False) -> pl.LazyFrame:
    """The lazy plan from bars (``BARS_SCHEMA``) to ``FEATURES_SCHEMA`` rows.

    ``presorted`` skips the (symbol, date) sort when the caller has checked it.
    """
    c = pl.col("close_adj")
    ordered = bars if presorted else bars.sort("symbol", "date")
    return (
        ordered.with_columns(
            *_exprs(),
            label=(c.shift(-LABEL_HORIZON) / c - 1.0).over("symbol"),
            _row=pl.int_range(pl.len()).over("symbol"),
        )
        .filter(pl.col("_row") >= WARMUP_SESSIONS)
        .select("symbol", "date", "ts", *(pl.col(n).cast(pl.Float32) for n in FEATURE_COLUMNS), "label")
    )


def in_key_order(frame: pl.DataFrame) -> bool:
    """Whether the rows are strictly ascending by (symbol, date): sorted, and no key repeated.

    Bars and features are written in that order, so one pass over adjacent keys usually spares a
    sort (and a hash of every key) of millions of rows. A null key is never in order."""
    s, d = pl.col("symbol"), pl.col("date")
    after = (s > s.shift(1)) | ((s == s.shift(1)) & (d > d.shift(1)))
    return frame.height < 2 or bool(frame.select(after.slice(1).fill_null(False).all()).item())


def compute_features(bars: pl.DataFrame | pl.LazyFrame | pa.Table) -> pl.DataFrame:
    """Stage 5: features of every symbol after its warm-up, sorted by (symbol, date)."""
    if isinstance(bars, pa.Table):
        bars = pl.from_arrow(bars)  # type: ignore[assignment]
    if isinstance(bars, pl.LazyFrame):
        return features_plan(bars).collect()
    # Bars usually arrive sorted (normalise and the canonical artifact sort them);
    # a vectorised check is far cheaper than the sort it saves (a third of the stage).
    return features_plan(bars.lazy(), presorted=in_key_order(bars)).collect()


def compute_features_pandas(bars: pd.DataFrame) -> pd.DataFrame:
    """The same features with pandas groupby/rolling: a benchmark baseline, not the pipeline."""
    df = bars.sort_values(["symbol", "date"], kind="stable").reset_index(drop=True)
    g = df.groupby("symbol", sort=False)
    c = df["close_adj"]
    lv = np.log(df["volume_adj"].astype("float64"))
    ret1 = c / g["close_adj"].shift(1) - 1.0
    diff = c - g["close_adj"].shift(1)

    def rolled(s: pd.Series, w: int, how: str) -> pd.Series:
        windows = s.groupby(df["symbol"], sort=False).rolling(w)
        return getattr(windows, how)().reset_index(level=0, drop=True).sort_index()

    gain, loss = rolled(diff.clip(lower=0.0), 14, "mean"), rolled((-diff).clip(lower=0.0), 14, "mean")
    v_std = rolled(lv, 21, "std")
    out = df[["symbol", "date", "ts"]].copy()
    out["ret_1d"] = ret1
    for k in (5, 21, 63):
        out[f"ret_{k}d"] = c / g["close_adj"].shift(k) - 1.0
    out["vol_21d"], out["vol_63d"] = rolled(ret1, 21, "std"), rolled(ret1, 63, "std")
    out["ma_ratio_10_50"] = rolled(c, 10, "mean") / rolled(c, 50, "mean") - 1.0
    out["rsi_14"] = np.where(gain + loss > 0, 100.0 * gain / (gain + loss), 50.0)
    out["dist_high_63"] = c / rolled(c, 63, "max") - 1.0
    out["volume_z_21"] = np.where(v_std > 0, (lv - rolled(lv, 21, "mean")) / v_std, 0.0)
    out[list(FEATURE_COLUMNS)] = out[list(FEATURE_COLUMNS)].astype("float32")
    out["label"] = g["close_adj"].shift(-LABEL_HORIZON) / c - 1.0
    out = out[g.cumcount() >= WARMUP_SESSIONS]
    return out.reset_index(drop=True)
