"""Stage 4: corporate-action normalisation into the ``bars`` artifact.

Raw open/high/low/close/volume are kept untouched (orders, fills and cash use
them); adjusted series are added beside them. ``close_tr`` is always the
total-return close, back-adjusted with the source's own rule (a dividend D on
ex-date e scales earlier prices by close_e / (close_e + D); a p:q split by
q/p) and anchored so each symbol's last bar equals its raw close: the column
the source's ``Adj Close`` checks, and the one returns are earned on.

The mode chooses what ``close_adj`` and ``volume_adj`` (the series features
and labels read) mean, and those are anchored at each symbol's *first* bar
instead: later prices are multiplied (and volumes divided) by the events up to
and including their bar. The ratios are the same as the back-adjusted ones;
what differs is that a row never changes when later sessions (and their
ex-dates) are appended, so an evening's new ex-date does not rewrite history
and force every walk-forward fold to be refitted (ADR 0016).
Every expression runs ``.over("symbol")``: symbols are independent.
"""

from __future__ import annotations

from enum import StrEnum
from typing import assert_never

import polars as pl
import pyarrow as pa

from aurora_e2d.core.errors import InputError
from aurora_e2d.data.sessions import SESSION_PRICES_SCHEMA
from aurora_e2d.rundir.spec import ArtifactSpec

__all__ = ["BARS_ARTIFACT", "BARS_SCHEMA", "Mode", "event_multipliers", "normalise"]


class Mode(StrEnum):
    # raw: close_adj = close, volume_adj = volume
    # split_adjusted: close_adj = close * the splits so far, volume_adj = volume / the splits so far
    # total_return: close_adj = close * every event so far, volume_adj as split_adjusted
    RAW = "raw"
    SPLIT_ADJUSTED = "split_adjusted"
    TOTAL_RETURN = "total_return"

    @classmethod
    def parse(cls, value: str | Mode) -> Mode:
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise InputError.bad_value("corporate_actions.mode", f"one of {allowed}", value) from None


_F64 = pa.float64()
BARS_SCHEMA = pa.schema(
    [
        *(
            SESSION_PRICES_SCHEMA.field(n)
            for n in ("symbol", "date", "ts", "open", "high", "low", "close", "volume")
        ),
        pa.field("close_tr", _F64, nullable=False),  # total-return adjusted close, last bar = raw close
        pa.field("close_adj", _F64, nullable=False),  # close as the mode adjusts it, first bar = raw close
        pa.field("volume_adj", pa.int64(), nullable=False),  # volume as the mode adjusts it, first bar = raw
    ]
)
BARS_ARTIFACT = ArtifactSpec(
    "bars",
    BARS_SCHEMA,
    sort_by=("symbol", "date"),
    unique_by=("symbol", "date"),
    finite=("open", "high", "low", "close", "close_tr", "close_adj"),
)
_RAW = ["symbol", "date", "ts", "open", "high", "low", "close", "volume"]
_KEY = ["symbol", "date"]


def _frame(data: pl.DataFrame | pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(data) if isinstance(data, pa.Table) else data
    assert isinstance(frame, pl.DataFrame)
    return frame


def _validate_actions(actions: pl.DataFrame) -> None:
    kinds = set(actions["kind"].unique().to_list())
    if kinds - {"split", "dividend"}:
        raise InputError.bad_value(
            "actions.kind", "'split' or 'dividend'", sorted(kinds - {"split", "dividend"})[0]
        )
    bad_split = actions.filter((pl.col("kind") == "split") & ~(pl.col("split_ratio") > 0))
    if bad_split.height:
        row = bad_split.row(0, named=True)
        raise InputError.bad_value(
            f"actions {row['symbol']} {row['ex_date']} split_ratio", "> 0", row["split_ratio"]
        )
    bad_div = actions.filter((pl.col("kind") == "dividend") & ~(pl.col("dividend_usd") > 0))
    if bad_div.height:
        row = bad_div.row(0, named=True)
        raise InputError.bad_value(
            f"actions {row['symbol']} {row['ex_date']} dividend_usd", "> 0", row["dividend_usd"]
        )


def event_multipliers(bars: pl.DataFrame, actions: pl.DataFrame) -> pl.DataFrame:
    """Per (symbol, date) with an event: ``m_tr`` (total-return) and ``m_split`` price multipliers.

    An event whose ex-date is not a bar applies at the next bar; events after
    a symbol's last bar cannot be anchored and are ignored. Events are sorted
    first, so their input order cannot change a single bit of the result.
    """
    _validate_actions(actions)
    # join_asof needs both sides sorted by the date; the full key makes the event order canonical.
    events = actions.sort(["ex_date", "symbol", "kind", "split_ratio", "dividend_usd"], nulls_last=True)
    bar_close = bars.select("symbol", pl.col("date").alias("bar_date"), "close").sort("bar_date", "symbol")
    matched = events.join_asof(
        bar_close,
        left_on="ex_date",
        right_on="bar_date",
        by="symbol",
        strategy="forward",
        check_sortedness=False,  # sorted globally by date above, hence within each symbol
    ).filter(pl.col("bar_date").is_not_null())
    split = pl.col("kind") == "split"
    matched = matched.with_columns(
        m_tr=pl.when(split)
        .then(pl.col("split_ratio"))
        .otherwise(1.0 + pl.col("dividend_usd") / pl.col("close")),
        m_split=pl.when(split).then(pl.col("split_ratio")).otherwise(1.0),
    )
    return (
        matched.group_by("symbol", "bar_date", maintain_order=True)
        .agg(pl.col("m_tr").product(), pl.col("m_split").product())
        .rename({"bar_date": "date"})
    )


def normalise(
    bars: pl.DataFrame | pa.Table, actions: pl.DataFrame | pa.Table, mode: Mode | str
) -> pl.DataFrame:
    """Stage 4: ``BARS_SCHEMA`` rows sorted by (symbol, date); idempotent on its own output."""
    mode = Mode.parse(mode)
    raw = _frame(bars).select(_RAW).sort(_KEY)
    mult = event_multipliers(raw, _frame(actions))
    # close_tr: divided by the product of the multipliers of all later bars of the same symbol
    tr_later = pl.col("m_tr").cum_prod(reverse=True).shift(-1, fill_value=1.0).over("symbol")
    # ... and close_adj by those of this and every earlier bar but the first (an event on a symbol's
    # first bar has no earlier price to join, as in close_tr): rows are sorted by (symbol, date)
    first_bar = pl.col("symbol").is_first_distinct()
    so_far = {
        name: pl.when(first_bar).then(1.0).otherwise(pl.col(name)).cum_prod().over("symbol")
        for name in ("m_tr", "m_split")
    }
    frame = (
        raw.lazy()
        .join(mult.lazy(), on=_KEY, how="left", maintain_order="left")
        .with_columns(pl.col("m_tr", "m_split").fill_null(1.0))
        .with_columns(tr_later=tr_later, tr_so_far=so_far["m_tr"], split_so_far=so_far["m_split"])
        .with_columns(close_tr=pl.col("close") / pl.col("tr_later"))
    )
    # A forward split divides later volumes; a bar that trades keeps at least one share, so the
    # log of volume that features take stays finite (raw volume > 0 is sanity's rule).
    split_volume = (
        (pl.col("volume").cast(pl.Float64) / pl.col("split_so_far"))
        .round(0)
        .clip(lower_bound=1.0)
        .cast(pl.Int64)
    )
    match mode:
        case Mode.RAW:
            adjusted = [pl.col("close").alias("close_adj"), pl.col("volume").alias("volume_adj")]
        case Mode.SPLIT_ADJUSTED:
            adjusted = [
                (pl.col("close") * pl.col("split_so_far")).alias("close_adj"),
                split_volume.alias("volume_adj"),
            ]
        case Mode.TOTAL_RETURN:
            adjusted = [
                (pl.col("close") * pl.col("tr_so_far")).alias("close_adj"),
                split_volume.alias("volume_adj"),
            ]
        case _:
            assert_never(mode)
    return frame.with_columns(adjusted).select(BARS_SCHEMA.names).collect()
