"""Which limit capped the book each session: position notional, gross exposure or daily notional.

The planner (``engine.orderplan.plan_orders``) sizes orders under the
limits, so a target weight is often not what the book holds. To name the
limit that bound, each session is planned again from the run's own
artifacts -- its targets, the positions and equity at that close, the raw
closes -- once with the run's limits and once with each limit relaxed in
turn: a limit binds when relaxing it alone changes the planned quantities.
Using the planner itself (never a copy of its rules) keeps the answer true
when the planner changes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from aurora_e2d.engine.orderplan import Target, plan_orders
from aurora_e2d.research.decisions import STRATEGY
from aurora_safety import BOOK_LIMITS, Limits, limit_label

__all__ = ["LIMITS", "Binding", "binding_limits"]

# The limits that size the book (per-order limits only clip one order), in the planner's order:
# declared once, in aurora_safety, with the names people read.
LIMITS = tuple((limit_label(field), field) for field in BOOK_LIMITS)
_RELAXED_USD = 1e15  # "no limit" for the what-if plan only; a run's limits are always finite


@dataclass(frozen=True, slots=True)
class Binding:
    """Per planned session, the limits that changed the plan (empty: targets were reachable)."""

    dates: list[date]
    binding: list[tuple[str, ...]]
    limits: dict[str, float]  # field -> USD, as configured

    def counts(self) -> dict[str, int]:
        found = Counter(name for names in self.binding for name in names)
        return {name: found.get(name, 0) for name, _ in LIMITS}

    def first(self) -> list[str | None]:
        """The first binding limit of each session, in the planner's order (None when none bound)."""
        return [names[0] if names else None for names in self.binding]


def _quantities(orders: Sequence) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for order in orders:
        totals[order.symbol] += order.quantity * order.side.sign
    return dict(totals)


def binding_limits(
    *,
    decisions: pl.DataFrame,
    equity: pl.DataFrame,
    positions: pl.DataFrame,
    bars: pl.DataFrame,
    limits: Limits,
    offset_bps: float,
    last_session: date | None = None,
) -> Binding:
    """Every committed session but ``last_session`` (it places no orders), planned again."""
    days = [d for d in equity.sort("date")["date"].to_list() if d != last_session]
    targets: dict[date, list[Target]] = defaultdict(list)
    for day, symbol, weight in (
        decisions.filter(pl.col("target_weight") > 0)
        .sort("date", "symbol")
        .select("date", "symbol", "target_weight")
        .iter_rows()
    ):
        targets[day].append(Target(symbol, float(weight)))
    held: dict[date, dict[str, int]] = defaultdict(dict)
    for day, symbol, quantity in (
        positions.filter(pl.col("quantity") != 0).select("date", "symbol", "quantity").iter_rows()
    ):
        held[day][symbol] = int(quantity)
    wanted = {(d, t.symbol) for d, ts in targets.items() for t in ts} | {
        (d, s) for d, book in held.items() for s in book
    }
    needed = pl.DataFrame(list(wanted), schema={"date": pl.Date, "symbol": pl.String}, orient="row")
    closes: dict[date, dict[str, float]] = defaultdict(dict)
    for day, symbol, close in (
        bars.select("date", "symbol", "close").join(needed, on=["date", "symbol"], how="inner").iter_rows()
    ):
        closes[day][symbol] = float(close)
    equity_by_day = dict(equity.select("date", "equity").iter_rows())
    configured = {field: float(getattr(limits, field)) for _, field in LIMITS}

    def plan(day: date, with_limits: Limits) -> dict[str, int]:
        return _quantities(
            plan_orders(
                strategy=STRATEGY,
                session=day,
                targets=targets.get(day, []),
                closes=closes.get(day, {}),
                positions=held.get(day, {}),
                equity_usd=float(equity_by_day[day]),
                limits=with_limits,
                offset_bps=offset_bps,
            )
        )

    relaxed = [(name, limits.model_copy(update={field: _RELAXED_USD})) for name, field in LIMITS]
    binding = []
    for day in days:
        actual = plan(day, limits)
        binding.append(tuple(name for name, loose in relaxed if plan(day, loose) != actual))
    return Binding(days, binding, configured)
