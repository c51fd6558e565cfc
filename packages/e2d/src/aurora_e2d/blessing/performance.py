"""The after-costs checks: candidate against champion, against trivial baselines, and on slices.

All three read what the broker booked (equity.parquet), never the frictionless
reference: a candidate must win after commissions, slippage and unfilled
limits. Candidate and champion are compared over the sessions both
committed; the baselines over the candidate's own sessions (see ADR 0006).
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from aurora_e2d.blessing.evidence import RunEvidence
from aurora_e2d.blessing.verdict import CheckResult
from aurora_e2d.report import baselines, metrics, series
from aurora_e2d.rundir.config import BlessConfig

__all__ = ["baselines_check", "champion_check", "slices_check", "symbol_group"]


def _returns(run: RunEvidence, sessions: list[date]) -> np.ndarray:
    equity = run.frame("equity").filter(pl.col("date").is_in(sessions)).sort("date")["equity"].to_numpy()
    return equity[1:] / equity[:-1] - 1.0


def _turnover(run: RunEvidence, sessions: list[date]) -> float:
    rows = run.frame("equity").filter(pl.col("date").is_in(sessions[1:]))["turnover"].to_numpy()
    return metrics.turnover(rows)


def champion_check(candidate: RunEvidence, champion: RunEvidence, bless: BlessConfig) -> CheckResult:
    common = sorted(set(candidate.sessions) & set(champion.sessions))
    rc, rp = _returns(candidate, common), _returns(champion, common)
    sc, sp = metrics.sharpe_ratio(rc), metrics.sharpe_ratio(rp)
    dc, dp = metrics.max_drawdown(rc), metrics.max_drawdown(rp)
    tc, tp = _turnover(candidate, common), _turnover(champion, common)
    s_tol, d_tol = bless.champion_sharpe_tolerance, bless.champion_drawdown_tolerance_frac
    t_tol = bless.champion_turnover_tolerance_frac
    shortfalls = []
    if candidate.status != "completed":
        done = candidate.summary.get("sessions", {})
        shortfalls.append(
            f"candidate {candidate.status} after {done.get('done')} of {done.get('total')} sessions "
            f"({candidate.summary.get('message')}): a halted candidate is not blessed"
        )
    if not sc >= sp - s_tol:
        shortfalls.append(f"Sharpe {sc:.2f} < champion {sp:.2f} - {s_tol:g}")
    if not dc >= dp - d_tol:
        shortfalls.append(f"max drawdown {dc:.2%} deeper than champion {dp:.2%} - {d_tol:.0%}")
    if not tc <= tp + t_tol:
        shortfalls.append(f"turnover {tc:.2%} > champion {tp:.2%} + {t_tol:.0%}")
    figures = (
        f"Sharpe {sc:.2f} vs {sp:.2f}, max drawdown {dc:.2%} vs {dp:.2%}, turnover {tc:.2%} vs {tp:.2%} "
        f"over {len(common):,} common sessions"
    )
    return CheckResult(
        name="champion",
        requirement=(
            f"completed (no breaker or kill halt); over the common sessions after costs: Sharpe >= champion's "
            f"- {s_tol:g}, max drawdown >= champion's - {d_tol:.0%}, turnover <= champion's + {t_tol:.0%}"
        ),
        passed=not shortfalls,
        message="; ".join(shortfalls) if shortfalls else figures,
        evidence={
            "common_sessions": len(common),
            "first": common[0].isoformat() if common else None,
            "last": common[-1].isoformat() if common else None,
            "candidate": {"sharpe_ratio": sc, "max_drawdown": dc, "turnover": tc, "status": candidate.status},
            "champion": {"sharpe_ratio": sp, "max_drawdown": dp, "turnover": tp, "status": champion.status},
        },
    )


def baselines_check(candidate: RunEvidence, bless: BlessConfig) -> CheckResult:
    sessions = candidate.sessions
    r = _returns(candidate, sessions)
    base = baselines(candidate.frame("bars"), sessions)
    margin, d_margin = bless.baseline_sharpe_margin, bless.baseline_drawdown_margin_frac
    sharpe, drawdown = metrics.sharpe_ratio(r), metrics.max_drawdown(r)
    shortfalls: list[str] = []
    shown: list[str] = []
    evidence: dict[str, Any] = {}
    for name, returns in (("equal-weight", base.equal_weight), ("buy-and-hold", base.buy_and_hold)):
        bs, bd = metrics.sharpe_ratio(returns), metrics.max_drawdown(returns)
        evidence[name] = {
            "sharpe_ratio": bs,
            "max_drawdown": bd,
            "annual_return": metrics.annual_return(returns),
        }
        shown.append(f"{name} Sharpe {bs:.2f}, max drawdown {bd:.2%}")
        if not sharpe >= bs - margin:
            shortfalls.append(f"Sharpe {sharpe:.2f} < {name} {bs:.2f} - {margin:g}")
        if not drawdown >= bd - d_margin:
            shortfalls.append(f"max drawdown {drawdown:.2%} deeper than {name} {bd:.2%} - {d_margin:.0%}")
    evidence["candidate"] = {"sharpe_ratio": sharpe, "max_drawdown": drawdown}
    evidence["buy_and_hold_names"] = list(base.held)
    return CheckResult(
        name="baselines",
        requirement=(
            f"over its sessions after costs, Sharpe >= each baseline's - {margin:g} and max drawdown >= each "
            f"baseline's - {d_margin:.0%} (equal-weight daily, buy-and-hold of the first session's names)"
        ),
        passed=not shortfalls,
        message="; ".join(shortfalls)
        if shortfalls
        else f"Sharpe {sharpe:.2f}, max drawdown {drawdown:.2%} against " + "; ".join(shown),
        evidence=evidence,
    )


def symbol_group(symbol: str, groups: int) -> int:
    """A symbol's slice: its sha256 modulo ``groups`` (stable as the universe grows, no sector data needed)."""
    return int(hashlib.sha256(symbol.encode("utf-8")).hexdigest(), 16) % groups


def _group_pnl(candidate: RunEvidence, groups: int) -> tuple[float, dict[int, list[tuple[str, float]]]]:
    """The starting equity and, per symbol group, each member's total P&L (USD, after costs)."""
    s = series(candidate.run_dir)
    if s is None:
        return 1.0, {}
    members: dict[int, list[tuple[str, float]]] = {}
    for symbol, parts in sorted(s.pnl_parts.items()):
        members.setdefault(symbol_group(symbol, groups), []).append((symbol, parts["total"]))
    return float(s.equity[0]), members


def slices_check(candidate: RunEvidence, bless: BlessConfig) -> CheckResult:
    sessions = candidate.sessions
    r = _returns(candidate, sessions)
    floor = 0.0 - bless.max_slice_loss_frac  # 0.0 - 0.0 is +0.0: never print '-0%'
    growth: dict[int, float] = {}
    for day, value in zip(sessions[1:], r, strict=True):
        growth[day.year] = growth.get(day.year, 1.0) * (1.0 + float(value))
    years = {year: g - 1.0 for year, g in sorted(growth.items())}
    start, members = _group_pnl(candidate, bless.slice_groups)
    shares = {g: sum(p for _, p in names) / start for g, names in sorted(members.items())}
    shortfalls = [f"year {y} returned {v:.2%} < {floor:.0%}" for y, v in years.items() if not v >= floor]
    for g, share in shares.items():
        if not share >= floor:
            names = [n for n, _ in members[g]]
            shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
            shortfalls.append(
                f"symbol group {g} of {bless.slice_groups} ({len(names)} symbols: {shown}) lost {share:.2%} "
                f"of starting equity < {floor:.0%}"
            )
    parts = []
    if years:
        worst = min(years, key=lambda y: years[y])
        parts.append(f"worst year {worst} {years[worst]:.2%}")
    if shares:
        parts.append(f"worst symbol group {min(shares.values()):+.2%} of starting equity")
    return CheckResult(
        name="slices",
        requirement=(
            f"no calendar year returns below {floor:.0%} after costs, and no symbol group (sha256 mod "
            f"{bless.slice_groups}) loses more than {-floor:.0%} of starting equity"
        ),
        passed=not shortfalls,
        message="; ".join(shortfalls) if shortfalls else ", ".join(parts) or "no session to slice",
        evidence={
            "years": {str(y): v for y, v in years.items()},
            "groups": {
                str(g): {"of_start_equity": shares[g], "symbols": [n for n, _ in members[g]][:20]}
                for g in shares
            },
        },
    )
