"""Fill rules at their boundaries: limit vs open, slippage, commission, participation cap."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aurora_broker import Bar, BrokerConfig, FillModel, Side, load_broker_config
from aurora_safety import ConfigError


def bar(open_: float, volume: float = 1_000_000.0) -> Bar:
    return Bar(open_, open_ * 1.1, open_ * 0.9, open_, volume)


def model(**config: object) -> FillModel:
    return FillModel(BrokerConfig(**config))  # type: ignore[arg-type]


class TestCrossing:
    @pytest.mark.parametrize(
        ("side", "open_", "fills"),
        [
            (Side.BUY, 100.0, True),  # open == limit fills
            (Side.BUY, 99.99, True),
            (Side.BUY, 100.01, False),
            (Side.SELL, 100.0, True),
            (Side.SELL, 100.01, True),
            (Side.SELL, 99.99, False),
        ],
    )
    def test_limit_against_open(self, side: Side, open_: float, fills: bool) -> None:
        plan = model().plan(side, 10, 100.0, bar(open_), None)
        assert (plan is not None) is fills


class TestPrice:
    def test_slippage_is_against_the_buyer(self) -> None:
        assert model(slippage_bps=10.0).price(Side.BUY, 200.0, bar(100.0)) == Decimal("100.1")

    def test_slippage_is_against_the_seller(self) -> None:
        assert model(slippage_bps=10.0).price(Side.SELL, 50.0, bar(100.0)) == Decimal("99.9")

    def test_rounded_to_the_tick_against_the_trader(self) -> None:
        m = model(slippage_bps=1.0)
        assert m.price(Side.BUY, 200.0, bar(33.33)) == Decimal("33.3334")  # 33.333333 up
        assert m.price(Side.SELL, 1.0, bar(33.33)) == Decimal("33.3266")  # 33.326667 down

    def test_never_worse_than_the_limit(self) -> None:
        m = model(slippage_bps=50.0)
        assert m.price(Side.BUY, 100.0, bar(100.0)) == Decimal("100.0")
        assert m.price(Side.SELL, 100.0, bar(100.0)) == Decimal("100.0")

    def test_gross_is_exact_cents(self) -> None:
        plan = model(slippage_bps=0.0).plan(Side.BUY, 3, 10.0, bar(0.335), None)
        assert plan is not None
        assert plan.gross_cents == 100


class TestCommission:
    def test_minimum_applies(self) -> None:
        m = model(commission_per_share_usd=0.005, min_commission_usd=1.0)
        assert m.commission_cents(100) == 100  # 0.50 < 1.00
        assert m.commission_cents(200) == 100  # exactly the minimum
        assert m.commission_cents(201) == 100  # 1.005 -> 1.00 (half-even)
        assert m.commission_cents(1000) == 500

    def test_zero_commission(self) -> None:
        assert model(commission_per_share_usd=0.0, min_commission_usd=0.0).commission_cents(10) == 0


class TestParticipationCap:
    def test_capacity_is_floor_of_pct_of_volume(self) -> None:
        assert model(participation_cap_pct=10.0).capacity(bar(10.0, volume=1234.0)) == 123
        assert model().capacity(bar(10.0)) is None

    def test_partial_when_capacity_is_short(self) -> None:
        plan = model().plan(Side.BUY, 500, 10.0, bar(10.0), 123)
        assert plan is not None
        assert plan.quantity == 123

    def test_no_capacity_no_fill(self) -> None:
        assert model().plan(Side.BUY, 500, 10.0, bar(10.0), 0) is None


class TestConfig:
    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            (
                "slippage_bps",
                -1.0,
                "'broker.slippage_bps' must be a finite number >= 0 and < 10000, was -1.0",
            ),
            (
                "commission_per_share_usd",
                float("nan"),
                "'broker.commission_per_share_usd' must be a finite number >= 0, was nan",
            ),
            (
                "participation_cap_pct",
                0.0,
                "'broker.participation_cap_pct' must be null or a finite number > 0 and <= 100, was 0.0",
            ),
            (
                "starting_cash_usd",
                10.001,
                "'broker.starting_cash_usd' must be a finite number > 0 in whole cents, was 10.001",
            ),
            (
                "min_commission_usd",
                True,
                "'broker.min_commission_usd' must be a finite number >= 0, was True",
            ),
        ],
    )
    def test_bad_values_name_field_and_value(self, field: str, value: object, message: str) -> None:
        with pytest.raises(ConfigError) as info:
            BrokerConfig(**{field: value})  # type: ignore[arg-type]
        assert str(info.value) == message

    def test_loader_names_the_source_and_refuses_unknown_keys(self) -> None:
        with pytest.raises(ConfigError, match=r"was -2\.0 \(run\.toml\)$"):
            load_broker_config({"slippage_bps": -2.0}, "run.toml")
        with pytest.raises(ConfigError, match=r"^unknown field 'broker.slipage_bps'"):
            load_broker_config({"slipage_bps": 1.0}, "run.toml")

    def test_frozen_and_keyword_only(self) -> None:
        config = BrokerConfig()
        with pytest.raises(AttributeError):
            config.slippage_bps = 1.0  # type: ignore[misc]
        with pytest.raises(TypeError):
            BrokerConfig(0.01)  # type: ignore[misc]
        assert config.starting_cash_cents == 100_000_000
