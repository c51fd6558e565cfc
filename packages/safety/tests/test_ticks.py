"""The Rule 612 price grid, and the price band's one-tick floor on sub-dollar references."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aurora_safety import ReasonCode, check_price_band, on_tick_grid, round_to_tick, tick_size


class TestTickSize:
    @pytest.mark.parametrize(
        ("price", "tick"), [(1.0, 0.01), (4_999.99, 0.01), (0.9999, 0.0001), (0.01, 0.0001)]
    )
    def test_a_cent_at_or_above_a_dollar_a_hundredth_below(self, price, tick):
        assert tick_size(price) == tick


class TestRoundToTick:
    @pytest.mark.parametrize(
        ("price", "up", "expected"),
        [
            (33.4996, False, 33.49),
            (33.1663, True, 33.17),
            (0.09045, False, 0.0904),
            (0.08955, True, 0.0896),
            (1.004, False, 1.0),
            (0.99995, True, 1.0),
            (0.99995, False, 0.9999),
            (0.1 + 0.2, False, 0.3),  # 0.30000000000000004 is on the grid, not a tick below it
            (0.3, True, 0.3),
            (0.00005, False, 0.0),
            (0.00005, True, 0.0001),
        ],
    )
    def test_rounds_on_the_grid_of_the_price(self, price, up, expected):
        assert round_to_tick(price, up=up) == expected

    @pytest.mark.parametrize("price", [0.0, -1.0, math.nan, math.inf])
    def test_refuses_what_is_not_a_price(self, price):
        with pytest.raises(ValueError, match=r"^'price' must be a finite number > 0, was "):
            round_to_tick(price, up=True)

    @given(st.floats(0.0001, 5_000.0), st.booleans())
    def test_the_result_is_on_the_grid_and_within_one_tick(self, price, up):
        rounded = round_to_tick(price, up=up)
        assert on_tick_grid(rounded)
        assert abs(rounded - price) <= max(tick_size(price), tick_size(rounded)) + 1e-12
        assert (rounded >= price - 1e-12) if up else (rounded <= price + 1e-12)


class TestOnTickGrid:
    @pytest.mark.parametrize("price", [1.0, 12.34, 0.0904, 0.0001, 0.9999])
    def test_on(self, price):
        assert on_tick_grid(price)

    @pytest.mark.parametrize("price", [1.005, 12.345, 0.00005, 0.0, -0.01, math.nan, math.inf])
    def test_off(self, price):
        assert not on_tick_grid(price)


class TestPriceBandFloorOfOneTick:
    def test_a_sub_dollar_reference_allows_one_tick_even_beyond_the_bps(self):
        # 0.0006 is 2,000 bps from 0.0005, but one tick: the nearest price on the grid
        assert check_price_band(0.0006, 0.0005, 1_000.0) is None
        assert check_price_band(0.0004, 0.0005, 1_000.0) is None

    def test_two_ticks_beyond_the_bps_are_refused(self):
        rejection = check_price_band(0.0007, 0.0005, 1_000.0)
        assert rejection is not None
        assert rejection.reason is ReasonCode.PRICE_BAND

    def test_at_a_dollar_the_tick_is_a_cent(self):
        assert check_price_band(1.01, 1.0, 50.0) is None  # 100 bps, but one tick
        assert check_price_band(1.02, 1.0, 50.0) is not None
        assert check_price_band(0.9999 + 0.0001, 0.9999, 0.5) is None
        assert check_price_band(0.9999 + 0.0002, 0.9999, 0.5) is not None
