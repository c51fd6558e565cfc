import pytest

from aurora_safety import AuroraError, ConfigError, UnknownBreakerError


class TestConfigError:
    def test_message_names_field_expectation_value_and_source(self):
        err = ConfigError("max_order_notional_usd", "must be a finite number > 0", -5, "config.toml")
        assert str(err) == ("'max_order_notional_usd' must be a finite number > 0, was -5 (config.toml)")
        assert (err.field, err.value, err.source) == ("max_order_notional_usd", -5, "config.toml")

    def test_is_a_value_error_and_an_aurora_error(self):
        err = ConfigError("x", "must be y", 1)
        assert isinstance(err, ValueError)
        assert isinstance(err, AuroraError)
        with pytest.raises(ValueError, match="must be y"):
            raise err

    def test_value_shows_its_type(self):
        assert str(ConfigError("f", "must be a number", "5")) == "'f' must be a number, was '5'"
        assert str(ConfigError("f", "must be a number", float("nan"))) == ("'f' must be a number, was nan")
        assert str(ConfigError("f", "must be a number", True)) == "'f' must be a number, was True"

    def test_without_value_or_source(self):
        err = ConfigError("limits.x", "is required")
        assert str(err) == "'limits.x' is required"
        assert err.has_value is False

    def test_unknown_field(self):
        err = ConfigError.unknown_field("limits.foo", 1, "my.toml", ["a", "b"])
        assert str(err) == "unknown field 'limits.foo' (allowed: a, b), was 1 (my.toml)"
        assert err.field == "limits.foo"

    def test_long_values_are_truncated(self):
        err = ConfigError("f", "must be short", "x" * 500)
        assert len(str(err)) < 120
        assert str(err).endswith("...")


class TestUnknownBreakerError:
    def test_is_key_error_with_readable_message(self):
        err = UnknownBreakerError("nope", ["a", "b"])
        assert isinstance(err, KeyError)
        assert str(err) == "unknown breaker 'nope' (known: a, b)"
