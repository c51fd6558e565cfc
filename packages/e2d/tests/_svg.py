"""Checks on the report's inline SVG figures, shared by the report tests."""

from __future__ import annotations

import re

_VIEWBOX = re.compile(r'viewBox="0 0 ([\d.]+) [\d.]+"')
_START_TEXT = re.compile(
    r'<text style="font-size: ([\d.]+)px;[^"]*text-anchor: start[^"]*" x="([\d.-]+)"[^>]*>([^<]*)</text>'
)


def overflowing(svg: str) -> list[tuple[str, float, float]]:
    """Left-aligned texts whose right end passes the figure's right edge: (text, end, width)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    match = _VIEWBOX.search(svg)
    assert match is not None, svg[:200]
    width = float(match.group(1))
    found = []
    texts = _START_TEXT.findall(svg)
    assert texts, "no left-aligned text: the check would check nothing"
    for size, x, text in texts:
        font = FontProperties(family="DejaVu Sans", size=float(size))
        label = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        end = float(x) + text_to_path.get_text_width_height_descent(label, font, ismath=False)[0]
        if end > width:
            found.append((label, end, width))
    return found


def legend_texts(svg: str) -> list[str]:
    return [text for _, _, text in _START_TEXT.findall(svg)]
