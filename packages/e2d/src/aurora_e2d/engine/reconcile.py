"""Reconciliation: the runtime's own record against the broker's own view, before any order.

Policy (docs/runbooks/daily-operation.md): at every start -- run, resume,
advance -- after the last committed session, the runtime compares what its
journal says it should hold (the last checkpoint's position and cash
snapshot, and the orders its router had accepted and not seen closed) with
the broker's mass status. Any difference halts trading before the first
order: a ``RECONCILIATION`` state change and an alert, exit 4, nothing
traded. The operator finds the cause (a manual trade at the broker, a lost
fill, a restored backup), fixes the broker or the journal, and runs
`aurora resume`, which reconciles again. Nothing is corrected automatically:
a guess about money is worse than a halt.
"""

from __future__ import annotations

from dataclasses import dataclass

from aurora_broker import Broker, JournalReader

__all__ = ["Mismatch", "reconcile"]


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One difference: what (position, cash, open order), its key, and both sides' values."""

    what: str
    key: str
    journal: object
    broker: object

    def describe(self) -> str:
        return f"{self.what} {self.key}: journal {self.journal!r}, broker {self.broker!r}"


def reconcile(reader: JournalReader, broker: Broker) -> list[Mismatch]:
    """Every difference between the journal's record of the last committed session and the broker."""
    last = reader.last_checkpoint()
    if last is None:
        return []  # nothing committed yet: nothing to compare
    status = broker.mass_status()
    found: list[Mismatch] = []
    if status.as_of != last.session:
        found.append(Mismatch("session", "last processed", last.session.isoformat(), str(status.as_of)))
    expected = {
        p.symbol: p.quantity for p in reader.position_snapshots() if p.session == last.session and p.quantity
    }
    held = {p.symbol: p.quantity for p in status.positions}
    for symbol in sorted(set(expected) | set(held)):
        if expected.get(symbol, 0) != held.get(symbol, 0):
            found.append(Mismatch("position", symbol, expected.get(symbol, 0), held.get(symbol, 0)))
    equity = {s.session: s for s in reader.equity_snapshots()}.get(last.session)
    if equity is not None and equity.cash_cents != status.cash_cents:
        found.append(Mismatch("cash", "USD cents", equity.cash_cents, status.cash_cents))
    accepted = {
        r.client_order_id
        for r in reader.route_results()
        if r.action == "submit" and r.status == "accepted" and r.session == last.session
    }
    cancelled = {r.client_order_id for r in reader.route_results() if r.action == "cancel"}
    expected_open = accepted - cancelled
    broker_open = {o.client_order_id for o in status.open_orders}
    for coid in sorted(expected_open ^ broker_open):
        found.append(Mismatch("open order", coid, coid in expected_open, coid in broker_open))
    return found
