"""What one ``aurora route`` did, in a few lines an operator reads on stderr.

The results CSV says what happened to each row; the summary says what
happened to the file: how many orders were accepted, why the others were
refused, and - when a circuit breaker tripped - at which row of ORDERS.csv
and why, because every row after that one met the breaker, not its own
limits.

Use (the CLI side)::

    results = router.route_rows(rows, session, now_ns)
    summary = RouteSummary.of(results, router.trips, source=str(orders_csv))
    for line in summary.format_summary():
        print(line, file=sys.stderr)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from aurora_router.results import RouteAction, RouteResult, format_values
from aurora_safety import BreakerTripped

__all__ = ["RouteSummary", "TripRecord"]


@dataclass(frozen=True, slots=True)
class TripRecord:
    """A breaker trip and the order whose answer tripped it.

    ``line`` is that order's line in ORDERS.csv when it came through
    ``Router.route_rows``, None for orders submitted one by one.
    """

    event: BreakerTripped
    client_order_id: str
    line: int | None


@dataclass(frozen=True, slots=True)
class RouteSummary:
    """Counts of accepted and rejected submits, rejections by reason, and the first trip."""

    source: str
    accepted: int
    rejected: int
    by_reason: tuple[tuple[str, int], ...]  # most frequent first, then by code
    first_trip: TripRecord | None

    @classmethod
    def of(
        cls, results: Iterable[RouteResult], trips: Iterable[TripRecord] = (), *, source: str = ""
    ) -> RouteSummary:
        """Summarise submit results (cancels are not counted) and the trips ``Router.trips`` recorded."""
        accepted = 0
        reasons: Counter[str] = Counter()
        for result in results:
            if result.action is not RouteAction.SUBMIT:
                continue
            if result.accepted:
                accepted += 1
            else:
                reasons[result.reason] += 1
        by_reason = tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0])))
        first = next(iter(trips), None)
        return cls(source, accepted, sum(reasons.values()), by_reason, first)

    def format_summary(self) -> list[str]:
        """Lines for stderr, e.g.::

        orders.csv: 3 accepted, 2 rejected
        orders.csv: rejected by reason: INVALID_ORDER 1, SHORT_SALE 1
        orders.csv:14: breaker consecutive_rejects tripped (HALTED) by order 'x9': 3 consecutive ...
        """
        where = f"{self.source}: " if self.source else ""
        lines = [f"{where}{self.accepted} accepted, {self.rejected} rejected"]
        if self.by_reason:
            counts = ", ".join(f"{reason} {count}" for reason, count in self.by_reason)
            lines.append(f"{where}rejected by reason: {counts}")
        trip = self.first_trip
        if trip is not None:
            event = trip.event
            if trip.line is None:
                at = where
            else:
                at = f"{self.source}:{trip.line}: " if self.source else f"line {trip.line}: "
            text = (
                f"{at}breaker {event.breaker} tripped ({event.action}) by order "
                f"{trip.client_order_id!r}: {event.reason}"
            )
            if event.values:
                text += f" ({format_values(event.values)})"
            lines.append(text)
        return lines
