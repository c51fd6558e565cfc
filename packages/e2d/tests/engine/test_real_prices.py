"""A real-shaped vendor history that starts below $0.10 trades with the default config, without a
sizing halt (issue 16 item 1).

Split-adjusted histories of stocks that split many times start at cents: the files here are
the bundled real bars of 2009-2012 divided by one factor per symbol (volume multiplied by it),
so each trades at $0.09 or less when the run starts, as a Yahoo download of such a stock does. On main at cd38524 the
default book sliced a $490k target at $0.09 into ~550 child orders, hit `max_session_orders`
and tripped `consecutive_rejects` at session 1 (exit 4).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest

from _import_files import rows_by_symbol, write_text
from _runs import aurora_here, query
from aurora_e2d.data.ingest import load_snapshot

WINDOW = (dt.date(2009, 1, 1), dt.date(2012, 12, 31))  # the model needs two years before it trades
TRADED_FROM = dt.date(2012, 6, 1)
TRADED_PRICE_USD = 0.09  # each symbol's close on its first traded session (earlier closes are lower)

# One import and one run (~10 s of CPU, ~50 s on a loaded 2-core machine): nightly breadth.
pytestmark = pytest.mark.l1


def penny_files(directory: Path) -> list[Path]:
    """Yahoo-style split-adjusted files (Close and Adj Close divided, Volume multiplied)."""
    written = []
    for symbol, rows in rows_by_symbol(load_snapshot(), ["AAPL", "GOOG", "IBM", "MSFT"]).items():
        rows = [r for r in rows if WINDOW[0] <= r["date"] <= WINDOW[1]]
        traded = next(r for r in rows if r["date"] >= TRADED_FROM)
        factor = math.ceil(traded["close"] / TRADED_PRICE_USD)
        lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
        for r in rows:
            ohlc = ",".join(repr(r[c] / factor) for c in ("open", "high", "low", "close"))
            lines.append(f"{r['date']},{ohlc},{r['adj_close'] / factor!r},{r['volume'] * factor}")
        written.append(write_text(directory / f"{symbol}.csv", "\n".join(lines) + "\n"))
    return written


@pytest.fixture(scope="module")
def penny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("penny")
    files = penny_files(root)
    imported = aurora_here(
        "data", "import", *files, "--out", root / "snapshot", "--price-basis", "split_adjusted"
    )
    assert imported.returncode == 0, imported.stderr
    run_dir = root / "run"
    done = aurora_here(
        "run", "--snapshot", root / "snapshot", "--run-dir", run_dir, "--start", TRADED_FROM.isoformat()
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return run_dir


def test_the_history_really_starts_below_ten_cents(penny_run: Path) -> None:
    first = query(penny_run, "SELECT MIN(limit_price) FROM orders")[0][0]
    assert first < 0.10


def test_every_order_is_accepted_and_no_breaker_trips(penny_run: Path) -> None:
    assert query(penny_run, "SELECT status, COUNT(*) FROM route_results GROUP BY status")[0][0] == "accepted"
    assert query(penny_run, "SELECT COUNT(*) FROM route_results WHERE status != 'accepted'") == [(0,)]
    assert query(penny_run, "SELECT COUNT(*) FROM breaker_events") == [(0,)]
    summary = json.loads((penny_run / "summary.json").read_text())
    assert summary["status"] == "completed"


def test_one_order_per_name_per_session_on_the_tick_grid(penny_run: Path) -> None:
    assert (
        query(
            penny_run,
            "SELECT session, symbol, COUNT(*) FROM route_results GROUP BY session, symbol HAVING COUNT(*) > 1",
        )
        == []
    )
    prices = [p for (p,) in query(penny_run, "SELECT limit_price FROM orders")]
    assert all(abs(p * 10_000 - round(p * 10_000)) < 1e-6 for p in prices if p < 1.0)
    assert all(abs(p * 100 - round(p * 100)) < 1e-6 for p in prices if p >= 1.0)


def test_clips_are_journaled_with_their_limit_and_shown_in_the_report(penny_run: Path) -> None:
    clipped = query(
        penny_run,
        "SELECT DISTINCT json_extract(payload_json, '$.sizing.reason') FROM decisions"
        " WHERE json_extract(payload_json, '$.sizing') IS NOT NULL",
    )
    assert clipped == [("max_order_qty_shares",)]
    ordered = query(
        penny_run,
        "SELECT MAX(json_extract(payload_json, '$.sizing.ordered_qty')) FROM decisions"
        " WHERE json_extract(payload_json, '$.sizing') IS NOT NULL",
    )
    assert ordered == [(10_000,)]  # the default max_order_qty_shares
    report = (penny_run / "report.html").read_text()
    assert "<h2 id='sizing'>Order sizing and universe</h2>" in report
    assert '<table class="sizing-clips">' in report
    assert "<code>max_order_qty_shares</code>" in report
