"""Sanity checks, each on both sides of its boundary. No polars here: mutmut forks per mutant."""

import datetime as dt
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from aurora_e2d.core.errors import InputError
from aurora_e2d.data import sanity
from aurora_e2d.data.sanity import Check, SanityMode, run_sanity
from aurora_e2d.data.snapshot import ACTIONS_SCHEMA, PRICES_SCHEMA

_DAYS = np.arange(np.datetime64("2020-01-01"), np.datetime64("2020-03-01"))
SESSIONS = _DAYS[np.is_busday(_DAYS)]  # synthetic calendar: weekdays
S = [d.astype(dt.date) for d in SESSIONS]  # S[0] = Wed 2020-01-01
ZERO = {c.value: 0 for c in Check}


def bar(symbol="A", day=0, o=10.0, h=11.0, lo=9.0, c=10.0, v=100, adj=None, date=None):
    return {
        "symbol": symbol,
        "date": S[day] if date is None else date,
        "open": o,
        "high": h,
        "low": lo,
        "close": c,
        "volume": v,
        "adj_close": c if adj is None else adj,
    }


def table(rows) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=PRICES_SCHEMA)


def clean(n=4, symbol="A"):
    return [bar(symbol, i) for i in range(n)]


def repair(rows, actions=None):
    return run_sanity(table(rows), "repair", sessions=SESSIONS, actions=actions)


def strict_error(rows, actions=None) -> str:
    with pytest.raises(InputError) as info:
        run_sanity(table(rows), SanityMode.STRICT, sessions=SESSIONS, actions=actions)
    return str(info.value)


def counts(**kw):
    return {**ZERO, **kw}


class TestMode:
    def test_unknown_mode_fails_closed(self):
        with pytest.raises(InputError) as info:
            run_sanity(table(clean()), "fix", sessions=SESSIONS)
        assert str(info.value) == "'sanity.mode': must be one of strict, repair, was 'fix'"

    @pytest.mark.parametrize("mode", ["strict", "repair", SanityMode.STRICT, SanityMode.REPAIR])
    def test_clean_data_passes_unchanged(self, mode):
        out, report = run_sanity(table(clean()), mode, sessions=SESSIONS)
        assert out.equals(table(clean()))
        assert report.counts == ZERO
        assert (report.rows_in, report.rows_out) == (4, 4)
        assert report.as_dict() == {"mode": SanityMode(mode).value, "rows_in": 4, "rows_out": 4, **ZERO}


class TestSchema:
    @pytest.mark.parametrize("mode", ["strict", "repair"])
    def test_wrong_type(self, mode):
        t = table(clean()).set_column(6, "volume", pa.array([1.0] * 4))
        with pytest.raises(
            InputError, match=r"^sanity check 'schema': column 'volume': expected int64, actual double$"
        ):
            run_sanity(t, mode, sessions=SESSIONS)

    def test_wrong_columns(self):
        t = table(clean()).rename_columns([*PRICES_SCHEMA.names[:-1], "adj"])
        with pytest.raises(
            InputError, match=r"sanity check 'schema': columns \[.*'adj'\] != \[.*'adj_close'\]"
        ):
            run_sanity(t, "repair", sessions=SESSIONS)

    def test_nulls(self):
        t = table(clean())
        t = t.set_column(5, PRICES_SCHEMA.field("close").with_nullable(True), pa.array([1.0, None, 1.0, 1.0]))
        with pytest.raises(InputError, match="column 'close' has 1 nulls"):
            run_sanity(t, "repair", sessions=SESSIONS)


class TestNonFinite:
    def test_nan_and_inf_dropped(self):
        rows = clean(5)
        rows[1]["close"] = float("nan")
        rows[3]["adj_close"] = float("inf")
        out, report = repair(rows)
        assert out.column("date").to_pylist() == [S[0], S[2], S[4]]
        assert report.counts == counts(non_finite=2, missing_session=2)

    def test_strict_lists_the_row(self):
        rows = clean()
        rows[2]["high"] = float("-inf")
        assert strict_error(rows) == (
            "sanity check 'non_finite': 1 offending rows; first: A 2020-01-03 open=10.0 high=-inf low=9.0 close=10.0 volume=100"
        )

    def test_huge_finite_is_fine(self):
        rows = clean()
        rows[2]["adj_close"] = 1e300
        assert repair(rows)[1].counts == ZERO


class TestNonPositive:
    @pytest.mark.parametrize("column", ["open", "low", "close", "adj_close"])
    def test_zero_flagged(self, column):
        rows = clean()
        rows[1][column] = 0.0
        rows[1]["low"] = 0.0
        _, report = repair(rows)
        assert report.counts[Check.NON_POSITIVE_PRICE] == 1

    def test_negative_flagged_tiny_positive_fine(self):
        rows = clean()
        rows[1].update(low=1e-9)
        rows[2].update(low=-1.0)
        out, report = repair(rows)
        assert report.counts[Check.NON_POSITIVE_PRICE] == 1
        assert out.num_rows == 3

    def test_strict(self):
        rows = clean()
        rows[0]["open"] = -1.0
        assert strict_error(rows).startswith(
            "sanity check 'non_positive_price': 1 offending rows; first: A 2020-01-01 open=-1.0"
        )


class TestMonotonic:
    def test_swapped_dates_sorted_and_counted(self):
        rows = clean(4)
        rows[1], rows[2] = rows[2], rows[1]
        out, report = repair(rows)
        assert out.equals(table(clean(4)))
        assert report.counts == counts(non_monotonic=1)
        assert strict_error(rows).startswith(
            "sanity check 'non_monotonic': 1 offending rows; first: A 2020-01-02"
        )

    def test_interleaved_symbols_in_order_are_fine(self):
        rows = [bar("B", 0), bar("A", 0), bar("B", 1), bar("A", 1)]
        out, report = run_sanity(table(rows), "strict", sessions=SESSIONS)
        assert report.counts == ZERO
        assert out.column("symbol").to_pylist() == ["A", "A", "B", "B"]


class TestDuplicates:
    def test_first_in_input_order_kept(self):
        rows = [*clean(3), bar("A", 1, v=999)]
        out, report = repair(rows)
        assert out.column("volume").to_pylist() == [100, 100, 100]
        assert report.counts == counts(duplicate_key=1, non_monotonic=1)  # S1 after S2 is also out of order
        rows = [bar("A", 1, v=999), *clean(3)]
        assert repair(rows)[0].column("volume").to_pylist() == [100, 999, 100]

    def test_same_date_other_symbol_is_not_a_duplicate(self):
        assert repair([bar("A", 0), bar("B", 0)])[1].counts == ZERO

    def test_strict(self):
        assert strict_error([*clean(2), bar("A", 1)]).startswith(
            "sanity check 'duplicate_key': 1 offending rows; first: A 2020-01-02"
        )


class TestOhlc:
    @pytest.mark.parametrize(
        ("changes", "flagged"),
        [
            ({"low": 10.0}, False),  # low == open == close
            ({"low": 10.01}, True),
            ({"high": 10.0}, False),
            ({"high": 9.99}, True),
            ({"o": 9.0, "c": 11.0}, False),  # at both bounds
            ({"c": 11.01}, True),
            ({"o": 8.99}, True),
        ],
    )
    def test_boundaries(self, changes, flagged):
        rows = clean(3)
        rows[1] = bar(
            "A", 1, **{"lo" if k == "low" else "h" if k == "high" else k: v for k, v in changes.items()}
        )
        _, report = repair(rows)
        assert report.counts[Check.OHLC_INCONSISTENT] == int(flagged)

    def test_repair_widens_range(self):
        rows = clean(3)
        rows[1] = bar("A", 1, o=12.0, h=11.0, lo=9.5, c=9.0)
        out, report = repair(rows)
        assert out.slice(1, 1).to_pylist()[0] == bar("A", 1, o=12.0, h=12.0, lo=9.0, c=9.0)
        assert report.counts == counts(ohlc_inconsistent=1)
        assert out.num_rows == 3


class TestZeroVolume:
    @pytest.mark.parametrize(("volume", "flagged"), [(0, True), (-1, True), (1, False)])
    def test_boundary(self, volume, flagged):
        rows = clean(3)
        rows[2]["volume"] = volume
        out, report = repair(rows)
        assert report.counts[Check.ZERO_VOLUME] == int(flagged)
        assert out.num_rows == 3 - int(flagged)


class TestNotASession:
    def test_weekend_dropped(self):
        rows = [*clean(3), bar("A", date=dt.date(2020, 1, 4))]  # a Saturday
        out, report = repair(rows)
        assert report.counts == counts(not_a_session=1)
        assert out.num_rows == 3
        assert strict_error(rows).startswith(
            "sanity check 'not_a_session': 1 offending rows; first: A 2020-01-04"
        )


class TestBadTick:
    @pytest.mark.parametrize(
        ("close", "flagged"), [(15.99, False), (16.01, True), (4.01, False), (3.99, True)]
    )
    def test_threshold_both_directions(self, close, flagged):
        rows = clean(3)
        rows[1] = bar("A", 1, o=close, h=close, lo=close, c=close)
        rows[2] = bar("A", 2, o=close, h=close, lo=close, c=close)
        out, report = repair(rows)
        assert report.counts[Check.BAD_TICK] == int(flagged)
        assert out.num_rows == 3 - int(flagged)

    def test_explained_by_action_on_that_date_only(self):
        rows = clean(3)
        rows[2] = bar("A", 2, o=5.0, h=5.0, lo=3.0, c=3.0)
        on_date = pa.Table.from_pylist(
            [{"symbol": "A", "ex_date": S[2], "kind": "split", "split_ratio": 3.0}], schema=ACTIONS_SCHEMA
        )
        other = on_date.set_column(1, ACTIONS_SCHEMA.field("ex_date"), pa.array([S[1]], pa.date32()))
        other_symbol = on_date.set_column(0, ACTIONS_SCHEMA.field("symbol"), pa.array(["B"]))
        assert repair(rows, on_date)[1].counts == ZERO
        assert repair(rows, other)[1].counts[Check.BAD_TICK] == 1
        assert repair(rows, other_symbol)[1].counts[Check.BAD_TICK] == 1
        assert strict_error(rows).startswith(
            "sanity check 'bad_tick': 1 offending rows; first: A 2020-01-03 open=5.0"
        )

    def test_spike_dropped_but_not_its_reversal(self):
        rows = clean(4)
        rows[2] = bar("A", 2, o=30.0, h=30.0, lo=30.0, c=30.0)
        out, report = repair(rows)
        assert out.column("date").to_pylist() == [S[0], S[1], S[3]]
        assert report.counts == counts(bad_tick=1, missing_session=1)

    def test_level_shift_drops_only_where_still_unexplained(self):
        rows = [*clean(2), *(bar("A", i, o=30.0, h=30.0, lo=30.0, c=30.0) for i in (2, 3))]
        out, report = repair(rows)
        assert report.counts[Check.BAD_TICK] == 1  # S2 dropped; S3 was never flagged (30 -> 30)
        assert out.num_rows == 3

    def test_no_return_across_symbols(self):
        assert repair([*clean(2, "A"), bar("B", 0, o=100.0, h=100.0, lo=100.0, c=100.0)])[1].counts == ZERO

    def test_real_aapl_crash_is_below_threshold(self, snapshot, xnys, monkeypatch):
        monkeypatch.setattr(sanity, "BAD_TICK_THRESHOLD", 0.5)
        with pytest.raises(
            InputError, match=r"'bad_tick': 1 offending rows; first: AAPL 2000-09-29 .* close=25.75"
        ):
            run_sanity(snapshot.prices, "strict", sessions=xnys.dates, actions=snapshot.actions)


class TestMissingSession:
    def test_gap_counted_not_filled(self):
        rows = [bar("A", i) for i in (0, 1, 3)]
        out, report = repair(rows)
        assert out.num_rows == 3
        assert report.counts == counts(missing_session=1)
        assert (
            strict_error(rows)
            == "sanity check 'missing_session': 1 offending rows; first: A 2020-01-03 (no row)"
        )

    def test_every_missing_session_is_listed_in_order(self):
        rows = [bar("A", i) for i in (0, 3, 4, 7)]  # two gaps of two sessions each
        assert strict_error(rows) == (
            "sanity check 'missing_session': 4 offending rows; first: A 2020-01-02 (no row); "
            "A 2020-01-03 (no row); A 2020-01-08 (no row); A 2020-01-09 (no row)"
        )

    def test_outside_the_span_is_not_missing(self):
        assert repair([bar("A", i) for i in (2, 3)])[1].counts == ZERO


class TestReporting:
    def test_strict_lists_first_five_of_seven(self):
        rows = [bar("A", i, v=0) for i in range(7)]
        message = strict_error(rows)
        assert message.startswith("sanity check 'zero_volume': 7 offending rows; first: A 2020-01-01")
        assert message.count("; ") == 5
        assert "2020-01-07" in message
        assert "2020-01-08" not in message

    def test_repair_counts_every_check_exactly(self):
        rows = [bar("A", i) for i in range(10)] + [bar("B", i) for i in range(3)]
        rows[1]["close"] = float("nan")  # non_finite; A loses S[1]
        rows[2]["open"] = 0.0  # non_positive_price; A loses S[2]
        rows[3]["volume"] = 0  # zero_volume; A loses S[3]
        rows[4]["high"] = 9.5  # ohlc: widened
        rows[6] = bar("A", 6, o=50.0, h=50.0, lo=50.0, c=50.0)  # bad tick
        rows.append(bar("A", 5, v=7))  # duplicate
        rows.append(bar("B", date=dt.date(2020, 1, 5)))  # Sunday
        rows[0], rows[9] = rows[9], rows[0]  # non-monotonic
        out, report = repair(rows)
        assert report.counts == counts(
            non_finite=1,
            non_positive_price=1,
            non_monotonic=2,
            duplicate_key=1,
            ohlc_inconsistent=1,
            zero_volume=1,
            not_a_session=1,
            bad_tick=1,
            missing_session=4,
        )
        assert (report.rows_in, report.rows_out) == (15, 9)
        assert [d.day for d in out.column("date").to_pylist()] == [
            1,
            7,
            8,
            10,
            13,
            14,
            1,
            2,
            3,
        ]  # A: S0 S4 S5 S7 S8 S9
        again, report2 = repair(list(rows))
        assert again.equals(out)
        assert report2 == report

    def test_real_snapshot_is_clean_in_strict_mode(self, snapshot, xnys):
        out, report = run_sanity(snapshot.prices, "strict", sessions=xnys.dates, actions=snapshot.actions)
        assert out.equals(snapshot.prices)
        assert report.counts == ZERO
        assert report.rows_out == 12154

    def test_module_never_imports_polars(self):
        code = "import sys, aurora_e2d.data.sanity; sys.exit('polars' in sys.modules)"
        assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


class TestMutationFound:
    """Added for mutation testing (aurora_gates.mutation): each pins a contract a surviving mutant broke."""

    def test_null_message_names_the_schema_check(self):
        t = table(clean())
        t = t.set_column(5, PRICES_SCHEMA.field("close").with_nullable(True), pa.array([1.0, None, 1.0, 1.0]))
        with pytest.raises(InputError) as info:
            run_sanity(t, "strict", sessions=SESSIONS)
        assert str(info.value) == "sanity check 'schema': column 'close' has 1 nulls"

    def test_strict_message_joins_rows_with_semicolons(self):
        rows = clean(3)
        rows[0]["volume"] = rows[2]["volume"] = 0
        assert strict_error(rows) == (
            "sanity check 'zero_volume': 2 offending rows; first: "
            "A 2020-01-01 open=10.0 high=11.0 low=9.0 close=10.0 volume=0; "
            "A 2020-01-03 open=10.0 high=11.0 low=9.0 close=10.0 volume=0"
        )

    def test_duplicate_and_disorder_in_a_later_symbol(self):
        rows = [*clean(2, "A"), *clean(3, "B"), bar("B", 1, v=999)]
        out, report = repair(rows)
        assert report.counts == counts(duplicate_key=1, non_monotonic=1)
        assert out.column("volume").to_pylist() == [100] * 5
        rows = [*clean(2, "A"), bar("B", 0), bar("B", 2), bar("B", 1)]
        assert repair(rows)[1].counts == counts(non_monotonic=1)

    def test_many_interleaved_symbols_in_order_are_fine(self):
        """Input order within a symbol needs a stable sort (numpy's default argsort is not, beyond a few rows)."""
        rows = [bar(symbol, i) for i in range(20) for symbol in ("B", "A", "C")]
        out, report = run_sanity(table(rows), "strict", sessions=SESSIONS)
        assert report.counts == ZERO
        assert out.num_rows == 60

    def test_return_of_exactly_the_threshold_is_not_a_bad_tick(self):
        assert abs(4.0 / 10.0 - 1.0) == sanity.BAD_TICK_THRESHOLD  # exact in binary floating point
        rows = clean(3)
        rows[1] = bar("A", 1, o=4.0, h=4.0, lo=4.0, c=4.0)
        rows[2] = bar("A", 2, o=4.0, h=4.0, lo=4.0, c=4.0)
        assert repair(rows)[1].counts == ZERO
        _, report = run_sanity(table(rows), "strict", sessions=SESSIONS)  # not even flagged
        assert report.counts == ZERO

    def test_reversal_exactly_at_the_threshold_of_the_last_kept_bar_is_kept(self):
        rows = [bar("A", 0), *(bar("A", i, o=c, h=c, lo=c, c=c) for i, c in ((1, 30.0), (2, 4.0)))]
        out, report = repair(rows)
        assert out.column("close").to_pylist() == [10.0, 4.0]
        assert report.counts == counts(bad_tick=1, missing_session=1)

    def test_two_bar_spike_dropped_and_reversal_kept(self):
        closes = [10.0, 30.0, 100.0, 10.0]  # each spike bar is re-tested against the last kept bar
        rows = [bar("A", i, o=c, h=c, lo=c, c=c) for i, c in enumerate(closes)]
        out, report = repair(rows)
        assert out.column("close").to_pylist() == [10.0, 10.0]
        assert report.counts == counts(bad_tick=2, missing_session=2)

    @pytest.mark.parametrize(
        "sessions",
        [S, [str(d) for d in S], SESSIONS.astype("datetime64[ns]")],
        ids=["dates", "iso-strings", "datetime64-ns"],
    )
    def test_sessions_are_normalised_to_days(self, sessions):
        rows = [bar("A", i) for i in (0, 1, 3)]
        out, report = run_sanity(table(rows), "repair", sessions=sessions)
        assert report.counts == counts(missing_session=1)
        assert out.num_rows == 3
        with pytest.raises(InputError) as info:
            run_sanity(table(rows), "strict", sessions=sessions)
        assert (
            str(info.value)
            == "sanity check 'missing_session': 1 offending rows; first: A 2020-01-03 (no row)"
        )

    def test_row_level_finder_refuses_other_checks(self):
        f = sanity._to_frame(table(clean()))
        with pytest.raises(AssertionError, match=r"^MISSING_SESSION is not a row-level check$"):
            sanity._find(Check.MISSING_SESSION, f, SESSIONS, set())
        with pytest.raises(AssertionError, match="bogus"):
            sanity._find("bogus", f, SESSIONS, set())
