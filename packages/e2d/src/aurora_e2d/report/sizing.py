"""The report's "Order sizing and universe" section: what the run did not trade as decided, and why.

Two sources, both the run's own: the journal's decision payloads carry each
clip the planner made (``engine.orderplan.Clip``: an order cut to a per-order
limit, or dropped beyond the session's order count), and ``decisions.parquet``
carries each name kept out of a session's universe (``research.universe``) as
its ``veto_reason``. Grouped by symbol and reason, with first and last session,
so 6,000 clipped sessions read as one line per name.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

import polars as pl

from aurora_e2d.report import _html as h
from aurora_e2d.report._events import journal

__all__ = ["SizingRow", "clip_rows", "exclusion_rows", "section"]

_UNIVERSE_PREFIX = "universe_"
MAX_ROWS = 30  # rows per table; the rest are counted in one line


@dataclass(frozen=True, slots=True)
class SizingRow:
    symbol: str
    reason: str  # the config field that decided
    sessions: int
    first: date
    last: date
    wanted_qty: int = 0  # clips only: shares wanted and ordered, summed over the sessions
    ordered_qty: int = 0


def clip_rows(run_dir: Path) -> list[SizingRow]:
    """Orders cut to a limit (or dropped), per symbol and reason, from the journal."""
    groups: dict[tuple[str, str], list[tuple[date, int, int]]] = defaultdict(list)
    with journal(run_dir) as reader:
        for day, symbol, clip in [] if reader is None else reader.sizing_clips():
            key = (symbol, str(clip.get("reason")))
            groups[key].append((day, int(clip.get("wanted_qty", 0)), int(clip.get("ordered_qty", 0))))
    return [
        SizingRow(
            symbol,
            reason,
            len(items),
            min(d for d, *_ in items),
            max(d for d, *_ in items),
            sum(w for _, w, _ in items),
            sum(o for *_, o in items),
        )
        for (symbol, reason), items in sorted(groups.items())
    ]


def exclusion_rows(run_dir: Path) -> list[SizingRow]:
    """Names kept out of the universe, per symbol and reason, from decisions.parquet."""
    path = run_dir / "decisions.parquet"
    if not path.is_file():
        return []
    frame = (
        pl.read_parquet(path, columns=["date", "symbol", "veto_reason"])
        .filter(pl.col("veto_reason").str.starts_with(_UNIVERSE_PREFIX))
        .group_by("symbol", "veto_reason")
        .agg(sessions=pl.len(), first=pl.col("date").min(), last=pl.col("date").max())
        .sort("symbol", "veto_reason")
    )
    return [
        SizingRow(symbol, reason.removeprefix(_UNIVERSE_PREFIX), sessions, first, last)
        for symbol, reason, sessions, first, last in frame.iter_rows()
    ]


def _limited(rows: list[SizingRow]) -> tuple[list[SizingRow], str]:
    rows = sorted(rows, key=lambda r: (-r.sessions, r.symbol, r.reason))
    more = len(rows) - MAX_ROWS
    return rows[:MAX_ROWS], (f"<p>&hellip; and {more} more rows.</p>" if more > 0 else "")


def section(run_dir: Path) -> str:
    """The section's HTML: clips, then exclusions, each with one line of explanation."""
    clips, excluded = clip_rows(run_dir), exclusion_rows(run_dir)
    parts = []
    if clips:
        shown, more = _limited(clips)
        parts += [
            f"<p>{sum(r.sessions for r in clips):,} orders were clipped to a per-order limit or dropped "
            "beyond the session's order count (one order per name per session, never sliced into "
            "child orders); the limit is the config field named.</p>",
            h.table(
                (
                    "symbol",
                    "limit (config field)",
                    "sessions",
                    "first",
                    "last",
                    "shares wanted",
                    "shares ordered",
                ),
                (
                    (
                        escape(r.symbol),
                        f"<code>{escape(r.reason)}</code>",
                        f"{r.sessions:,}",
                        r.first.isoformat(),
                        r.last.isoformat(),
                        f"{r.wanted_qty:,}",
                        f"{r.ordered_qty:,}",
                    )
                    for r in shown
                ),
                "sizing-clips",
            ),
            more,
        ]
    else:
        parts.append("<p>No order was clipped: every trade fit the per-order limits.</p>")
    if excluded:
        shown, more = _limited(excluded)
        parts += [
            f"<p>{len({r.symbol for r in excluded}):,} names were kept out of some sessions' decisions by "
            "<code>[universe]</code> (weight 0 there):</p>",
            h.table(
                ("symbol", "filter ([universe] field)", "sessions", "first", "last"),
                (
                    (
                        escape(r.symbol),
                        f"<code>{escape(r.reason)}</code>",
                        f"{r.sessions:,}",
                        r.first.isoformat(),
                        r.last.isoformat(),
                    )
                    for r in shown
                ),
                "universe-exclusions",
            ),
            more,
        ]
    else:
        parts.append("<p>No name was kept out by <code>[universe]</code> in the traded sessions.</p>")
    return "\n".join(parts)
