"""The tear-sheet sections of report.html: plain tables built from the numbers of the other modules.

Every function returns an HTML fragment; every value is escaped or a number
formatted here. Tables stay short at any universe size: the top rows, then
one line for the rest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from aurora_e2d.report import _html as h
from aurora_e2d.report.benchmarks import Figures
from aurora_e2d.report.exposure import LIMITS, Binding
from aurora_e2d.report.tearsheet import DrawdownPeriod, MonthlyReturns
from aurora_e2d.report.trades import CostYear, Trade, TradeStats

__all__ = [
    "TOP_TRADES",
    "advances",
    "benchmarks",
    "blessing",
    "costs",
    "drawdowns",
    "exposure_limits",
    "monthly",
    "trades",
]

TOP_TRADES = 20
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def pct(value: float | None, decimals: int = 2) -> str:
    return "n/a" if value is None or value != value else f"{value * 100:.{decimals}f}%"


def num(value: float | None, decimals: int = 2) -> str:
    return "n/a" if value is None or value != value or abs(value) == float("inf") else f"{value:.{decimals}f}"


def usd(value: float) -> str:
    return f"{value:+,.0f}"


def _signed_cell(value: float | None) -> str:
    if value is None:
        return ""
    cls = "pos" if value > 0 else "neg" if value < 0 else ""
    return f'<span class="{cls}">{pct(value, 1)}</span>'


def benchmarks(rows: Sequence[Figures], held: Sequence[str], sessions: int) -> str:
    body = [
        (
            f"<b>{escape(r.name)}</b>",
            pct(r.annual_return),
            pct(r.annual_volatility),
            f'<span data-bench="{escape(r.name)}">{num(r.sharpe_ratio)}</span>',
            pct(r.max_drawdown),
            num(r.beta),
            pct(r.alpha),
        )
        for r in rows
    ]
    table = h.table(
        ("", "annual return", "volatility", "Sharpe", "max drawdown", "beta", "alpha"), body, "num-right"
    )
    return table + (
        f"<p class='caption'>All over the same {sessions:,} sessions (empyrical definitions: 252 sessions a "
        "year, risk-free rate 0). <b>Equal-weight</b>: every symbol with a close on both ends of a session "
        "in equal weight, rebalanced daily. <b>Buy-and-hold</b>: equal dollars at the first session in the "
        f"{len(held)} symbols trading then ({escape(', '.join(held[:10]))}{' …' if len(held) > 10 else ''}), "
        "never traded again; symbols that list later never join, a symbol whose data ends is held as cash. "
        "Both on total-return closes, without costs. Beta and alpha (annualised) are against equal-weight. "
        "<b>Before costs</b>: the same decisions held close to close without commissions, slippage or "
        "unfilled limits, under the same position caps and over the same sessions.</p>"
    )


def monthly(table: MonthlyReturns) -> str:
    rows = [
        (
            str(year),
            *(_signed_cell(v) for v in table.by_month[year]),
            f"<b>{_signed_cell(table.by_year[year])}</b>",
        )
        for year in table.years
    ]
    return h.table(("year", *_MONTHS, "year"), rows, "num-right monthly") + (
        "<p class='caption'>Compounded daily returns after costs per calendar month and year (a partial "
        "first or last year covers only its sessions).</p>"
    )


def drawdowns(periods: Sequence[DrawdownPeriod]) -> str:
    if not periods:
        return "<p>Equity never fell below a previous high.</p>"
    rows = [
        (
            str(rank),
            p.peak.isoformat(),
            p.trough.isoformat(),
            p.recovery.isoformat() if p.recovery else "not recovered",
            pct(p.depth),
            f"{p.sessions:,}",
        )
        for rank, p in enumerate(periods, start=1)
    ]
    return h.table(("#", "peak", "trough", "recovery", "depth", "sessions"), rows, "num-right") + (
        "<p class='caption'>The deepest falls from a running high, each from its peak through its trough "
        "to the first close back at the peak (length in sessions from peak to recovery, or to the end).</p>"
    )


def trades(all_trades: Sequence[Trade], stats: TradeStats) -> str:
    if not all_trades:
        return "<p>No position was ever held.</p>"
    shown = sorted(all_trades, key=lambda t: (-abs(t.pnl_usd), t.symbol, t.entry))[:TOP_TRADES]
    rows = [
        (
            escape(t.symbol),
            t.entry.isoformat(),
            t.exit.isoformat() if t.exit else "open",
            f"{t.sessions:,}",
            f"{t.peak_notional_usd:,.0f}",
            usd(t.pnl_usd),
            pct(t.return_on_peak),
        )
        for t in shown
    ]
    table = h.table(
        ("symbol", "entry", "exit", "sessions", "peak notional USD", "P&L USD", "on peak notional"),
        rows,
        "num-right",
    )
    factor = "∞" if stats.profit_factor == float("inf") else num(stats.profit_factor)
    return table + (
        f"<p class='caption'>The {len(shown)} largest of {stats.count:,} trades by |P&amp;L|. A trade is one "
        "holding episode of a symbol, from the session its position opens to the session it is flat again; "
        "its P&amp;L (fills, commissions, dividends, the mark of what is still held) is the change in the "
        f"symbol's cumulative P&amp;L over the episode. Winners {stats.winners:,} ({pct(stats.win_rate, 1)}); "
        f"gross profit {stats.gross_profit_usd:,.0f} USD, gross loss {stats.gross_loss_usd:,.0f} USD, "
        f"profit factor {factor}.</p>"
    )


def costs(years: Sequence[CostYear], frictionless_return: float | None, after_return: float | None) -> str:
    if not years:
        return "<p>No fill, no cost.</p>"
    rows = [
        (
            "<b>whole run</b>" if y.year == 0 else str(y.year),
            f"{y.fills:,}",
            f"{y.traded_usd:,.0f}",
            f"{y.commission_usd:,.0f}",
            f"{y.slippage_usd:,.0f}",
            f"{y.total_usd:,.0f}",
            num(y.bps_of_traded, 1),
        )
        for y in years
    ]
    table = h.table(
        ("year", "fills", "traded USD", "commission USD", "slippage USD", "total USD", "bps of traded"),
        rows,
        "num-right",
    )
    gap = (
        ""
        if frictionless_return is None or after_return is None
        else f" Annual return of the idealised close-to-close book {pct(frictionless_return)}, of this run "
        f"{pct(after_return)}: the gap is not the costs alone, it also holds timing (fills at the next open, "
        "not the decision close), unfilled limits and clipped orders, so it can have either sign."
    )
    return table + (
        "<p class='caption'>Commission as booked with each fill; slippage = how far the fill price moved "
        "from the raw open of the fill session against the order (a buy pays above the open, a sell gets "
        f"below it).{gap}</p>"
    )


def exposure_limits(binding: Binding, planned: int) -> str:
    counts = binding.counts()
    rows = [
        (
            escape(name),
            f"<code>{escape(field)}</code>",
            f"{binding.limits[field]:,.0f}",
            f'<span data-binding="{escape(name)}">{counts[name]:,}</span>',
            pct(counts[name] / planned if planned else None, 1),
        )
        for name, field in LIMITS
    ]
    free = sum(1 for names in binding.binding if not names)
    return h.table(
        ("limit", "config", "USD", "sessions it capped", "of planned sessions"), rows, "num-right"
    ) + (
        f"<p class='caption'>Each of the {planned:,} sessions that planned orders was planned again with each "
        "limit lifted in turn: a limit capped the book when lifting it alone changes the planned quantities "
        f"(the planner's own code, at its headroom). {free:,} sessions reached their targets uncapped. "
        "Limits are in USD, so as equity grows a fixed position cap holds a shrinking fraction of it.</p>"
    )


def _identity_rows(label: str, ident: Mapping[str, Any]) -> list[tuple[str, str]]:
    keys = ("run_id", "status", "config_hash", "manifest_sha256", "snapshot_lock_sha256", "git_revision")
    return [(f"{label} {k.replace('_', ' ')}", f"<code>{escape(str(ident.get(k)))}</code>") for k in keys]


def blessing(data: Mapping[str, Any]) -> str:
    verdict = "blessed" if data.get("blessed") else "NOT blessed"
    checks = data.get("checks", [])
    rows = [
        (
            f"<code>{escape(str(c.get('name')))}</code>",
            h.badge("pass" if c.get("passed") else "FAIL"),
            escape(str(c.get("requirement", ""))),
            escape(str(c.get("message", ""))),
        )
        for c in checks
        if isinstance(c, Mapping)
    ]
    ident = h.table(
        ("run", "identity"),
        _identity_rows("candidate", data.get("candidate", {}))
        + _identity_rows("champion", data.get("champion", {})),
        "kv",
    )
    thresholds = escape(json.dumps(data.get("thresholds", {}), indent=2, sort_keys=True))
    return (
        f"<p id='blessing-verdict'>Verdict: {h.badge(verdict)} &middot; "
        f"{sum(1 for c in checks if isinstance(c, Mapping) and c.get('passed'))} of {len(checks)} checks pass</p>"
        + h.table(("check", "result", "what it requires", "evidence"), rows)
        + ident
        + f"<details><summary>thresholds ([bless], from {escape(str(data.get('thresholds_source')))})"
        f"</summary><pre>{thresholds}</pre></details>"
        + "<p class='caption'>From <code>blessing.json</code>, written by <code>aurora bless</code>: the "
        "candidate (this run) against the champion over the same sessions, after costs; the criteria and "
        "their margins are argued in <code>docs/adr/0006-blessing-criteria.md</code>.</p>"
    )


def advances(entries: Sequence[Any]) -> str:
    rows = [
        (
            str(a.seq),
            escape(a.when),
            escape(str(a.data.get("after_session", ""))),
            escape(str(a.data.get("last_session", ""))),
            escape(
                ", ".join(
                    f"{k}={v}"
                    for k, v in sorted(a.data.items())
                    if k not in ("after_session", "last_session")
                )
            ),
        )
        for a in entries
    ]
    return h.table(("#", "when (UTC)", "after session", "through session", "details"), rows) + (
        "<p class='caption'>Each <code>aurora advance</code> of this run (daily operation), from the "
        "journal's run events: the run continued with a newer snapshot and processed only new sessions.</p>"
    )
