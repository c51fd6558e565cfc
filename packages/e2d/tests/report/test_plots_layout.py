"""The report's figures sit at fixed margins: every label must still land inside its figure.

No layout engine measures each figure any more (it was a third of a report's plotting time), so
what it guaranteed is checked here on the SVG itself: each left-aligned text (legend entries,
annotations) ends within the figure's width, measured with matplotlib's own font metrics.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from _svg import legend_texts, overflowing
from aurora_e2d.report._plots import equity_figure, fills_figure, pnl_figure, symbol_colors

DAYS = [date(2012, 1, 2) + timedelta(days=i) for i in range(300)]


def test_a_long_symbol_is_shortened_to_fit_and_a_short_one_is_kept_whole():
    long_name = "VERY.LONG-VENDOR-SYMBOL-NAME.XNYS"
    series = {
        long_name: np.linspace(0.0, 1_234_567.0, len(DAYS)),
        "IBM": np.linspace(0.0, -2_000.0, len(DAYS)),
        "others": np.linspace(0.0, 10.0, len(DAYS)),
    }
    svg = pnl_figure(DAYS, series, symbol_colors(list(series)))
    assert overflowing(svg) == []
    texts = legend_texts(svg)
    shortened = [t for t in texts if t.startswith("VERY.LONG")]
    assert len(shortened) == 1, texts
    assert shortened[0].endswith("…"), texts
    assert len(shortened[0]) < len(f"{long_name} +1,234,567")
    assert "IBM -2,000" in texts
    assert "others +10" in texts


def test_every_left_aligned_text_of_the_equity_and_fills_figures_is_inside():
    equity = 1e6 * np.cumprod(1.0 + np.random.default_rng(0).normal(0.0, 0.01, len(DAYS)))
    svg = equity_figure(DAYS, equity, {"equal-weight": equity * 0.9, "buy-and-hold": equity * 1.1})
    assert overflowing(svg) == []
    assert any(t.startswith("max -") for t in legend_texts(svg))  # the drawdown annotation is checked too
    months = [date(2012, m, 1) for m in range(1, 13)]
    counts = {"FILLED": np.full(12, 40.0), "EXPIRED": np.full(12, 9.0), "REJECTED": np.full(12, 1.0)}
    svg = fills_figure(months, counts, np.full(12, 0.8))
    assert overflowing(svg) == []
    assert "expired" in legend_texts(svg)
