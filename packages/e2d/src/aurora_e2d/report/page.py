"""``report.html``: one self-contained page that explains a run to someone who has not read the code.

Inline SVG plots (matplotlib, Agg/SVG, fixed hash salt, no dates), inline CSS
and one line of inline JS; no network, no external fonts. The bytes depend
only on the run directory, the repo's goldens and gate reports, and the path
of the run (it appears in the resume command).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from aurora_e2d.report import _data as data
from aurora_e2d.report import _events as events_
from aurora_e2d.report import _html as h
from aurora_e2d.report import _numbers as nums
from aurora_e2d.report import _plots as plots
from aurora_e2d.report import _repo as repo_files
from aurora_e2d.report import _sections as sections
from aurora_e2d.report import sizing
from aurora_e2d.report.tearsheet import ROLLING_SESSIONS
from aurora_e2d.report.trades import trade_stats
from aurora_e2d.rundir.artifacts import atomic_write_bytes
from aurora_e2d.rundir.config import RunConfig
from aurora_e2d.rundir.layout import BLESSING_FILE, MANIFEST_FILE, REPORT_FILE, SUMMARY_FILE
from aurora_e2d.rundir.readers import load_run_config

__all__ = ["REPORT", "format_metric", "render_report", "write_report"]

REPORT = REPORT_FILE
BLESSING = BLESSING_FILE
_PERCENT = {"annual_return", "annual_volatility", "max_drawdown", "turnover", "hit_rate", "fill_rate"}
_FOUR_DECIMALS = {"ic"}
# name -> what it means, in one line for a reader who has not read the code (empyrical definitions).
HEADLINE = {
    "annual_return": "compound annual growth of equity (252 sessions a year)",
    "annual_volatility": "standard deviation of daily returns x sqrt(252)",
    "sharpe_ratio": "annualised mean / volatility of daily returns (risk-free 0)",
    "sortino_ratio": "like Sharpe, but only downside volatility counts",
    "max_drawdown": "worst fall from a running equity peak",
    "calmar_ratio": "annual return / |max drawdown|",
    "turnover": "average traded value per session, as a fraction of equity",
    "hit_rate": "fraction of sessions with a positive return",
    "ic": "information coefficient: rank correlation of predictions with next returns",
    "fill_rate": "filled orders / all orders (the rest expired or were cancelled/rejected)",
}


def format_metric(name: str, value: Any) -> str:
    """How the report prints a summary metric: percentages for return-like ones, else 2 or 4 decimals."""
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return "n/a"
    if name in _PERCENT:
        return f"{value * 100:.2f}%"
    if name in _FOUR_DECIMALS:
        return f"{value:.4f}"
    return f"{value:.2f}"


def _repo(repo_root: Path | None) -> Path | None:
    if repo_root is not None:
        return repo_root
    from aurora_e2d.core.errors import InputError
    from aurora_e2d.core.paths import repo_root as find

    try:
        return find()
    except InputError:
        return None  # outside the repository: no goldens, no gate reports


YEAR_SESSIONS = 252  # empyrical's periods a year: a shorter span annualises by extrapolation
_ANNUALISED = {"annual_return", "annual_volatility", "sharpe_ratio", "sortino_ratio", "calmar_ratio"}
REFERENCE = nums.IDEALISED


def _headline(
    summary: Mapping[str, Any],
    goldens: repo_files.Goldens,
    frictionless: Mapping[str, Any],
    s: data.Series | None,
) -> str:
    metrics = summary.get("metrics", {})
    rows = []
    short = s is not None and len(s.dates) - 1 < YEAR_SESSIONS
    if s is not None and short:
        total = s.equity[-1] / s.equity[0] - 1.0
        rows.append(
            (
                "<b>total_return</b><div class='small'>equity growth over the whole span (not annualised)</div>",
                f'<span class="num" data-metric="total_return">{total * 100:.2f}%</span>',
                "",
                "—",
                "—",
                h.badge("no golden"),
            )
        )
    for name, meaning in HEADLINE.items():
        value = metrics.get(name)
        golden = goldens.metrics.get(name)
        before = frictionless.get(name)
        note = ""
        if short and name in _ANNUALISED:
            note = f"<div class='small extrapolated'>extrapolated: annualised from {len(s.dates) - 1} sessions</div>"  # type: ignore[union-attr]
        rows.append(
            (
                f"<b>{escape(name)}</b><div class='small'>{escape(meaning)}</div>{note}",
                f'<span class="num" data-metric="{escape(name)}">{format_metric(name, value)}</span>',
                format_metric(name, before) if before is not None else "",
                format_metric(name, golden.value) if golden and golden.value is not None else "—",
                f"{format_metric(name, golden.tolerance)} ({golden.direction} is better)" if golden else "—",
                h.badge(golden.verdict(value) if golden else "no golden"),
            )
        )
    table = h.table(("metric", "this run", REFERENCE, "golden", "tolerance", "ratchet"), rows, "metrics")
    sessions = summary.get("sessions", {})
    partial = ""
    if sessions.get("done") != sessions.get("total"):
        partial = (
            f"<b>The run stopped after {sessions.get('done')} of {sessions.get('total')} sessions</b>: "
            "the metrics cover only those, and annualised figures over a short span mean little. "
        )
    if short:
        partial += (
            f"<b>The span is under a year ({len(s.dates) - 1} sessions)</b>: total_return is what happened; "  # type: ignore[union-attr]
            "annualised figures are extrapolated from it and marked so. "
        )
    return (
        f"{table}<p class='caption'>{partial}Metrics from <code>summary.json</code> (after commissions and slippage); "
        f"&ldquo;{REFERENCE}&rdquo; is another execution model, not this run without costs: the same "
        "decisions held at their target weights from one close to the next (no next-open fills, unfilled "
        "limits, order clips or cash), over the same sessions and under the same position caps (see "
        "Benchmarks), so it can be above or below this run. Golden values and tolerances: "
        f"{escape(goldens.note)}; a metric passes when it is not worse than its golden by more than the "
        "tolerance (absolute, in the metric's unit); &ldquo;no golden&rdquo; means none applies to this run.</p>"
    )


def _cards(summary: Mapping[str, Any], s: data.Series | None) -> str:
    m = summary.get("metrics", {})
    sessions = summary.get("sessions", {})
    cards = [
        ("status", escape(str(summary.get("status", "?")))),
        ("sessions", f"{sessions.get('done', '?')} / {sessions.get('total', '?')}"),
    ]
    if s is not None:
        cards += [
            ("final equity", f"${s.equity[-1]:,.0f}"),
            ("total return", f"{s.equity[-1] / s.equity[0] - 1:.2%}"),
        ]
    short = s is not None and len(s.dates) - 1 < YEAR_SESSIONS
    for name in ("annual_return", "sharpe_ratio", "max_drawdown", "fill_rate"):
        label = name.replace("_", " ") + (" (extrapolated)" if short and name in _ANNUALISED else "")
        cards.append((label, format_metric(name, m.get(name))))
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="k">{k}</div><div class="v">{v}</div></div>' for k, v in cards
        )
        + "</div>"
    )


def _equity_and_exposure(s: data.Series, n: nums.Numbers, colors: Mapping[str, str]) -> list[str]:
    start, end = s.dates[0].isoformat(), s.dates[-1].isoformat()
    long_only = "; the book is long-only, so the two lines coincide" if bool((s.net == s.gross).all()) else ""
    weekly = ", averaged over each calendar week (daily values in positions.parquet)" if s.weekly else ""
    named = f"the {len(s.top)} largest contributors by |P&amp;L|" + (
        f", the other {len(s.symbols) - len(s.top):,} symbols summed as &ldquo;others&rdquo;"
        if len(s.symbols) > len(s.top)
        else ""
    )
    wtitle = "Weight of each symbol" + (" (weekly mean)" if s.weekly else "")
    binding = ([], []) if n.binding is None else (n.binding.dates, n.binding.first())
    limits = "" if n.binding is None else sections.exposure_limits(n.binding, len(n.binding.dates))
    return [
        "<h2 id='equity'>Equity and drawdown</h2>",
        h.figure(
            plots.equity_figure(s.dates, s.equity, n.curves),
            f"Top: account equity (cash + positions at the close) over {len(s.dates):,} sessions, {start} to "
            f"{end}, after commissions and slippage; the dotted line is the starting equity. The dashed and "
            "dotted lines are references, not the strategy: equal-weight and buy-and-hold of the same universe "
            "from the same starting equity, on total-return closes, without costs (see Benchmarks). Bottom: "
            "how far equity is below its highest value so far.",
        ),
        "<h2 id='exposure'>Exposure, weights and the binding limit</h2>",
        h.figure(
            plots.exposure_figure(
                s.dates, s.gross, s.net, binding, s.weight_dates, s.weight_values, colors, wtitle
            ),
            "Top: gross exposure (sum of |position value|) and net exposure (longs minus shorts) as a fraction "
            f"of equity at each close{long_only}; shaded: the limit that capped the planned book that session. "
            "Above 100% the account is borrowing (negative cash), e.g. when a sell expired unfilled but the buy "
            f"replacing it filled. Bottom: the weight (quantity &times; closing mark / equity) of {named}, "
            f"stacked{weekly}; the space up to 100% is cash.",
        ),
        limits,
    ]


def _pnl(s: data.Series, colors: Mapping[str, str]) -> list[str]:
    if not s.pnl:
        return []
    shown = s.top
    rows = [
        (
            escape(sym),
            *(f"{s.pnl_parts[sym][k]:+,.0f}" for k in ("trading", "dividends", "commissions", "total")),
            f"{s.pnl_parts[sym]['total'] / s.equity[0]:+.2%}",
        )
        for sym in shown
    ]
    rest = [p for sym, p in s.pnl_parts.items() if sym not in shown]
    if rest:
        sums = {k: sum(p[k] for p in rest) for k in ("trading", "dividends", "commissions", "total")}
        rows.append(
            (
                f"others ({len(rest):,} symbols)",
                *(f"{sums[k]:+,.0f}" for k in ("trading", "dividends", "commissions", "total")),
                f"{sums['total'] / s.equity[0]:+.2%}",
            )
        )
    total = sum(p["total"] for p in s.pnl_parts.values())
    return [
        "<h2 id='pnl'>P&amp;L by symbol</h2>",
        h.figure(
            plots.pnl_figure(s.dates, s.grouped(s.pnl), colors),
            "Definition: P&amp;L of a symbol up to a session = cash received from its sells &minus; cash paid "
            "for its buys (at fill prices, so slippage is included) &minus; its commissions + its dividends "
            "and cash in lieu + the position still held &times; that session's closing mark. It is realised "
            "plus unrealised P&amp;L; the symbols sum to the change in equity. Named: the largest "
            "contributors by |P&amp;L|; &ldquo;others&rdquo; sums the rest.",
        ),
        h.table(
            ("symbol", "trading USD", "dividends USD", "commissions USD", "total USD", "of start equity"),
            rows,
            "num-right",
        ),
        f"<p class='caption'>Sum over symbols {total:+,.0f} USD; equity change "
        f"{s.equity[-1] - s.equity[0]:+,.0f} USD.</p>",
    ]


def _plots(s: data.Series, n: nums.Numbers, summary: Mapping[str, Any]) -> str:
    colors = plots.symbol_colors([*s.top, data.OTHERS])
    out = _equity_and_exposure(s, n, colors)
    out += [
        "<h2 id='benchmarks'>Benchmarks: the strategy against holding its universe</h2>",
        sections.benchmarks(n.figures, n.held, len(s.returns)),
        h.figure(
            plots.rolling_sharpe_figure(s.dates, n.rolling, ROLLING_SESSIONS),
            f"Sharpe ratio of each trailing {ROLLING_SESSIONS} sessions (half a year), same definition as the "
            "headline, for the strategy after costs and both baselines: a steady edge stays above the "
            "baselines, a lucky one spikes once.",
        ),
        "<h2 id='monthly'>Monthly returns</h2>",
        sections.monthly(n.monthly),
        "<h2 id='drawdowns'>Drawdown periods</h2>",
        sections.drawdowns(n.drawdowns),
    ]
    out += _pnl(s, colors)
    out += [
        "<h2 id='trades'>Trades</h2>",
        sections.trades(n.trades, trade_stats(n.trades)),
        "<h2 id='costs'>Costs</h2>",
        sections.costs(
            n.costs, n.frictionless.get("annual_return"), summary.get("metrics", {}).get("annual_return")
        ),
    ]
    if s.months:
        totals = ", ".join(f"{k.lower()} {v:,}" for k, v in sorted(s.order_totals.items()))
        out += [
            "<h2 id='fills'>Fills and expiries</h2>",
            h.figure(
                plots.fills_figure(s.months, s.month_counts, s.month_fill_rate),
                "Bars: orders placed in each month by how they ended: a limit order whose price is not reached "
                "expires unfilled. Line (right axis): the month's fill rate = filled / all "
                f"orders. Whole run: {escape(totals)}.",
            ),
        ]
    return "\n".join(out)


def _blessing(run_dir: Path) -> list[str]:
    path = run_dir / BLESSING
    if not path.is_file():
        return []
    try:
        blessing = repo_files.read_json(path)
    except (OSError, ValueError):
        return ["<h2 id='blessing'>Blessing</h2>", f"<p>{escape(BLESSING)} is unreadable.</p>"]
    return [
        "<h2 id='blessing'>Blessing: this run as the candidate against the champion</h2>",
        sections.blessing(blessing),
    ]


def _advances(run_dir: Path) -> list[str]:
    entries = events_.advances(run_dir)
    if not entries:
        return []
    return ["<h2 id='advances'>Daily operation: advances</h2>", sections.advances(entries)]


def render_report(
    run_dir: Path,
    repo_root: Path | None = None,
    *,
    config: RunConfig | None = None,
    frictionless: np.ndarray | None = None,
) -> str:
    """The report's HTML text for ``run_dir`` (see ``write_report``)."""
    run_dir = Path(run_dir)
    config = load_run_config(run_dir) if config is None else config
    repo = _repo(repo_root)
    manifest = repo_files.read_json(run_dir / MANIFEST_FILE)
    summary = repo_files.read_json(run_dir / SUMMARY_FILE)
    s = data.series(run_dir)
    n = None if s is None else nums.numbers(run_dir, s, config, frictionless=frictionless)
    events = events_.timeline(run_dir)
    halt = events_.banner(run_dir, summary, events)
    current, stale = repo_files.gate_reports(repo, manifest.get("git_revision"))
    run_id = escape(str(manifest.get("run_id", run_dir.name)))
    span = (
        f"{s.dates[0].isoformat()} → {s.dates[-1].isoformat()}" if s is not None else "no session committed"
    )
    parts = [
        f"<h1>Aurora run report: {run_id}</h1>",
        f"<p class='sub'>{escape(span)} &middot; status {h.badge(str(summary.get('status')))} &middot; "
        f"{escape(str(summary.get('message', '')))}</p>",
    ]
    if halt is not None:
        parts.append(
            f'<div class="banner" id="halt-banner"><h2>{escape(halt.title)}</h2>'
            + "".join(f"<p>{escape(w)}</p>" for w in halt.why)
            + "<p><b>To continue the run</b>, after checking that it is safe, run in this order:</p>"
            + f"<pre>{escape(chr(10).join(halt.commands))}</pre></div>"
        )
    parts += [
        "<nav>" + "".join(f"<a href='#{a}'>{t}</a>" for a, t in h.NAV) + "</nav>",
        _cards(summary, s),
        "<h2 id='metrics'>Headline metrics</h2>",
        _headline(
            summary,
            repo_files.load_goldens(repo, (manifest.get("snapshot_identity") or {}).get("lock_sha256")),
            {} if n is None else n.frictionless,
            s,
        ),
        _plots(s, n, summary)
        if s is not None and n is not None
        else "<p>No committed session yet: nothing to plot.</p>",
        *_blessing(run_dir),
        *_advances(run_dir),
        "<h2 id='sizing'>Order sizing and universe</h2>",
        sizing.section(run_dir),
        "<h2 id='timeline'>Timeline: trading state, breakers, kill switch</h2>",
        h.timeline(events),
        "<p class='caption'>From <code>journal.sqlite</code>: every change of trading state "
        "(ACTIVE / REDUCING / HALTED) with its reason, every circuit-breaker trip (with the values that "
        "tripped it) and operator reset, and halts caused by the kill switch.</p>",
        "<h2 id='flags'>Feature flags</h2>",
        h.flags(manifest),
        "<h2 id='manifest'>Manifest: what this run was made of</h2>",
        h.manifest(manifest, summary),
        "<h2 id='gates'>Gate results for this revision</h2>",
        h.gates(current, stale, manifest.get("git_revision")),
        "<p class='caption'>Generated by <code>aurora report</code> from the files of the run directory; "
        "self-contained (no network).</p>",
    ]
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Aurora report {run_id}</title><style>{h.CSS}</style></head>\n"
        f"<body><main>\n{body}\n</main>\n"
        '<script>document.body.dataset.ready = "1";</script>\n</body></html>\n'
    )


def write_report(
    run_dir: Path,
    repo_root: Path | None = None,
    *,
    config: RunConfig | None = None,
    frictionless: np.ndarray | None = None,
) -> Path:
    """Write ``<run_dir>/report.html`` atomically and return its path.

    ``repo_root`` locates ``goldens/metrics.json`` and ``reports/gate-*.json``;
    by default the repository this package runs from (none outside it).
    ``config`` is the run's validated config when the caller holds it (the
    job does); otherwise it is read from the run directory, and an unreadable
    one is an ``InputError``, never silently skipped. ``frictionless`` is the idealised book's
    daily returns when the caller simulated them already (the job, for summary.json): the same
    series this report would simulate from the run directory, not simulated twice.
    """
    path = Path(run_dir) / REPORT
    html = render_report(Path(run_dir), repo_root, config=config, frictionless=frictionless)
    atomic_write_bytes(path, html.encode("utf-8"))
    return path
