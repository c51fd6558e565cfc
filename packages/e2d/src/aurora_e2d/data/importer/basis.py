"""The price basis when the user does not name one (``--price-basis auto``): inferred from the data, and said.

Evidence, in order:

- a symbol with its own split column (yfinance's ``Stock Splits``, zipline's
  ``split``) whose Close does not drop at its splits has split-adjusted
  prices, as Yahoo serves them: its prices, volume and dividends are
  restored to traded units (times, or for volume divided by, the product of
  the later splits), so positions are real share counts and the snapshot is
  ``raw``;
- Adj Close / Close moving like a split (2:1 ...) on some symbol: Close is the
  traded price, ``raw``;
- reading Close as traded prices fails (a dividend that rounds to nothing,
  as a split-adjusted one does) but reading it as split-adjusted works:
  ``split_adjusted`` (Yahoo);
- no split shows and both readings work: the prices are the same either
  way; ``raw`` (dividends to the cent), and the note names the flag for the
  other reading.

An explicit ``--price-basis`` always wins; its refusal then names the other.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aurora_e2d.core.errors import InputError
from aurora_e2d.data.importer.adjust import PriceBasis, build_tables, spans
from aurora_e2d.data.importer.combine import Combined

__all__ = ["AUTO", "Resolved", "parse_requested", "resolve_basis"]

AUTO = "auto"
_LISTED = 3  # evidence quoted per note


@dataclass(frozen=True, slots=True)
class Resolved:
    """The basis used, the two tables built with it, and what was assumed to get there."""

    basis: PriceBasis
    prices: pa.Table
    actions: pa.Table
    notes: tuple[str, ...]  # snapshot-wide assumptions
    restored: dict[str, int]  # symbol -> splits its prices were restored across (yfinance style)


def parse_requested(value: str | PriceBasis) -> PriceBasis | None:
    """``None`` for ``auto``; else the named basis (``InputError`` for anything else)."""
    if str(value) == AUTO:
        return None
    try:
        return PriceBasis(value)
    except ValueError:
        allowed = ", ".join([AUTO, *(m.value for m in PriceBasis)])
        raise InputError.bad_value("--price-basis", f"one of {allowed}", value) from None


def _restore(c: Combined) -> tuple[Combined, dict[str, int]]:
    """Split-adjusted symbols with split columns, back in traded units (see the module docstring)."""
    mult = np.ones(len(c.date))
    restored: dict[str, int] = {}
    for start, stop in spans(c.symbol):
        symbol = str(c.names[c.symbol[start]])
        if c.actions_from[symbol] != "columns":
            continue
        split = c.split[start:stop]
        at = np.flatnonzero(~np.isnan(split) & (split != 0.0) & (split != 1.0))
        at = at[at > 0]
        if not len(at):
            continue
        close = c.prices["close"][start:stop]
        jump = np.log(close[at] / close[at - 1])
        adjusted = np.abs(jump) < np.abs(jump + np.log(split[at]))
        if not adjusted.all():
            if adjusted.any():  # one series cannot be both: name the first split that disagrees
                i = start + int(at[np.flatnonzero(~adjusted)[0]])
                raise InputError(
                    c.where(i),
                    f"{symbol} {c.date[i]}: Close drops by the {c.split[i]:g} split here but not at "
                    f"{c.date[start + int(at[np.flatnonzero(adjusted)[0]])]}; name the basis with --price-basis",
                )
            continue  # Close drops at its splits: traded prices already
        ratio = np.where(np.isin(np.arange(stop - start), at), split, 1.0)
        later = np.ones(stop - start)
        later[:-1] = np.cumprod(ratio[::-1])[::-1][1:]
        mult[start:stop] = later
        restored[symbol] = len(at)
    if not restored:
        return c, restored
    prices = {k: v * mult for k, v in c.prices.items()}
    volume = np.rint(c.volume / mult).astype(np.int64)
    return dataclasses.replace(c, prices=prices, volume=volume, dividend=c.dividend * mult), restored


def _with_hint(exc: InputError) -> InputError:
    return (
        exc
        if "--price-basis split_adjusted" in exc.problem
        else InputError(
            exc.subject,
            f"{exc.problem} (if Close is split-adjusted, as Yahoo's is, use --price-basis split_adjusted)",
        )
    )


def _split_evidence(actions: pa.Table, symbols: list[str]) -> list[str]:
    splits = actions.filter(
        pc.and_(
            pc.equal(actions.column("kind"), "split"), pc.is_in(actions.column("symbol"), pa.array(symbols))
        )
    ).to_pylist()
    return [f"{a['symbol']} {a['ex_date']} x{a['split_ratio']:g}" for a in splits]


def _listed(items: list[str]) -> str:
    return ", ".join(items[:_LISTED]) + (f" and {len(items) - _LISTED} more" if len(items) > _LISTED else "")


def resolve_basis(c: Combined, requested: PriceBasis | None) -> Resolved:
    """Build the tables with ``requested``, or with the basis the data shows (``None``: auto)."""
    if requested is not None:
        try:
            prices, actions = build_tables(c, requested)
        except InputError as exc:
            raise _with_hint(exc) if requested is PriceBasis.RAW else exc from None
        return Resolved(requested, prices, actions, (), {})
    c, restored = _restore(c)
    notes = []
    if restored:
        notes.append(
            f"Close was split-adjusted in {_listed(sorted(restored))} (no drop at the split column's "
            "splits): prices, volume and dividends restored to traded units with those splits"
        )
    derived = sorted(s for s, kind in c.actions_from.items() if kind == "adj_close")
    raw_error = None
    try:
        prices, actions = build_tables(c, PriceBasis.RAW)
    except InputError as exc:
        raw_error = exc
    if not derived or any(kind == "columns" for kind in c.actions_from.values()):
        if raw_error is not None:
            raise _with_hint(raw_error)
        why = (
            "traded prices"
            + (" (restored as below)" if restored else "")
            + (" (some symbols carry split columns)" if derived else "")
        )
        return Resolved(
            PriceBasis.RAW,
            prices,
            actions,
            (f"price basis raw (inferred): Close read as {why}", *notes),
            restored,
        )
    if raw_error is None:
        evidence = _split_evidence(actions, derived)
        note = (
            f"price basis raw (inferred): Adj Close / Close moves like a split ({_listed(evidence)})"
            if evidence
            else "price basis raw (inferred): Adj Close / Close shows no split and reading Close as "
            "traded prices works; if Close is split-adjusted (as Yahoo's is), pass --price-basis "
            "split_adjusted (the same prices; dividends then keep full precision)"
        )
        return Resolved(PriceBasis.RAW, prices, actions, (note, *notes), restored)
    try:
        sa_prices, sa_actions = build_tables(c, PriceBasis.SPLIT_ADJUSTED)
    except InputError:
        raise _with_hint(raw_error) from None
    why = f"read as traded prices it fails ({raw_error.problem.split(';')[0]})"  # no path: the lock keeps it
    note = f"price basis split_adjusted (inferred): Close read as split-adjusted, as Yahoo's is; {why}"
    return Resolved(PriceBasis.SPLIT_ADJUSTED, sa_prices, sa_actions, (note, *notes), restored)
