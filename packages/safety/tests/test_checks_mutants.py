"""Exact rejections of the pre-trade checks, at every boundary, for the mutation run.

Each check's rejection is compared whole (reason code, every value, in
order), so a dropped or renamed value, a moved boundary or a skipped
argument check changes the result. ``Fraction`` and an ``int`` subclass
stand in for the non-builtin numbers (numpy scalars) that take the slow path.
"""

from __future__ import annotations

import math
import sys
from fractions import Fraction

import pytest

from aurora_safety import (
    ReasonCode,
    Rejection,
    check_daily_notional,
    check_gross_exposure,
    check_order_notional,
    check_order_qty,
    check_position_notional,
    check_price_band,
    check_reference,
    check_valid,
)

INF = math.inf
SYMBOLS = frozenset({"AAPL"})


class Shares(int):
    """An integer that is not exactly ``int`` (like numpy.int64): it takes the checks' slow path."""


class TestNumbersOffTheFastPath:
    @pytest.mark.parametrize("quantity", [Shares(1), Shares(5)])
    def test_an_int_subclass_is_a_valid_quantity(self, quantity):
        assert check_valid(quantity, 10.0, "AAPL", "BUY", SYMBOLS) is None

    def test_an_int_subclass_zero_is_not(self):
        assert check_valid(Shares(0), 10.0, "AAPL", "BUY", SYMBOLS) == Rejection.of(
            ReasonCode.INVALID_ORDER, quantity=0, expected="integer > 0"
        )

    def test_a_fraction_quantity_is_shown_as_a_float(self):
        assert check_valid(Fraction(3, 2), 10.0, "AAPL", "BUY", SYMBOLS) == Rejection.of(
            ReasonCode.INVALID_ORDER, quantity=1.5, expected="integer > 0"
        )

    def test_a_fraction_price_is_a_finite_real(self):
        assert check_valid(1, Fraction(1, 2), "AAPL", "BUY", SYMBOLS) is None

    def test_an_int_subclass_timestamp_is_an_integer_but_a_bool_is_not(self):
        assert check_reference(10.0, Shares(5), 5, 1.0) is None
        assert check_reference(10.0, True, 5, 1.0) == Rejection.of(
            ReasonCode.NO_REFERENCE_PRICE, reference_ts_ns="True"
        )


class TestIntegersAtTheFloatRange:
    """Integers up to the largest float are integers; one beyond is not a usable number."""

    BIG = int(sys.float_info.max)

    def test_a_timestamp_at_the_top_of_the_range(self):
        assert check_reference(10.0, 0, self.BIG, 1.0) == Rejection.of(
            ReasonCode.STALE_REFERENCE, stale_after_secs=1.0, age_secs=self.BIG / 1_000_000_000
        )
        assert check_reference(10.0, 0, self.BIG + 1, 1.0) == Rejection.of(
            ReasonCode.STALE_REFERENCE, stale_after_secs=1.0, now_ns=self.BIG + 1
        )

    def test_an_int_subclass_at_either_end_of_the_range(self):
        age = self.BIG / 1_000_000_000
        assert check_reference(10.0, 0, Shares(self.BIG), 1.0) == Rejection.of(
            ReasonCode.STALE_REFERENCE, stale_after_secs=1.0, age_secs=age
        )
        assert check_reference(10.0, Shares(-self.BIG), 0, 1.0) == Rejection.of(
            ReasonCode.STALE_REFERENCE, stale_after_secs=1.0, age_secs=age
        )

    def test_a_reference_timestamp_at_the_bottom_of_the_range(self):
        assert check_reference(10.0, -self.BIG, 0, 1.0) == Rejection.of(
            ReasonCode.STALE_REFERENCE, stale_after_secs=1.0, age_secs=self.BIG / 1_000_000_000
        )
        assert check_reference(10.0, -self.BIG - 1, 0, 1.0) == Rejection.of(
            ReasonCode.NO_REFERENCE_PRICE, reference_ts_ns=-self.BIG - 1
        )


class TestCheckValidExact:
    def test_bad_price(self):
        assert check_valid(1, 0.0, "AAPL", "BUY", SYMBOLS) == Rejection.of(
            ReasonCode.INVALID_ORDER, price=0.0, expected="finite number > 0"
        )

    def test_a_price_under_one_is_valid(self):
        assert check_valid(1, 0.5, "AAPL", "BUY", SYMBOLS) is None


class TestCheckReferenceExact:
    def test_a_reference_price_under_one_is_a_price(self):
        assert check_reference(0.5, 0, 0, 1.0) is None

    def test_non_positive_reference(self):
        assert check_reference(-1.0, 0, 0, 1.0) == Rejection.of(
            ReasonCode.NO_REFERENCE_PRICE, reference_price=-1.0
        )

    def test_reference_timestamp_not_an_integer(self):
        assert check_reference(10.0, "x", 0, 1.0) == Rejection.of(
            ReasonCode.NO_REFERENCE_PRICE, reference_ts_ns="x"
        )

    @pytest.mark.parametrize("stale_after", [0.0, -1.0])
    def test_a_staleness_limit_that_is_not_positive(self, stale_after):
        assert check_reference(10.0, 0, 0, stale_after) == Rejection.of(
            ReasonCode.STALE_REFERENCE, stale_after_secs=stale_after, now_ns=0
        )

    def test_now_not_an_integer(self):
        assert check_reference(10.0, 0, 0.5, 1.0) == Rejection.of(
            ReasonCode.STALE_REFERENCE, stale_after_secs=1.0, now_ns=0.5
        )

    def test_a_staleness_limit_under_one_second(self):
        assert check_reference(10.0, 0, 0, 0.5) is None

    def test_a_reference_of_this_very_nanosecond_is_fresh(self):
        assert check_reference(10.0, 5, 5, 1.0) is None
        assert check_reference(10.0, 6, 5, 1.0) == Rejection.of(
            ReasonCode.STALE_REFERENCE, stale_after_secs=1.0, age_secs=-1e-9
        )


class TestCheckPriceBandExact:
    @pytest.mark.parametrize(
        ("limit", "reference", "band"),
        [
            (0.0, 10.0, 50.0),
            (10.0, 0.0, 50.0),
            (10.0, 10.0, 0.0),
            (INF, 10.0, 50.0),
            (10.0, INF, 50.0),
            (10.0, 10.0, INF),
        ],
    )
    def test_inputs_that_cannot_be_compared(self, limit, reference, band):
        assert check_price_band(limit, reference, band) == Rejection.of(
            ReasonCode.PRICE_BAND, price_band_bps=band, limit_price=limit, reference_price=reference
        )

    def test_prices_and_band_under_one(self):
        assert check_price_band(0.5, 0.5, 0.5) is None

    def test_outside_the_band(self):
        assert check_price_band(12.0, 8.0, 50.0) == Rejection.of(
            ReasonCode.PRICE_BAND,
            price_band_bps=50.0,
            deviation_bps=5000.0,
            limit_price=12.0,
            reference_price=8.0,
        )


class TestQuantityAndNotionalExact:
    @pytest.mark.parametrize(("quantity", "limit"), [(-INF, 10), (5, INF), ("7", 10)])
    def test_order_qty_inputs_that_are_not_finite_numbers(self, quantity, limit):
        assert check_order_qty(quantity, limit) == Rejection.of(
            ReasonCode.MAX_ORDER_QTY, max_order_qty_shares=limit, quantity=quantity
        )

    @pytest.mark.parametrize(
        ("quantity", "price", "limit"), [(INF, 10.0, 1e3), (5, INF, 1e3), (5, 10.0, INF)]
    )
    def test_order_notional_inputs_that_are_not_finite(self, quantity, price, limit):
        assert check_order_notional(quantity, price, limit) == Rejection.of(
            ReasonCode.MAX_ORDER_NOTIONAL, max_order_notional_usd=limit, quantity=quantity, price=price
        )

    def test_order_notional_over(self):
        assert check_order_notional(-20, 10.0, 100.0) == Rejection.of(
            ReasonCode.MAX_ORDER_NOTIONAL, max_order_notional_usd=100.0, notional=200.0
        )


class TestPositionNotionalExact:
    def test_a_price_that_is_not_positive(self):
        assert check_position_notional(0, 10, 0.0, 1000.0) == Rejection.of(
            ReasonCode.MAX_POSITION_NOTIONAL,
            max_position_notional_usd=1000.0,
            position_qty=0,
            order_qty=10,
            price=0.0,
        )

    def test_a_price_under_one(self):
        assert check_position_notional(0, 10, 0.5, 1000.0) is None

    def test_a_flip_to_the_same_size_is_not_growth(self):
        assert check_position_notional(10, -20, 100.0, 500.0) is None  # 10 long -> 10 short, over the limit

    def test_growth_over_the_limit(self):
        assert check_position_notional(10, 1, 100.0, 500.0) == Rejection.of(
            ReasonCode.MAX_POSITION_NOTIONAL,
            max_position_notional_usd=500.0,
            position_notional=1100.0,
            position_qty=11,
        )


class TestTotalsExact:
    @pytest.mark.parametrize(
        ("used", "added", "limit"),
        [(INF, 10.0, 100.0), (0.0, INF, 100.0), (0.0, 10.0, INF), (-1.0, 10.0, 100.0)],
    )
    def test_gross_exposure_inputs_that_cannot_be_added(self, used, added, limit):
        assert check_gross_exposure(used, added, limit) == Rejection.of(
            ReasonCode.MAX_GROSS_EXPOSURE, max_gross_exposure_usd=limit, used=used, added=added
        )

    def test_adding_nothing_never_blocks_even_over_the_limit(self):
        assert check_daily_notional(150.0, 0.0, 100.0) is None

    def test_adding_half_a_dollar_over_the_limit(self):
        assert check_daily_notional(100.0, 0.5, 100.0) == Rejection.of(
            ReasonCode.MAX_DAILY_NOTIONAL,
            max_daily_notional_usd=100.0,
            daily_notional=100.5,
            used=100.0,
            added=0.5,
        )
