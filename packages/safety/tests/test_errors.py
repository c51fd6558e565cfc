import errno
import os

import pytest

from aurora_safety import AuroraError, ConfigError, StorageError, UnknownBreakerError


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


@pytest.mark.parametrize(
    ("code", "cause"),
    [
        (errno.ENOSPC, "no space left on device"),
        (errno.EIO, "input/output error"),
        (errno.EROFS, "read-only file system"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_storage_error_names_cause_action_and_path(code, cause):
    fault = StorageError.from_os_error(
        OSError(code, os.strerror(code), "/runs/x/tmp.123"), "/runs/x/trace.jsonl"
    )
    assert fault is not None
    assert str(fault) == f"{cause} writing /runs/x/trace.jsonl"
    assert fault.errno == code
    assert isinstance(fault, AuroraError)  # the CLI's one line and exit 2


def test_storage_error_falls_back_to_the_errors_own_file_and_ignores_other_errors():
    fault = StorageError.from_os_error(OSError(errno.ENOSPC, "x", "/a/b"), action="creating")
    assert str(fault) == "no space left on device creating /a/b"
    assert StorageError.from_os_error(FileNotFoundError(errno.ENOENT, "x", "/a")) is None
    detailed = StorageError(
        "input/output error", "committing to", "/j.sqlite", detail="SQLite: disk I/O error"
    )
    assert str(detailed) == "input/output error committing to /j.sqlite (SQLite: disk I/O error)"
