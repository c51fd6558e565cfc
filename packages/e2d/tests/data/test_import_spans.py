"""Symbols start and stop at different dates; gaps are reported, not invented; any exchange calendar."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow.compute as pc
import pytest

from _import_files import csvdir, rows_by_symbol, run_cli
from aurora_e2d.core.errors import InputError
from aurora_e2d.data.importer import import_snapshot
from aurora_e2d.data.ingest import load_snapshot
from aurora_e2d.data.sanity import run_sanity
from aurora_e2d.data.sessions import attach_session_close, session_closes

HEADER = "Date,Open,High,Low,Close,Adj Close,Volume"


def _lines(rows) -> list[str]:
    return [
        f"{r['date']},{r['open']!r},{r['high']!r},{r['low']!r},{r['close']!r},{r['adj_close']!r},{r['volume']}"
        for r in rows
    ]


def _write(path, rows):
    path.write_text("\n".join([HEADER, *_lines(rows)]) + "\n")
    return path


def _sanity(out) -> dict:
    return json.loads((out / "sanity.json").read_text())


class TestSpans:
    @pytest.fixture(scope="class")
    def imported(self, snapshot, tmp_path_factory):
        """AAPL (whole span), FB (IPO 2012-05-18), IBM stopping on 2010-06-30 (a file that simply ends)."""
        src = tmp_path_factory.mktemp("src")
        csvdir(snapshot, src, ["AAPL", "FB"])
        ibm = [r for r in rows_by_symbol(snapshot, ["IBM"])["IBM"] if r["date"] <= dt.date(2010, 6, 30)]
        _write(src / "IBM.csv", ibm)
        out = tmp_path_factory.mktemp("out") / "s"
        # AAPL/FB carry dividend/split columns, IBM an Adj Close: one symbol's files agree, symbols may differ.
        result = import_snapshot([src], out)
        return result, out

    def test_each_symbol_keeps_its_own_span(self, imported, snapshot):
        _, out = imported
        prices = load_snapshot(out).prices
        spans = {}
        for symbol in ("AAPL", "FB", "IBM"):
            dates = prices.filter(pc.equal(prices.column("symbol"), symbol)).column("date")
            spans[symbol] = (pc.min(dates).as_py(), pc.max(dates).as_py())
        assert spans == {
            "AAPL": (dt.date(2000, 3, 1), dt.date(2013, 3, 1)),
            "FB": (dt.date(2012, 5, 18), dt.date(2013, 3, 1)),
            "IBM": (dt.date(2000, 3, 1), dt.date(2010, 6, 30)),
        }

    def test_sanity_report_names_late_starts_and_early_stops(self, imported):
        result, out = imported
        report = _sanity(out)
        assert report["starts_after_first_date"] == {"FB": "2012-05-18"}
        assert report["stops_before_last_date"] == {"IBM": "2010-06-30"}
        assert report["passes_strict"] is True  # nothing is missing inside any span
        assert report["checks"]["missing_session"] == {"count": 0, "symbols": 0}
        assert result.sanity == report

    def test_strict_sanity_and_calendar_stamping_pass(self, imported):
        _, out = imported
        snap = load_snapshot(out)
        sessions = session_closes(dt.date(2000, 3, 1), dt.date(2013, 3, 1), snap.calendar)
        clean, report = run_sanity(snap.prices, "strict", sessions=sessions.dates, actions=snap.actions)
        assert report.rows_out == snap.prices.num_rows
        assert attach_session_close(clean, sessions, snap.calendar).num_rows == snap.prices.num_rows


class TestGaps:
    def test_a_gap_inside_a_span_is_reported_not_filled(self, snapshot, tmp_path, capsys):
        rows = rows_by_symbol(snapshot, ["MSFT"])["MSFT"][:300]
        gap = {rows[100]["date"], rows[101]["date"], rows[102]["date"], rows[250]["date"]}
        _write(tmp_path / "MSFT.csv", [r for r in rows if r["date"] not in gap])
        code, out, err = run_cli(
            capsys, "data", "import", str(tmp_path / "MSFT.csv"), "--out", str(tmp_path / "s")
        )
        assert (code, err) == (0, "")
        assert "; sanity strict would fail: missing_session 4; wrote " in out
        report = _sanity(tmp_path / "s")
        first = min(gap).isoformat()
        assert report["checks"]["missing_session"] == {
            "count": 4,
            "symbols": 1,
            "first": f"MSFT {first} (no row)",
        }
        assert report["passes_strict"] is False
        assert load_snapshot(tmp_path / "s").prices.num_rows == 296  # nothing invented

    def test_other_findings_are_counted_with_an_example(self, snapshot, tmp_path):
        rows = rows_by_symbol(snapshot, ["IBM"])["IBM"][:50]
        rows[10] = {**rows[10], "volume": 0}
        rows[20] = {**rows[20], "high": rows[20]["low"] - 0.5, "low": rows[20]["low"] - 1.0}
        _write(tmp_path / "IBM.csv", rows)
        result = import_snapshot([tmp_path / "IBM.csv"], tmp_path / "s")
        checks = result.sanity["checks"]
        assert (checks["zero_volume"]["count"], checks["ohlc_inconsistent"]["count"]) == (1, 1)
        assert checks["zero_volume"]["first"].startswith(f"IBM {rows[10]['date']} open=")
        assert checks["zero_volume"]["first"].endswith(" volume=0")


class TestOtherCalendars:
    @pytest.fixture(scope="class")
    def london(self, snapshot):
        """Real AAPL bars re-dated onto the first XLON sessions of 2005 (XLON trades on US holidays)."""
        rows = rows_by_symbol(snapshot, ["AAPL"])["AAPL"]
        rows = [r for r in rows if r["date"] >= dt.date(2005, 3, 1)][:160]  # after the 2005 split
        sessions = session_closes(dt.date(2005, 3, 1), dt.date(2005, 12, 31), "XLON").dates[:160]
        return [{**r, "date": d.astype(dt.date)} for r, d in zip(rows, sessions, strict=True)]

    def test_xlon_dates_import_with_xlon(self, london, tmp_path):
        _write(tmp_path / "VOD.csv", london)
        import_snapshot([tmp_path / "VOD.csv"], tmp_path / "s", calendar="XLON")
        snap = load_snapshot(tmp_path / "s")
        assert snap.calendar == "XLON"
        lock = json.loads((tmp_path / "s" / "snapshot.lock.json").read_text())
        assert (lock["calendar"], lock["source"]["options"]["calendar"]) == ("XLON", "XLON")
        stamped = attach_session_close(snap.prices, calendar="XLON")
        ts = stamped.column("ts").to_numpy().astype("datetime64[h]")
        hours = (ts - stamped.column("date").to_numpy().astype("datetime64[h]")).astype(int)
        assert set(hours.tolist()) <= {15, 16}  # 16:30 London = 15:30 or 16:30 UTC
        assert _sanity(tmp_path / "s")["passes_strict"] is True

    def test_xlon_dates_are_not_all_xnys_sessions(self, london, tmp_path):
        path = _write(tmp_path / "VOD.csv", london)
        july4 = [i for i, r in enumerate(london) if r["date"] == dt.date(2005, 7, 4)]
        assert july4  # a London session, a New York holiday
        with pytest.raises(InputError) as info:
            import_snapshot([path], tmp_path / "s")
        us_holidays = np.setdiff1d(
            np.array([r["date"] for r in london], dtype="datetime64[D]"),
            session_closes(dt.date(2005, 3, 1), dt.date(2005, 12, 31)).dates,
        )
        assert str(info.value) == (
            f"{path}: row {[r['date'] for r in london].index(us_holidays[0].astype(dt.date)) + 2}: "
            f"VOD {us_holidays[0]} is not a session of XNYS ({len(us_holidays)} such rows in this import)"
        )
        assert not (tmp_path / "s").exists()
