"""Which limit capped the book each session: position notional, gross exposure or daily notional.

The planner (``engine.orderplan.plan_orders``) sizes orders under the
limits, so a target weight is often not what the book holds. To name the
limit that bound, each session is planned again from the run's own
artifacts -- its targets, the positions and equity at that close, the raw
closes -- once with the run's limits and once with each limit relaxed in
turn: a limit binds when relaxing it alone changes the planned quantities.
Using the planner itself (never a copy of its rules) keeps the answer true
when the planner changes.

Planning every session four times is most of a report's cost at scale (half
of it at 500 symbols), and an evening adds one session to a history whose
answers are known: each session's answer is remembered with a digest of
everything its plans read (targets, positions, closes, equity, the limits,
the offset, the code version), and reused only while that digest holds.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from aurora_e2d.engine.orderplan import Target, plan_orders
from aurora_e2d.research.decisions import STRATEGY
from aurora_safety import BOOK_LIMITS, Limits, limit_label

__all__ = ["LIMITS", "Binding", "binding_limits"]

# The limits that size the book (per-order limits only clip one order), in the planner's order:
# declared once, in aurora_safety, with the names people read.
LIMITS = tuple((limit_label(limit), limit) for limit in BOOK_LIMITS)
_RELAXED_USD = 1e15  # "no limit" for the what-if plan only; a run's limits are always finite


@dataclass(frozen=True, slots=True)
class Binding:
    """Per planned session, the limits that changed the plan (empty: targets were reachable)."""

    dates: list[date]
    binding: list[tuple[str, ...]]
    limits: dict[str, float]  # field -> USD, as configured
    # per session (ISO date): [digest of what its plans read, the binding names]; see the module doc
    memo: dict[str, list] = field(default_factory=dict, compare=False)

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


def _digest(common: str, targets: Sequence[Target], closes: Mapping, held: Mapping, equity: float) -> str:
    payload = [common, [(t.symbol, t.weight) for t in targets], sorted(closes.items()), sorted(held.items())]
    blob = json.dumps([*payload, equity], separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


def binding_limits(
    *,
    decisions: pl.DataFrame,
    equity: pl.DataFrame,
    positions: pl.DataFrame,
    bars: pl.DataFrame,
    limits: Limits,
    offset_bps: float,
    last_session: date | None = None,
    known: Mapping[str, Sequence] | None = None,
    code_version: str = "",
) -> Binding:
    """Every committed session but ``last_session`` (it places no orders), planned again -- or
    taken from ``known`` (a previous ``Binding.memo``) where the session's digest is unchanged."""
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
    configured = {limit: float(getattr(limits, limit)) for _, limit in LIMITS}

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

    relaxed = [(name, limits.model_copy(update={limit: _RELAXED_USD})) for name, limit in LIMITS]
    common = json.dumps([code_version, limits.model_dump(mode="json"), offset_bps], sort_keys=True)
    binding, memo = [], {}
    for day in days:
        digest = _digest(
            common, targets.get(day, []), closes.get(day, {}), held.get(day, {}), equity_by_day[day]
        )
        remembered = (known or {}).get(day.isoformat())
        if remembered is not None and len(remembered) == 2 and remembered[0] == digest:
            names = tuple(str(n) for n in remembered[1])
        else:
            actual = plan(day, limits)
            names = tuple(name for name, loose in relaxed if plan(day, loose) != actual)
        binding.append(names)
        memo[day.isoformat()] = [digest, list(names)]
    return Binding(days, binding, configured, memo)
