import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aurora_safety import (
    ReasonCode,
    check_daily_notional,
    check_gross_exposure,
    check_order_notional,
    check_order_qty,
    check_position_notional,
    check_price_band,
    check_reference,
    check_short_sale,
    check_valid,
)

SEC = 1_000_000_000
NAN, INF = math.nan, math.inf
SYMBOLS = frozenset({"AAPL", "IBM"})


class TestCheckValid:
    def test_valid(self):
        assert check_valid(100, 10.5, "AAPL", "BUY", SYMBOLS) is None
        assert check_valid(1, 1, "IBM", "sell", SYMBOLS) is None

    @pytest.mark.parametrize(
        ("qty", "shown"),
        [
            (0, "quantity=0"),
            (-1, "quantity=-1"),
            (1.5, "quantity=1.5"),
            (NAN, "quantity=nan"),
            (INF, "quantity=inf"),
            (True, "quantity='True'"),
            (None, "quantity='None'"),
            (10.0, "quantity=10.0"),
        ],
    )
    def test_bad_quantity(self, qty, shown):
        rej = check_valid(qty, 10.0, "AAPL", "BUY", SYMBOLS)
        assert rej is not None
        assert rej.message == f"INVALID_ORDER: {shown}, expected='integer > 0'"

    @pytest.mark.parametrize("price", [0, -1.0, NAN, INF, -INF, None, "10", True])
    def test_bad_price(self, price):
        rej = check_valid(1, price, "AAPL", "BUY", SYMBOLS)
        assert rej is not None
        assert rej.reason is ReasonCode.INVALID_ORDER
        assert rej.value("expected") == "finite number > 0"

    def test_unknown_symbol_and_side(self):
        assert check_valid(1, 1.0, "TSLA", "BUY", SYMBOLS).message == (
            "INVALID_ORDER: symbol='TSLA', expected='known symbol'"
        )
        assert check_valid(1, 1.0, "IBM", "HOLD", SYMBOLS).message == (
            "INVALID_ORDER: side='HOLD', expected='BUY or SELL'"
        )
        assert check_valid(1, 1.0, "IBM", None, SYMBOLS).reason is ReasonCode.INVALID_ORDER


class TestShortSale:
    def test_sell_up_to_the_uncommitted_position_passes(self):
        assert check_short_sale(100, 0, 100) is None
        assert check_short_sale(100, 40, 60) is None

    def test_sell_beyond_it_names_the_deciding_values(self):
        assert check_short_sale(100, 40, 61).message == (
            "SHORT_SALE: position_qty=100, open_sell_qty=40, quantity=61"
        )
        assert check_short_sale(0, 0, 1).message == "SHORT_SALE: position_qty=0, open_sell_qty=0, quantity=1"
        # already short: any sell grows the short
        assert check_short_sale(-5, 0, 1).reason is ReasonCode.SHORT_SALE

    @pytest.mark.parametrize(
        ("args", "shown"),
        [
            ((100.0, 0, 1), "position_qty=100.0, open_sell_qty=0, quantity=1"),
            ((100, True, 1), "position_qty=100, open_sell_qty='True', quantity=1"),
            ((100, 0, None), "position_qty=100, open_sell_qty=0, quantity='None'"),
            ((100, -1, 1), "position_qty=100, open_sell_qty=-1, quantity=1"),
            ((NAN, 0, 1), "position_qty=nan, open_sell_qty=0, quantity=1"),
        ],
    )
    def test_inputs_it_cannot_trust_fail_closed(self, args, shown):
        assert check_short_sale(*args).message == f"SHORT_SALE: {shown}"

    @given(
        position=st.integers(-(10**6), 10**6),
        open_sell=st.integers(0, 10**6),
        quantity=st.integers(1, 10**6),
    )
    def test_passes_exactly_when_every_fill_leaves_the_book_long_or_flat(self, position, open_sell, quantity):
        rejection = check_short_sale(position, open_sell, quantity)
        assert (rejection is None) is (position - open_sell - quantity >= 0)


class TestHugeIntegers:
    """An integer beyond the float range is rejected by the check, never an OverflowError."""

    def test_each_check_rejects_instead_of_raising(self):
        huge = 10**400
        assert check_order_qty(huge, 10_000).message == (
            f"MAX_ORDER_QTY: max_order_qty_shares=10000, quantity={huge}"
        )
        assert check_order_notional(huge, 1.0, 1e6).reason is ReasonCode.MAX_ORDER_NOTIONAL
        assert check_price_band(huge, 100.0, 1000.0).reason is ReasonCode.PRICE_BAND
        assert check_position_notional(0, huge, 1.0, 1e6).reason is ReasonCode.MAX_POSITION_NOTIONAL
        assert check_gross_exposure(huge, 1.0, 1e6).reason is ReasonCode.MAX_GROSS_EXPOSURE
        assert check_daily_notional(0.0, huge, 1e6).reason is ReasonCode.MAX_DAILY_NOTIONAL
        assert check_reference(10.0, 0, huge, 1.0).message == (
            f"STALE_REFERENCE: stale_after_secs=1.0, now_ns={huge}"
        )
        assert check_reference(10.0, -huge, 0, 1.0).message == f"NO_REFERENCE_PRICE: reference_ts_ns={-huge}"
        assert check_short_sale(huge, 0, 1).reason is ReasonCode.SHORT_SALE

    def test_position_sum_beyond_the_float_range_is_over_the_limit(self):
        big = 10**308  # each side fits a float, their sum does not
        rejection = check_position_notional(big, big, 1.0, 1e6)
        assert rejection is not None
        assert rejection.value("position_notional") == INF

    @given(quantity=st.integers(min_value=2**1024 - 2**970, max_value=10**320))
    def test_any_quantity_beyond_the_float_range(self, quantity):
        assert check_order_qty(quantity, 10**9).reason is ReasonCode.MAX_ORDER_QTY
        assert check_order_notional(quantity, 1.0, 1e6).reason is ReasonCode.MAX_ORDER_NOTIONAL


class TestCheckReference:
    def test_fresh(self):
        assert check_reference(10.0, 0, 432_000 * SEC, 432_000.0) is None

    def test_missing_or_bad_price(self):
        assert check_reference(None, 0, 1, 1.0).message == ("NO_REFERENCE_PRICE: reference_price='None'")
        for bad in (NAN, INF, 0.0, -1.0):
            assert check_reference(bad, 0, 1, 1.0).reason is ReasonCode.NO_REFERENCE_PRICE
        assert check_reference(10.0, None, 1, 1.0).reason is ReasonCode.NO_REFERENCE_PRICE

    def test_stale(self):
        rej = check_reference(10.0, 0, 432_000 * SEC + 1, 432_000.0)
        assert rej.message == ("STALE_REFERENCE: stale_after_secs=432000.0, age_secs=432000.000000001")

    def test_from_the_future_is_stale(self):
        rej = check_reference(10.0, 2 * SEC, SEC, 10.0)
        assert rej.message == "STALE_REFERENCE: stale_after_secs=10.0, age_secs=-1.0"


class TestPriceBand:
    def test_inside_and_on_the_edge(self):
        assert check_price_band(110.0, 100.0, 1000.0) is None
        assert check_price_band(90.0, 100.0, 1000.0) is None

    def test_outside(self):
        rej = check_price_band(111.0, 100.0, 1000.0)
        assert rej.reason is ReasonCode.PRICE_BAND
        assert rej.value("deviation_bps") == pytest.approx(1100.0)
        assert rej.message.startswith("PRICE_BAND: price_band_bps=1000.0, deviation_bps=1100.")

    def test_split_day_raw_prices_do_not_trip(self):
        # raw limit vs raw reference: a 2:1 split halves both, not just one
        assert check_price_band(50.5, 50.0, 1000.0) is None


class TestSizeLimits:
    def test_order_qty(self):
        assert check_order_qty(10_000, 10_000) is None
        assert check_order_qty(10_001, 10_000).message == (
            "MAX_ORDER_QTY: max_order_qty_shares=10000, quantity=10001"
        )

    def test_order_notional(self):
        assert check_order_notional(1000, 100.0, 100_000.0) is None
        assert check_order_notional(1200, 100.0, 100_000.0).message == (
            "MAX_ORDER_NOTIONAL: max_order_notional_usd=100000.0, notional=120000.0"
        )

    def test_position_notional_blocks_growth(self):
        rej = check_position_notional(4000, 2000, 100.0, 500_000.0)
        assert rej.message == (
            "MAX_POSITION_NOTIONAL: max_position_notional_usd=500000.0, "
            "position_notional=600000.0, position_qty=6000"
        )
        assert check_position_notional(4000, 1000, 100.0, 500_000.0) is None
        assert check_position_notional(-4000, -2000, 100.0, 500_000.0).reason is (
            ReasonCode.MAX_POSITION_NOTIONAL
        )

    def test_position_notional_lets_reductions_through_even_when_over(self):
        assert check_position_notional(8000, -1000, 100.0, 500_000.0) is None
        # flipping sign to a larger short is growth
        assert check_position_notional(1000, -7000, 100.0, 500_000.0) is not None

    def test_gross_exposure(self):
        assert check_gross_exposure(1_000_000.0, 500_000.0, 1_500_000.0) is None
        assert check_gross_exposure(1_000_000.0, 600_000.0, 1_500_000.0).message == (
            "MAX_GROSS_EXPOSURE: max_gross_exposure_usd=1500000.0, gross_exposure=1600000.0, "
            "used=1000000.0, added=600000.0"
        )
        assert check_gross_exposure(2_000_000.0, -100.0, 1_500_000.0) is None

    def test_daily_notional(self):
        assert check_daily_notional(0.0, 2_000_000.0, 2_000_000.0) is None
        assert check_daily_notional(1.0, 2_000_000.0, 2_000_000.0).reason is (ReasonCode.MAX_DAILY_NOTIONAL)
        assert check_daily_notional(-1.0, 1.0, 10.0).reason is ReasonCode.MAX_DAILY_NOTIONAL


# ---- property: no check accepts NaN or +-inf in any argument -----------------

finite = st.floats(min_value=1e-6, max_value=1e9)
nonfinite = st.sampled_from([NAN, INF, -INF])
ints = st.integers(1, 10**6)

CHECKS = {
    # name: (function, generators per argument, expected reason)
    "reference": (
        lambda p, t, n, s: check_reference(
            p, int(t) if math.isfinite(t) else t, int(n) if math.isfinite(n) else n, s
        ),
        4,
        ReasonCode.NO_REFERENCE_PRICE,
        ReasonCode.STALE_REFERENCE,
    ),
    "band": (check_price_band, 3, ReasonCode.PRICE_BAND),
    "qty": (check_order_qty, 2, ReasonCode.MAX_ORDER_QTY),
    "notional": (check_order_notional, 3, ReasonCode.MAX_ORDER_NOTIONAL),
    "position": (check_position_notional, 4, ReasonCode.MAX_POSITION_NOTIONAL),
    "gross": (check_gross_exposure, 3, ReasonCode.MAX_GROSS_EXPOSURE),
    "daily": (check_daily_notional, 3, ReasonCode.MAX_DAILY_NOTIONAL),
}


@given(data=st.data(), name=st.sampled_from(sorted(CHECKS)))
def test_no_check_accepts_nan_or_inf(data, name):
    fn, arity, *reasons = CHECKS[name]
    bad_index = data.draw(st.integers(0, arity - 1))
    args = [
        data.draw(st.one_of(finite, nonfinite)) if i != bad_index else data.draw(nonfinite)
        for i in range(arity)
    ]
    rej = fn(*args)
    assert rej is not None, (name, args)
    assert rej.reason in reasons


@given(qty=st.one_of(ints, nonfinite), price=st.one_of(finite, nonfinite))
def test_check_valid_rejects_every_nonfinite(qty, price):
    rej = check_valid(qty, price, "AAPL", "BUY", SYMBOLS)
    if isinstance(qty, int) and math.isfinite(price):
        assert rej is None
    else:
        assert rej is not None
        assert rej.reason is ReasonCode.INVALID_ORDER


@given(qty=ints, price=finite, limit=finite)
def test_notional_check_matches_arithmetic(qty, price, limit):
    rej = check_order_notional(qty, price, limit)
    assert (rej is None) is (qty * price <= limit)
