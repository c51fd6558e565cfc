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
from aurora_safety.config import (
    MAX_BPS,
    MAX_COUNT,
    MAX_NOTIONAL_USD,
    MAX_ORDER_SHARES,
    MAX_RATE_PER_SEC,
    MAX_SECONDS,
)

INT_FIELDS = ["max_order_qty_shares", "max_session_orders", "message_burst", "max_consecutive_rejects"]
FLOAT_FIELDS = [n for n in LIMIT_DEFAULTS if n not in INT_FIELDS]
# Every numeric limit has a documented upper bound (docs/architecture.md, "Limits and their bounds").
UPPER_BOUNDS = {
    "max_order_qty_shares": MAX_ORDER_SHARES,
    "max_order_notional_usd": MAX_NOTIONAL_USD,
    "max_position_notional_usd": MAX_NOTIONAL_USD,
    "max_gross_exposure_usd": MAX_NOTIONAL_USD,
    "max_daily_notional_usd": MAX_NOTIONAL_USD,
    "max_session_orders": MAX_COUNT,
    "price_band_bps": MAX_BPS,
    "stale_after_secs": MAX_SECONDS,
    "max_messages_per_sec": MAX_RATE_PER_SEC,
    "message_burst": MAX_COUNT,
    "max_drawdown_pct": 100,
    "max_daily_loss_pct": 100,
    "max_consecutive_rejects": MAX_COUNT,
}


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
        expectation = f"must be a finite number > 0 and <= {UPPER_BOUNDS[field]}"
        assert str(info.value) == f"'limits.{field}' {expectation}, was {shown} (my.toml)"
        assert info.value.field == f"limits.{field}"
        assert info.value.source == "my.toml"

    @pytest.mark.parametrize("bad", [0, -1, 10.0, 1.5, True, None, "10", math.inf])
    @pytest.mark.parametrize("field", INT_FIELDS)
    def test_int_limit_refused(self, field, bad):
        bound = UPPER_BOUNDS[field]
        with pytest.raises(
            ConfigError, match=rf"^'limits\.{field}' must be an integer > 0 and <= {bound}, was "
        ):
            load_limits({field: bad}, "c.toml")

    def test_exact_message_example(self):
        with pytest.raises(ConfigError) as info:
            load_limits({"max_order_notional_usd": math.inf}, "my.toml")
        assert str(info.value) == (
            "'limits.max_order_notional_usd' must be a finite number > 0 and <= 1000000000000, was inf (my.toml)"
        )

    @pytest.mark.parametrize(
        ("field", "absurd", "shown"),
        [
            ("max_order_qty_shares", 99999999999999999999, "99999999999999999999"),  # beyond int64
            ("max_order_notional_usd", 1e308, "1e+308"),
            ("stale_after_secs", 1e30, "1e+30"),
        ],
    )
    def test_absurd_limits_refused_naming_field_bound_and_value(self, field, absurd, shown):
        with pytest.raises(ConfigError) as info:
            load_limits({field: absurd}, "my.toml")
        kind = "an integer" if field in INT_FIELDS else "a finite number"
        assert str(info.value) == (
            f"'limits.{field}' must be {kind} > 0 and <= {UPPER_BOUNDS[field]}, was {shown} (my.toml)"
        )

    @pytest.mark.parametrize("field", list(UPPER_BOUNDS))
    def test_every_limit_accepts_its_bound_and_refuses_just_beyond(self, field):
        bound = UPPER_BOUNDS[field]
        assert getattr(load_limits({field: bound}, "c"), field) == bound
        beyond = bound + 1 if field in INT_FIELDS else bound * (1 + 1e-9)
        with pytest.raises(ConfigError, match=rf"<= {bound}, was "):
            load_limits({field: beyond}, "c")

    def test_every_bound_fits_int64_and_cents_in_int64(self):
        assert MAX_ORDER_SHARES < 2**63
        assert MAX_NOTIONAL_USD * 100 < 2**63  # cash is journaled as integer cents

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
