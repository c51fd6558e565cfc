import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from aurora_e2d.core.errors import InputError
from aurora_e2d.data.sessions import (
    SESSION_PRICES_SCHEMA,
    attach_session_close,
    early_close_count,
    session_closes,
)

D = dt.date


def _close_of(xnys, day: dt.date) -> np.datetime64:
    i = int(np.searchsorted(xnys.dates, np.datetime64(day)))
    assert xnys.dates[i] == np.datetime64(day)
    return xnys.closes[i]


class TestSessionCloses:
    def test_window_counts(self, xnys):
        assert len(xnys.dates) == 3270
        assert xnys.dates[0] == np.datetime64("2000-03-01")
        assert xnys.dates[-1] == np.datetime64("2013-03-01")
        assert early_close_count(xnys) == 29

    @pytest.mark.parametrize(
        ("day", "close_utc"),
        [
            (D(2012, 7, 2), "2012-07-02T20:00"),  # summer (EDT)
            (D(2012, 1, 3), "2012-01-03T21:00"),  # winter (EST)
            (D(2012, 11, 23), "2012-11-23T18:00"),  # day after Thanksgiving, early close in EST
            (D(2012, 7, 3), "2012-07-03T17:00"),  # Independence Day eve, early close in EDT
            (D(2000, 3, 1), "2000-03-01T21:00"),  # before the library's default 2006 window
        ],
    )
    def test_closes(self, xnys, day, close_utc):
        assert _close_of(xnys, day) == np.datetime64(close_utc, "us")

    def test_closures_are_not_sessions(self, xnys):
        for day in ("2001-09-11", "2001-09-14", "2004-06-11", "2007-01-02", "2012-10-29", "2012-10-30"):
            assert np.datetime64(day) not in xnys.dates

    def test_a_one_day_window(self):
        """A daily advance asks for exactly one session (exchange-calendars refuses start == end)."""
        one = session_closes(D(2012, 11, 7), D(2012, 11, 7))
        assert one.dates.tolist() == [D(2012, 11, 7)]
        assert one.closes.tolist() == [dt.datetime(2012, 11, 7, 21, 0)]
        assert session_closes(D(2012, 6, 2), D(2012, 6, 2)).dates.size == 0  # a Saturday: no session

    def test_start_after_end(self):
        with pytest.raises(InputError, match=r"'start': must be <= 'end' \(2000-01-01\), was 2000-01-02"):
            session_closes(D(2000, 1, 2), D(2000, 1, 1))


class TestAttach:
    def test_real_bars_get_utc_session_close(self, snapshot, xnys):
        out = attach_session_close(snapshot.prices, xnys)
        assert out.schema.equals(SESSION_PRICES_SCHEMA)
        assert out.schema.field("ts").type == pa.timestamp("us", tz="UTC")
        assert out.drop_columns(["ts"]).equals(snapshot.prices)
        rows = {(r["symbol"], r["date"]): r["ts"] for r in out.select(["symbol", "date", "ts"]).to_pylist()}
        assert rows[("AAPL", D(2012, 11, 23))] == dt.datetime(2012, 11, 23, 18, tzinfo=dt.UTC)
        assert rows[("MSFT", D(2012, 7, 2))] == dt.datetime(2012, 7, 2, 20, tzinfo=dt.UTC)
        early = [k for k, v in rows.items() if k[0] == "AAPL" and v.hour < 20]
        assert len(early) == 29

    def test_default_calendar_from_data_range(self, snapshot):
        fb = snapshot.prices.filter(pa.compute.equal(snapshot.prices.column("symbol"), "FB"))
        out = attach_session_close(fb)
        assert out.column("ts")[0].as_py() == dt.datetime(2012, 5, 18, 20, tzinfo=dt.UTC)

    def test_non_session_date_is_input_error(self, snapshot, xnys):
        bad = snapshot.prices.slice(0, 2).set_column(
            1,
            "date",
            pa.array([D(2000, 3, 1), D(2000, 3, 4)], pa.date32()),  # 2000-03-04 is a Saturday
        )
        with pytest.raises(
            InputError, match=r"prices AAPL 2000-03-04: not a session of XNYS \(1 such rows\)"
        ):
            attach_session_close(bad, xnys)
