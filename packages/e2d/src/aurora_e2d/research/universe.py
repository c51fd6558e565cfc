"""Which names may be decided on at each session: the `[universe]` filter.

A name is out of a session's universe when its history is too short, its raw
close is below ``min_price`` (below a cent the tick is over 1 % of the price),
or its median raw dollar volume (close x volume) over the last
``dollar_volume_window_sessions`` sessions is below ``min_dollar_volume``.
Every value uses bars up to and including the session (the decision is made
at its close). Raw close x raw volume equals the split-adjusted product, so a
vendor's split-adjusted history is judged on the dollars that really traded.
Excluded rows stay in the decisions with weight 0 and the reason in
``veto_reason``, so the report can say what was left out and why.
"""

from __future__ import annotations

from enum import StrEnum

import polars as pl

__all__ = ["ExclusionReason", "universe_exclusions"]


class ExclusionReason(StrEnum):
    """The config field that kept a name out (the first failing one, in this order)."""

    MIN_HISTORY = "universe_min_history_sessions"
    MIN_PRICE = "universe_min_price"
    MIN_DOLLAR_VOLUME = "universe_min_dollar_volume"


def _in_key_order(frame: pl.DataFrame) -> bool:
    """Strictly ascending by (symbol, date): sorting it would give the same rows in the same order."""
    if frame.height < 2:
        return True
    symbol, day = pl.col("symbol"), pl.col("date")
    after = (symbol > symbol.shift()) | ((symbol == symbol.shift()) & (day > day.shift()))
    return bool(frame.select(after.slice(1).fill_null(False).all()).item())


def universe_exclusions(
    bars: pl.DataFrame,
    *,
    min_price: float,
    min_dollar_volume: float,
    dollar_volume_window_sessions: int,
    min_history_sessions: int,
) -> pl.DataFrame:
    """``symbol``, ``date``, ``exclusion`` (an ``ExclusionReason`` value) of each bar whose name is
    out of that session's universe; a bar without a row is eligible (5 M bars, most of them are)."""
    close, volume = pl.col("close"), pl.col("volume").cast(pl.Float64)
    dollar_volume = (close * volume).rolling_median(dollar_volume_window_sessions, min_samples=1)
    frame = bars.select("symbol", "date", "close", "volume")
    if not _in_key_order(frame):  # the bars artifact is; sorting it anyway copied 4 columns of 5-25 M rows
        frame = frame.sort("symbol", "date")
    frame = frame.with_columns(
        history=pl.int_range(1, pl.len() + 1).over("symbol"),
        dollar_volume=dollar_volume.over("symbol"),
    )
    reason = (
        pl.when(pl.col("history") < min_history_sessions)
        .then(pl.lit(ExclusionReason.MIN_HISTORY.value))
        .when(~(pl.col("close") >= min_price))
        .then(pl.lit(ExclusionReason.MIN_PRICE.value))
        .when(~(pl.col("dollar_volume") >= min_dollar_volume))
        .then(pl.lit(ExclusionReason.MIN_DOLLAR_VOLUME.value))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return frame.select("symbol", "date", exclusion=reason).filter(pl.col("exclusion").is_not_null())
