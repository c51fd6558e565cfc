import math

import pytest
from pydantic import ValidationError

from aurora_safety import (
    ACTION_DEFAULTS,
    LIMIT_DEFAULTS,
    ConfigError,
    Limits,
    TradingState,
    load_limits,
)

INT_FIELDS = ["max_order_qty_shares", "max_session_orders", "message_burst", "max_consecutive_rejects"]
FLOAT_FIELDS = [n for n in LIMIT_DEFAULTS if n not in INT_FIELDS]


class TestDefaults:
    def test_documented_defaults(self):
        assert LIMIT_DEFAULTS == {
            "max_order_qty_shares": 10_000,
            "max_order_notional_usd": 250_000.0,
            "max_position_notional_usd": 500_000.0,
            "max_gross_exposure_usd": 1_500_000.0,
            "max_daily_notional_usd": 2_000_000.0,
            "max_session_orders": 50,
            "price_band_bps": 1_000.0,
            "stale_after_secs": 432_000.0,
            "max_messages_per_sec": 50.0,
            "message_burst": 100,
            "max_drawdown_pct": 25.0,
            "max_daily_loss_pct": 10.0,
            "max_consecutive_rejects": 20,
        }
        assert ACTION_DEFAULTS == {
            "drawdown_action": TradingState.HALTED,
            "daily_loss_action": TradingState.REDUCING,
        }

    def test_every_default_finite_and_positive(self):
        for name, value in LIMIT_DEFAULTS.items():
            assert not isinstance(value, bool), name
            assert math.isfinite(value), name
            assert value > 0, name

    def test_defaults_equal_an_empty_config(self):
        assert load_limits({}, "x.toml") == Limits()

    def test_frozen_and_keyword_only(self):
        limits = Limits()
        with pytest.raises(ValidationError):
            limits.max_order_qty_shares = 1  # type: ignore[misc]
        with pytest.raises(TypeError):
            Limits(1)  # type: ignore[misc]


class TestLoadLimits:
    def test_valid_overrides(self):
        limits = load_limits({"max_order_notional_usd": 5, "drawdown_action": "REDUCING"}, "a")
        assert limits.max_order_notional_usd == 5.0
        assert isinstance(limits.max_order_notional_usd, float)
        assert limits.drawdown_action is TradingState.REDUCING

    @pytest.mark.parametrize(
        ("bad", "shown"),
        [
            (0, "0"),
            (-5, "-5"),
            (0.0, "0.0"),
            (math.inf, "inf"),
            (-math.inf, "-inf"),
            (math.nan, "nan"),
            (None, "None"),
            (True, "True"),
            ("5", "'5'"),
            ([1], "[1]"),
        ],
    )
    @pytest.mark.parametrize("field", FLOAT_FIELDS)
    def test_float_limit_refused(self, field, bad, shown):
        with pytest.raises(ConfigError) as info:
            load_limits({field: bad}, "my.toml")
        expectation = (
            "must be a finite number > 0 and <= 100"
            if field.endswith("_pct")
            else "must be a finite number > 0"
        )
        assert str(info.value) == f"'limits.{field}' {expectation}, was {shown} (my.toml)"
        assert info.value.field == f"limits.{field}"
        assert info.value.source == "my.toml"

    @pytest.mark.parametrize("bad", [0, -1, 10.0, 1.5, True, None, "10", math.inf])
    @pytest.mark.parametrize("field", INT_FIELDS)
    def test_int_limit_refused(self, field, bad):
        with pytest.raises(ConfigError, match=rf"^'limits\.{field}' must be an integer > 0, was "):
            load_limits({field: bad}, "c.toml")

    def test_exact_message_example(self):
        with pytest.raises(ConfigError) as info:
            load_limits({"max_order_notional_usd": math.inf}, "my.toml")
        assert str(info.value) == (
            "'limits.max_order_notional_usd' must be a finite number > 0, was inf (my.toml)"
        )

    def test_percent_above_100_refused(self):
        with pytest.raises(ConfigError, match="<= 100, was 101"):
            load_limits({"max_drawdown_pct": 101}, "c")

    @pytest.mark.parametrize("bad", ["ACTIVE", "halted", 1, None])
    def test_action_must_be_reducing_or_halted(self, bad):
        with pytest.raises(ConfigError) as info:
            load_limits({"daily_loss_action": bad}, "c")
        assert str(info.value).startswith(
            "'limits.daily_loss_action' must be one of 'REDUCING', 'HALTED', was "
        )

    def test_unknown_field(self):
        with pytest.raises(ConfigError) as info:
            load_limits({"max_order_notional": 1.0}, "my.toml")
        message = str(info.value)
        assert message.startswith("unknown field 'limits.max_order_notional' (allowed: ")
        assert message.endswith(", was 1.0 (my.toml)")

    def test_first_bad_field_in_declaration_order_is_reported(self):
        with pytest.raises(ConfigError) as info:
            load_limits({"max_session_orders": 0, "max_order_qty_shares": 0}, "c")
        assert info.value.field == "limits.max_order_qty_shares"

    def test_section_name_and_non_mapping(self):
        with pytest.raises(ConfigError, match=r"^'risk\.price_band_bps'"):
            load_limits({"price_band_bps": -1}, "c", section="risk")
        with pytest.raises(ConfigError, match=r"^'limits' must be a table of limits, was 5 \(c\)$"):
            load_limits(5, "c")  # type: ignore[arg-type]
