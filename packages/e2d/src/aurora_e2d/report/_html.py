"""HTML building blocks of report.html: tables, badges, figures and the sections that are plain tables.

Everything is escaped here; callers pass numbers already formatted or raw text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from aurora_e2d.report._events import TimelineEntry

__all__ = ["CSS", "NAV", "badge", "figure", "flags", "gates", "manifest", "table", "timeline"]


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], cls: str = "") -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>\n" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>'


def badge(text: str) -> str:
    cls = {
        "pass": "ok",
        "completed": "ok",
        "FAIL": "bad",
        "no golden": "muted",
        "off": "muted",
        "off (retired)": "muted",
        "blessed": "ok",
        "NOT blessed": "bad",
    }.get(text, "warn")
    return f'<span class="badge {cls}">{escape(text)}</span>'


def figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{caption}</figcaption></figure>"


def timeline(events: list[TimelineEntry]) -> str:
    if not events:
        return (
            "<p>No trading-state changes, breaker trips or kill events: the run stayed ACTIVE throughout.</p>"
        )
    rows = [(escape(e.when), badge(e.kind), escape(e.subject), escape(e.reason)) for e in events]
    return table(("time (session, UTC)", "event", "what", "reason"), rows)


def flags(manifest: Mapping[str, Any]) -> str:
    from aurora_safety import load_declarations

    effective: Mapping[str, bool] = manifest.get("flags", {})
    declared = {d.name: d for d in load_declarations()}
    rows = []
    for name in sorted(set(declared) | set(effective)):
        d = declared.get(name)
        if name in effective:
            state = "on" if effective[name] else "off"
        else:
            state = "off (retired)" if d is not None and d.status == "retired" else "not recorded"
        rows.append(
            (
                f"<code>{escape(name)}</code>",
                badge(state),
                escape(str(d.status)) if d else "UNDECLARED",
                escape(d.description) if d else "",
                f"<code>{escape(d.adr)}</code>" if d else "",
            )
        )
    return table(("flag", "effective in this run", "status", "what it does", "ADR"), rows) + (
        "<p class='caption'>Every flag is declared in <code>aurora_safety/flags.toml</code>, off by default, "
        "with an ADR explaining it; &ldquo;effective&rdquo; is the value recorded in <code>manifest.json</code> "
        "(config, then environment; <code>AURORA_ROLLBACK=1</code> forces all off).</p>"
    )


def manifest(manifest: Mapping[str, Any], summary: Mapping[str, Any]) -> str:
    items = [
        ("run id", manifest.get("run_id")),
        ("code revision (git)", manifest.get("git_revision") or "not a git checkout"),
        ("config hash (sha256)", manifest.get("config_hash")),
        *((f"snapshot {k}", v) for k, v in sorted(manifest.get("snapshot", {}).items())),
        *((f"version {k}", v) for k, v in sorted(manifest.get("versions", {}).items())),
        *(
            (f"performance {k}", "n/a" if v is None else f"{v:,.2f}")
            for k, v in sorted(summary.get("performance", {}).items())
        ),
    ]
    rows = [(escape(k), f"<code>{escape(str(v))}</code>") for k, v in items]
    artifacts = [
        (
            escape(name),
            "" if a.get("rows") is None else f"{a['rows']:,}",
            f"<code>{escape(str(a.get('sha256')))}</code>",
        )
        for name, a in sorted(manifest.get("artifacts", {}).items())
        if not name.startswith("models/")
    ]
    config = escape(json.dumps(manifest.get("config", {}), indent=2, sort_keys=True))
    return (
        table(("item", "value"), rows, "kv")
        + "<details><summary>artifacts (sha256 as in manifest.json)</summary>"
        + table(("artifact", "rows", "sha256"), artifacts, "kv")
        + f"</details><details><summary>effective config</summary><pre>{config}</pre></details>"
    )


def gates(current: list[dict[str, Any]], stale: list[str], revision: str | None) -> str:
    out = []
    for report in current:
        rows = [
            (
                escape(str(c.get("name"))),
                badge("pass" if c.get("passed") else "FAIL"),
                escape(str(c.get("reason") or "")),
            )
            for c in report.get("checks", [])
        ]
        verdict = "pass" if report.get("passed") else "FAIL"
        out.append(
            f"<h3>gate {escape(str(report.get('level')))} {badge(verdict)}</h3>"
            + table(("check", "result", "reason"), rows)
        )
    if not current:
        out.append(
            f"<p>No gate report for this revision (<code>{escape(str(revision))}</code>) under "
            "<code>reports/</code>; run <code>aurora gate l0 --json reports/gate-l0.json</code>.</p>"
        )
    if stale:
        out.append(
            f"<p class='caption'>Other gate reports, for other revisions: {escape(', '.join(stale))}.</p>"
        )
    return "\n".join(out)


CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:0;color:#1d2733;
background:#f4f6f8;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{margin:0 0 4px;font-size:26px} h2{margin:36px 0 10px;font-size:20px;border-bottom:2px solid #e3e6ea;
padding-bottom:4px} h3{font-size:16px;margin:18px 0 6px}
.sub{color:#5f6b7a;margin:0 0 18px} .small{font-size:12px;color:#5f6b7a}
.banner{border:3px solid #c0392b;background:#fdecea;padding:16px 20px;margin:16px 0;border-radius:6px}
.banner h2{margin:0 0 8px;border:0;color:#a93226;font-size:22px}
.banner pre{background:#1d2733;color:#fff;padding:10px 12px;border-radius:4px;white-space:pre-wrap}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0 8px}
.card{flex:1 1 96px;border:1px solid #e3e6ea;border-radius:6px;padding:8px 12px;background:#fafbfc}
.card .k{font-size:12px;color:#5f6b7a;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:20px;font-weight:600}
table{border-collapse:collapse;width:100%;margin:6px 0;font-size:14px}
th,td{border-bottom:1px solid #e3e6ea;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600} table.metrics td:nth-child(n+2){white-space:nowrap}
.num{font-weight:700;font-size:16px} table.num-right th:nth-child(n+2),table.num-right td:nth-child(n+2){text-align:right;
font-variant-numeric:tabular-nums} table.kv code{word-break:break-all}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;
background:#fdebd0;color:#9a5b00} .badge.ok{background:#d5f5e3;color:#1e8449}
.badge.bad{background:#fadbd8;color:#a93226} .badge.muted{background:#eaecee;color:#5f6b7a}
figure{margin:8px 0 4px} svg.plot{width:100%;height:auto;display:block}
figcaption,.caption{font-size:13px;color:#4a5563;margin:4px 0 10px;max-width:1000px}
nav a{margin-right:14px;color:#1f4e79} code,pre{font-family:'DejaVu Sans Mono',monospace;font-size:12.5px}
details{margin:8px 0} summary{cursor:pointer;color:#1f4e79}
.pos{color:#1e8449} .neg{color:#a93226} table.monthly{font-size:12.5px} table.monthly td,table.monthly th{padding:3px 5px}
nav{line-height:1.9}
"""
NAV = (
    ("metrics", "Metrics"),
    ("equity", "Equity"),
    ("exposure", "Exposure"),
    ("benchmarks", "Benchmarks"),
    ("monthly", "Monthly"),
    ("drawdowns", "Drawdowns"),
    ("pnl", "P&amp;L by symbol"),
    ("trades", "Trades"),
    ("costs", "Costs"),
    ("fills", "Fills"),
    ("blessing", "Blessing"),
    ("sizing", "Sizing"),
    ("timeline", "Timeline"),
    ("flags", "Flags"),
    ("manifest", "Manifest"),
    ("gates", "Gates"),
)
