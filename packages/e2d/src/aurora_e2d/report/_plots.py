"""The report's figures: matplotlib (Agg) rendered to inline SVG with fixed ids and no metadata.

Every function takes plain arrays prepared by ``report`` and returns an
``<svg>`` fragment ready to paste into HTML: no XML prolog, no namespace URLs,
ids prefixed per figure so several figures can share one page. The hash salt
and the absence of a date make the bytes depend on the data only.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "equity_figure",
    "exposure_figure",
    "fills_figure",
    "pnl_figure",
    "rolling_sharpe_figure",
    "symbol_colors",
]

_WIDTH_IN = 11.0
_RC = {
    "svg.hashsalt": "aurora-report",  # clip-path/marker ids from content, not from a random salt
    "svg.fonttype": "none",  # text stays text: no embedded glyphs, no external fonts
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e3e6ea",
    "grid.linewidth": 0.7,
    "axes.edgecolor": "#9aa0a6",
    "axes.titlesize": 11.0,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "legend.frameon": False,
    "path.simplify_threshold": 0.2,
}
# Room around the plots, in inches: tick labels such as "-$12.345M" and an axis label on the left;
# the widest legend (outside, right of the plots) on the right; titles above; dates below.
_MARGIN_IN = {"left": 1.05, "right": 2.25, "top": 0.32, "bottom": 0.36}
_GAP_IN = 0.5  # between the plots of one figure: the lower plot's title
_LEGEND_PT = 9.0
_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
# ten distinct colours: one per named (top) symbol; everything else is OTHERS_COLOR
_PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
    "#393b79",
)
OTHERS_COLOR = "#b0b6bd"
_BENCHMARK_STYLES = {"equal-weight": ("#7f8c8d", "--"), "buy-and-hold": ("#a04000", ":")}
_LIMIT_COLORS = {"position notional": "#f9e79f", "gross exposure": "#f5cba7", "daily notional": "#d2b4de"}
_EQUITY = "#1f4e79"
_LOSS = "#c0392b"
_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.S)
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")
_VIEWBOX = re.compile(r'viewBox="[^"]*"')
_PATH_DATA = re.compile(r' d="([^"]*)"')
_DECIMALS = re.compile(r"-?\d+\.\d{2,}")


def _compact(match: re.Match[str]) -> str:
    """Path data at 0.1 pt (the page is 792 pt wide): a third of the bytes, no visible change."""
    d = _DECIMALS.sub(lambda m: f"{float(m.group(0)):.1f}", match.group(1))
    return ' d="' + " ".join(d.split()) + '"'


def symbol_colors(symbols: Sequence[str]) -> dict[str, str]:
    """One stable colour per named symbol (sorted order), shared by every figure; "others" is grey."""
    named = sorted(s for s in symbols if s != "others")
    colors = {s: _PALETTE[i % len(_PALETTE)] for i, s in enumerate(named)}
    return {**colors, "others": OTHERS_COLOR}


def _new(rows: int, height_ratios: Sequence[float], height_in: float) -> tuple[Figure, list]:
    """A figure whose plot area sits at the same fixed margins in every figure (inches, not a layout
    engine): the axes of all figures line up, and the page pays no layout pass per figure."""
    # A bare Figure (no pyplot): no global figure registry, no GUI backend; Agg/SVG canvases only.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(_WIDTH_IN, height_in))
    plot_height = height_in - _MARGIN_IN["top"] - _MARGIN_IN["bottom"] - _GAP_IN * (rows - 1)
    axes = fig.subplots(
        rows,
        1,
        sharex=True,
        squeeze=False,
        gridspec_kw={
            "height_ratios": list(height_ratios),
            "left": _MARGIN_IN["left"] / _WIDTH_IN,
            "right": 1.0 - _MARGIN_IN["right"] / _WIDTH_IN,
            "top": 1.0 - _MARGIN_IN["top"] / height_in,
            "bottom": _MARGIN_IN["bottom"] / height_in,
            "hspace": _GAP_IN / (plot_height / rows),  # matplotlib: a fraction of the mean plot height
        },
    )
    return fig, [row[0] for row in axes]


def _styled(draw):
    """Run a figure builder under the report's rcParams only (the caller's rcParams stay untouched)."""

    def wrapper(*args, **kwargs) -> str:
        import matplotlib

        with matplotlib.rc_context(_RC):
            return draw(*args, **kwargs)

    wrapper.__name__, wrapper.__doc__ = draw.__name__, draw.__doc__
    return wrapper


def _svg(fig: Figure, prefix: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata=_METADATA)
    text = _PROLOG.sub("", buffer.getvalue(), count=1)
    opening = _SVG_OPEN.search(text)
    assert opening is not None, "matplotlib wrote no <svg> element"
    viewbox = _VIEWBOX.search(opening.group(0))
    new_open = f'<svg class="plot" role="img" {viewbox.group(0) if viewbox else ""}>'
    text = text[: opening.start()] + new_open + text[opening.end() :]
    text = _PATH_DATA.sub(_compact, text)
    text = text.replace(' id="', f' id="{prefix}-').replace('href="#', f'href="#{prefix}-')
    return text.replace("url(#", f"url(#{prefix}-").strip()


def _legend(ax, handles: list | None = None, labels: list | None = None, offset: float = 1.01) -> None:
    """Legends sit outside, right of the plot, so they never hide data; every figure shares the width.

    The right margin is fixed, so a label longer than the room left of the figure's edge (a long
    vendor symbol, say) is shortened with an ellipsis rather than cut off by the page."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    room = _label_room_pt(ax, offset)
    fitted = ["\n".join(_fit(line, room) for line in str(label).split("\n")) for label in labels or []]
    ax.legend(
        handles,
        fitted,
        loc="upper left",
        bbox_to_anchor=(offset, 1.0),
        fontsize=_LEGEND_PT,
        borderaxespad=0.0,
    )


def _label_room_pt(ax, offset: float) -> float:
    """Points from where a legend's text starts to the figure's right edge (no drawing needed: the
    axes sit at fixed margins). The legend's padding, handle and gap are its rcParams, in ems."""
    from matplotlib import rcParams

    figure_pt = ax.figure.get_figwidth() * 72.0
    box = ax.get_position()
    ems = sum(float(rcParams[f"legend.{name}"]) for name in ("borderpad", "handlelength", "handletextpad"))
    start = (box.x1 + (offset - 1.0) * box.width) * figure_pt + ems * _LEGEND_PT
    return figure_pt - start - 2.0  # 2 pt to spare


def _fit(text: str, room_pt: float) -> str:
    """``text`` as drawn at the legend's size, shortened with "…" until it is at most ``room_pt`` wide."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    font = FontProperties(family="sans-serif", size=_LEGEND_PT)

    def width(candidate: str) -> float:
        return float(text_to_path.get_text_width_height_descent(candidate, font, ismath=False)[0])

    if width(text) <= room_pt:
        return text
    kept = text
    while kept and width(kept + "…") > room_pt:
        kept = kept[:-1]
    return kept.rstrip() + "…"


def _pct_axis(ax, decimals: int = 0) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=decimals))


def _usd_axis(ax) -> None:
    """Dollar ticks in $M or $k with just enough decimals to print every tick exactly (call after plotting)."""
    from matplotlib.ticker import FuncFormatter

    ticks = [float(t) for t in ax.get_yticks()]
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1e6
    unit, suffix = (1e6, "M") if step >= 1e5 else (1e3, "k") if step >= 100 else (1.0, "")
    decimals = next((d for d in range(4) if all(abs(round(t / unit, d) - t / unit) < 1e-9 for t in ticks)), 3)

    def fmt(value: float, _pos: int) -> str:
        sign = "-" if value < 0 else ""
        return "$0" if value == 0 else f"{sign}${abs(value) / unit:,.{decimals}f}{suffix}"

    ax.yaxis.set_major_formatter(FuncFormatter(fmt))


@_styled
def equity_figure(dates: Sequence[date], equity: np.ndarray, benchmarks: Mapping[str, np.ndarray]) -> str:
    """Equity and the baselines (scaled to the same start) on top, drawdown from the running peak below."""
    fig, (top, bottom) = _new(2, (3.0, 1.3), 5.4)
    top.plot(dates, equity, color=_EQUITY, linewidth=1.4, label="strategy\n(after costs)")
    for name, curve in benchmarks.items():
        color, style = _BENCHMARK_STYLES.get(name, ("#9aa0a6", "--"))
        top.plot(dates, curve, color=color, linewidth=1.0, linestyle=style, label=name)
    top.axhline(equity[0], color="#555555", linewidth=0.6, linestyle=":")
    top.set_title("Equity")
    _legend(top)
    _usd_axis(top)
    peak = np.maximum.accumulate(equity)
    drawdown = equity / peak - 1.0
    bottom.fill_between(dates, drawdown, 0.0, color=_LOSS, alpha=0.35, linewidth=0)
    bottom.plot(dates, drawdown, color=_LOSS, linewidth=0.8)
    worst = int(np.argmin(drawdown))
    bottom.annotate(
        f"max {drawdown[worst]:.1%}",
        (dates[worst], drawdown[worst]),
        xytext=(6, 4),
        textcoords="offset points",
        color=_LOSS,
        fontsize=9,
    )
    bottom.set_title("Drawdown from running peak")
    _pct_axis(bottom)
    return _svg(fig, "eq")


def _limit_spans(ax, dates: Sequence[date], binding: Sequence[str | None]) -> None:
    """Shade each run of consecutive sessions capped by the same limit (one patch per run, not per day)."""
    labelled: set[str] = set()
    start = 0
    for i in range(1, len(binding) + 1):
        if i < len(binding) and binding[i] == binding[start]:
            continue
        name = binding[start]
        if name is not None:
            end = dates[i] if i < len(dates) else dates[-1]
            label = None if name in labelled else f"capped by {name}"
            labelled.add(name)
            ax.axvspan(dates[start], end, color=_LIMIT_COLORS.get(name, "#eeeeee"), linewidth=0, label=label)
        start = i


@_styled
def exposure_figure(
    dates: Sequence[date],
    gross: np.ndarray,
    net: np.ndarray,
    binding: tuple[Sequence[date], Sequence[str | None]],
    weight_dates: Sequence[date],
    weights: Mapping[str, np.ndarray],
    colors: Mapping[str, str],
    weights_title: str,
) -> str:
    """Gross and net exposure over the limit that capped the book; the weights stacked below."""
    fig, (top, bottom) = _new(2, (1.4, 2.0), 5.4)
    _limit_spans(top, *binding)
    top.plot(dates, gross, color="#34495e", linewidth=0.9, label="gross")
    top.plot(dates, net, color="#16a085", linewidth=0.9, linestyle="--", label="net")
    top.axhline(1.0, color="#c0392b", linewidth=0.7, linestyle=":", label="100%")
    top.set_title("Exposure (fraction of equity, each session) and the limit that capped it")
    _legend(top)
    _pct_axis(top)
    names = list(weights)  # named symbols (largest |P&L| first), then "others"
    longs = [np.clip(weights[s], 0.0, None) for s in names]
    shorts = [np.clip(weights[s], None, 0.0) for s in names]
    if names:
        bottom.stackplot(
            weight_dates, *longs, labels=names, colors=[colors[s] for s in names], alpha=0.85, linewidth=0
        )
        if any(np.any(x < 0) for x in shorts):
            bottom.stackplot(weight_dates, *shorts, colors=[colors[s] for s in names], alpha=0.5, linewidth=0)
        handles, labels = bottom.get_legend_handles_labels()
        _legend(bottom, handles[::-1], labels[::-1])  # top of the stack first, as drawn
    bottom.set_title(weights_title)
    _pct_axis(bottom)
    return _svg(fig, "ex")


@_styled
def pnl_figure(dates: Sequence[date], cumulative: Mapping[str, np.ndarray], colors: Mapping[str, str]) -> str:
    """Cumulative P&L in USD of the largest contributors (and all others summed), one line each."""
    fig, (ax,) = _new(1, (1.0,), 3.6)
    for symbol, series in cumulative.items():
        ax.plot(dates, series, color=colors[symbol], linewidth=1.2, label=f"{symbol} {series[-1]:+,.0f}")
    ax.axhline(0.0, color="#555555", linewidth=0.6)
    ax.set_title("Cumulative P&L by symbol (USD)")
    _legend(ax)
    _usd_axis(ax)
    return _svg(fig, "pl")


@_styled
def rolling_sharpe_figure(dates: Sequence[date], rolling: Mapping[str, np.ndarray], window: int) -> str:
    """Trailing Sharpe of the strategy and the baselines: is the edge steady or one good year?"""
    fig, (ax,) = _new(1, (1.0,), 3.0)
    ax.plot(dates, rolling["strategy"], color=_EQUITY, linewidth=1.2, label="strategy\n(after costs)")
    for name, values in rolling.items():
        if name != "strategy":
            color, style = _BENCHMARK_STYLES.get(name, ("#9aa0a6", "--"))
            ax.plot(dates, values, color=color, linewidth=0.9, linestyle=style, label=name)
    ax.axhline(0.0, color="#555555", linewidth=0.6)
    ax.set_title(f"Rolling Sharpe ratio ({window} sessions)")
    _legend(ax)
    return _svg(fig, "rs")


@_styled
def fills_figure(months: Sequence[date], counts: Mapping[str, np.ndarray], fill_rate: np.ndarray) -> str:
    """Orders per month by final status (stacked bars) with the month's fill rate on the right axis."""
    fig, (ax,) = _new(1, (1.0,), 3.4)
    status_colors = {"FILLED": "#2e86c1", "EXPIRED": "#f5b041", "CANCELLED": "#aab7b8", "REJECTED": "#c0392b"}
    base = np.zeros(len(months))
    width = 25.0 if len(months) > 1 else 20.0
    for status, color in status_colors.items():
        values = counts.get(status)
        if values is None or not np.any(values):
            continue
        ax.bar(months, values, bottom=base, width=width, color=color, label=status.lower(), align="edge")
        base = base + values
    ax.set_ylabel("orders per month")
    ax.set_title("Orders by outcome per month, and fill rate")
    rate_ax = ax.twinx()
    centres = [m + timedelta(days=width / 2) for m in months]
    marker = "." if len(months) < 40 else None
    rate_ax.plot(
        centres, fill_rate, color="#1b2631", linewidth=1.0, marker=marker, label="fill rate\n(right axis)"
    )
    rate_ax.set_ylim(0.0, 1.05)
    rate_ax.grid(False)
    rate_ax.spines["right"].set_visible(True)
    _pct_axis(rate_ax)
    handles, labels = ax.get_legend_handles_labels()
    rate_handles, rate_labels = rate_ax.get_legend_handles_labels()
    _legend(ax, handles[::-1] + rate_handles, labels[::-1] + rate_labels, offset=1.075)
    ax.set_ylim(0.0, max(float(base.max(initial=0.0)) * 1.1, 1.0))
    return _svg(fig, "fi")
