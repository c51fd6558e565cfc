"""Stage 7: target weights from predictions, with a recorded risk veto.

Strategy ``xs_momo_v1`` is long-only top-k: each session, the symbols are
ranked by prediction and the best ``top_k`` get equal weight
``1 / min(top_k, symbols that session)``; every other symbol gets weight 0.
Long-only keeps the later paper execution simple (no borrow, no shorts).

Near-equal predictions must not flip a decision because of float noise (ONNX
and sklearn differ by ~1e-8), so ranking uses predictions quantised to
``PREDICTION_QUANTUM`` and breaks ties by symbol name, ascending: the
alphabetically first symbol wins. A flip then needs a difference that moves a
value across a quantum boundary *and* a near-tie at the top-k edge.

Names outside the session's universe (``research.universe``) are ranked
after every eligible name and get weight 0, with their exclusion as the veto
reason; ``held`` counts eligible names only.

The veto runs after ranking: weights above ``max_weight`` are cut to it, then
a session whose gross exposure exceeds ``max_gross`` is scaled down to it.
Every reduced row says so in ``vetoed`` / ``veto_reason``.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import polars as pl
import pyarrow as pa

from aurora_e2d.rundir.spec import ArtifactSpec

__all__ = [
    "DECISIONS_ARTIFACT",
    "DECISIONS_SCHEMA",
    "DECISIONS_SORT_KEY",
    "GROSS_TOLERANCE",
    "MAX_GROSS",
    "MAX_WEIGHT",
    "PREDICTIONS_ARTIFACT",
    "PREDICTIONS_SCHEMA",
    "PREDICTIONS_SORT_KEY",
    "PREDICTION_QUANTUM",
    "STRATEGY",
    "TOP_K",
    "VetoReason",
    "decide",
    "quantise",
    "target_weights",
]

STRATEGY = "xs_momo_v1"
TOP_K = 2  # symbols held per session
MAX_WEIGHT = 0.5  # fraction of equity per symbol
MAX_GROSS = 1.0  # sum of |weight| per session, fraction of equity
PREDICTION_QUANTUM = 1e-6  # predictions (5-session returns) are ranked on this grid
GROSS_TOLERANCE = 1e-12  # 7 x (1/7) may sum to 1 + 2e-16: not a breach

_TS = pa.timestamp("us", tz="UTC")
PREDICTIONS_SCHEMA = pa.schema(
    [
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("ts", _TS, nullable=False),  # the session close the prediction is made at
        pa.field("fold_year", pa.int32(), nullable=False),  # walk-forward fold (test year)
        pa.field("model", pa.string(), nullable=False),  # "ridge" | "hgb"
        pa.field("prediction", pa.float32(), nullable=False),  # the ONNX output, float32 as produced
    ]
)
PREDICTIONS_SORT_KEY = ("symbol", "date")
DECISIONS_SCHEMA = pa.schema(
    [
        pa.field("strategy", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("ts", _TS, nullable=False),
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("prediction", pa.float64(), nullable=False),  # the float32 prediction, exactly
        pa.field("rank", pa.int32(), nullable=False),  # 1 = best, within the session
        pa.field("target_weight", pa.float64(), nullable=False),  # fraction of equity, >= 0
        pa.field("vetoed", pa.bool_(), nullable=False),
        pa.field("veto_reason", pa.string(), nullable=True),  # VetoReason values joined by "+"
    ]
)
DECISIONS_SORT_KEY = ("strategy", "date", "symbol")  # the decision key
PREDICTIONS_ARTIFACT = ArtifactSpec(
    "predictions",
    PREDICTIONS_SCHEMA,
    sort_by=PREDICTIONS_SORT_KEY,
    unique_by=PREDICTIONS_SORT_KEY,
    finite=("prediction",),
)
DECISIONS_ARTIFACT = ArtifactSpec(
    "decisions",
    DECISIONS_SCHEMA,
    sort_by=DECISIONS_SORT_KEY,
    unique_by=DECISIONS_SORT_KEY,
    finite=("prediction", "target_weight"),
)


class VetoReason(StrEnum):
    MAX_WEIGHT = "max_weight"  # weight cut to max_weight
    MAX_GROSS = "max_gross"  # session scaled down to max_gross


def quantise(predictions: np.ndarray) -> np.ndarray:
    """Predictions as integer multiples of ``PREDICTION_QUANTUM`` (int64), the ranking key."""
    values = np.asarray(predictions, dtype=np.float64)
    if not np.isfinite(values).all():
        bad = int(np.flatnonzero(~np.isfinite(values))[0])
        raise ValueError(f"prediction at row {bad} must be finite, was {values[bad]!r}")
    return np.rint(values / PREDICTION_QUANTUM).astype(np.int64)


def _check_limits(top_k: int, max_weight: float, max_gross: float) -> None:
    if top_k < 1:
        raise ValueError(f"'top_k' must be >= 1, was {top_k!r}")
    if not 0.0 < max_weight <= 1.0:
        raise ValueError(f"'max_weight' must be in (0, 1], was {max_weight!r}")
    if not 0.0 < max_gross <= 2.0:
        raise ValueError(f"'max_gross' must be in (0, 2], was {max_gross!r}")


def target_weights(
    sessions: np.ndarray,
    symbols: np.ndarray,
    predictions: np.ndarray,
    *,
    top_k: int = TOP_K,
    max_weight: float = MAX_WEIGHT,
    max_gross: float = MAX_GROSS,
    exclusion: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rank, weight, vetoed flag and veto reason (object array, None if not vetoed) per input row.

    ``sessions`` is any sortable key per row; (session, symbol) must be unique. ``symbols`` are
    names, or integer codes in the names' order (the same ranks; ``decide`` passes codes: 3.5 M
    symbol strings as Python objects cost ~250 MB and their sorts most of the stage).
    ``exclusion`` (object array, None = eligible) keeps rows out of the universe.
    """
    _check_limits(top_k, max_weight, max_gross)
    sessions, symbols = np.asarray(sessions), np.asarray(symbols)
    if not np.issubdtype(symbols.dtype, np.integer):
        symbols = symbols.astype(str)
    q = quantise(predictions)
    n = q.size
    by_key = np.lexsort((symbols, sessions))
    k_sessions, k_symbols = sessions[by_key], symbols[by_key]
    duplicate = (k_sessions[1:] == k_sessions[:-1]) & (k_symbols[1:] == k_symbols[:-1])
    if duplicate.any():
        i = int(np.flatnonzero(duplicate)[0])
        raise ValueError(f"duplicate decision key: session {k_sessions[i]}, symbol {str(k_symbols[i])!r}")
    excluded = np.zeros(n, dtype=bool) if exclusion is None else np.not_equal(exclusion, None)
    order = np.lexsort((symbols, -q, excluded, sessions))
    s_sorted = sessions[order]
    new_session = np.ones(n, dtype=bool)
    new_session[1:] = s_sorted[1:] != s_sorted[:-1]
    starts = np.flatnonzero(new_session)
    counts = np.diff(np.append(starts, n))
    rank_sorted = np.arange(n) - np.repeat(starts, counts) + 1
    eligible = np.add.reduceat((~excluded[order]).astype(np.int64), starts) if n else np.zeros(0, np.int64)
    held = np.repeat(np.minimum(eligible, top_k), counts)
    weight_sorted = np.where(rank_sorted <= held, 1.0 / np.maximum(held, 1), 0.0) if n else np.zeros(0)

    cut = weight_sorted > max_weight
    weight_sorted = np.where(cut, max_weight, weight_sorted)
    gross = np.add.reduceat(weight_sorted, starts) if n else np.zeros(0)
    over = gross > max_gross + GROSS_TOLERANCE
    scale = np.where(over, max_gross / np.where(over, gross, 1.0), 1.0)
    scaled = np.repeat(over, counts) & (weight_sorted > 0.0)
    weight_sorted = weight_sorted * np.repeat(scale, counts)

    rank, weight = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.float64)
    rank[order], weight[order] = rank_sorted, weight_sorted
    cut_rows, scaled_rows = np.empty(n, dtype=bool), np.empty(n, dtype=bool)
    cut_rows[order], scaled_rows[order] = cut, scaled
    reason = np.full(n, None, dtype=object)
    for i in np.flatnonzero(cut_rows | scaled_rows):
        parts = [
            r.value
            for r, hit in ((VetoReason.MAX_WEIGHT, cut_rows[i]), (VetoReason.MAX_GROSS, scaled_rows[i]))
            if hit
        ]
        reason[i] = "+".join(parts)
    for i in np.flatnonzero(excluded):
        reason[i] = exclusion[i]  # type: ignore[index]
    return rank, weight, cut_rows | scaled_rows | excluded, reason


def decide(
    predictions: pl.DataFrame,
    *,
    top_k: int = TOP_K,
    max_weight: float = MAX_WEIGHT,
    max_gross: float = MAX_GROSS,
    strategy: str = STRATEGY,
    exclusions: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Stage 7: one ``DECISIONS_SCHEMA`` row per (strategy, date, symbol), weight-0 rows included.

    ``exclusions`` (``research.universe``: symbol, date, exclusion) keeps names out of the universe.
    """
    frame = predictions.select("symbol", "date", "ts", "prediction").sort("date", "symbol")
    exclusion = None
    if exclusions is not None:
        joined = frame.join(
            exclusions.select("symbol", "date", "exclusion"), on=["symbol", "date"], how="left"
        )
        exclusion = joined.sort("date", "symbol")["exclusion"].to_numpy().astype(object, copy=False)
    same_key = (pl.col("date") == pl.col("date").shift(1)) & (pl.col("symbol") == pl.col("symbol").shift(1))
    repeated = frame.filter(same_key)
    if repeated.height:
        first = repeated.row(0, named=True)
        raise ValueError(f"duplicate decision key: session {first['date']}, symbol {first['symbol']!r}")
    dates = frame["date"].to_numpy()
    rank, weight, vetoed, reason = target_weights(
        dates,
        frame["symbol"].rank("dense").cast(pl.Int64).to_numpy(),  # codes in the names' order
        frame["prediction"].cast(pl.Float64).to_numpy(),
        top_k=top_k,
        max_weight=max_weight,
        max_gross=max_gross,
        exclusion=exclusion,
    )
    return pl.DataFrame(
        {
            "strategy": pl.repeat(strategy, frame.height, dtype=pl.String, eager=True),
            "date": frame["date"],
            "ts": frame["ts"],
            "symbol": frame["symbol"],
            "prediction": frame["prediction"].cast(pl.Float64),
            "rank": pl.Series(rank, dtype=pl.Int32),
            "target_weight": pl.Series(weight, dtype=pl.Float64),
            "vetoed": pl.Series(vetoed, dtype=pl.Boolean),
            "veto_reason": pl.Series(list(reason), dtype=pl.String),
        }
    )
