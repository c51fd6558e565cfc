import pytest

from aurora_safety import ConfigError
from aurora_safety.env import (
    flag_env_values,
    flag_var,
    kill_env_trigger,
    kill_file_env,
    parse_bool,
    rollback_env,
)


class TestParseBool:
    @pytest.mark.parametrize("raw", ["1", "true", "TRUE", " Yes ", "yes\n", "True"])
    def test_truthy(self, raw):
        assert parse_bool(raw) is True

    @pytest.mark.parametrize("raw", ["0", "false", "No", " FALSE "])
    def test_falsy(self, raw):
        assert parse_bool(raw) is False

    @pytest.mark.parametrize("raw", ["", "on", "2", "y", "kill"])
    def test_neither(self, raw):
        assert parse_bool(raw) is None


class TestKillEnv:
    @pytest.mark.parametrize("raw", ["1", "true", "YES", " yes "])
    def test_truthy_kills(self, raw):
        assert kill_env_trigger({"AURORA_KILL": raw}) == f"env:AURORA_KILL={raw.strip()}"

    @pytest.mark.parametrize(
        "env",
        [{}, {"AURORA_KILL": ""}, {"AURORA_KILL": "0"}, {"AURORA_KILL": "no"}, {"AURORA_KILL": " false "}],
    )
    def test_unset_or_falsy_does_not_kill(self, env):
        assert kill_env_trigger(env) is None

    def test_unrecognised_value_fails_closed(self):
        assert kill_env_trigger({"AURORA_KILL": "on"}) == (
            "env:AURORA_KILL='on' (unrecognised value, fail closed)"
        )

    def test_kill_file_env_blank_is_unset(self):
        assert kill_file_env({"AURORA_KILL_FILE": "  "}) is None
        assert kill_file_env({"AURORA_KILL_FILE": " /x/k "}) == "/x/k"
        assert kill_file_env({}) is None


class TestRollbackEnv:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("1", True),
            ("yes", True),
            ("TRUE", True),
            ("maybe", True),
            ("0", False),
            ("no", False),
            ("", False),
        ],
    )
    def test_values(self, raw, expected):
        assert rollback_env({"AURORA_ROLLBACK": raw}) is expected

    def test_unset(self):
        assert rollback_env({}) is False


class TestFlagEnv:
    def test_collects_and_lowercases(self):
        env = {"AURORA_FLAG_HGB_MODEL": "1", "AURORA_FLAG_OTHER": "no", "PATH": "/bin"}
        assert flag_env_values(env) == {"hgb_model": True, "other": False}

    def test_unparseable_value_is_config_error(self):
        with pytest.raises(ConfigError) as info:
            flag_env_values({"AURORA_FLAG_HGB_MODEL": "on"})
        assert str(info.value) == (
            "'AURORA_FLAG_HGB_MODEL' must be one of 1/true/yes or 0/false/no, was 'on' (environment)"
        )

    def test_empty_value_is_config_error(self):
        with pytest.raises(ConfigError):
            flag_env_values({"AURORA_FLAG_HGB_MODEL": ""})

    def test_flag_var(self):
        assert flag_var("hgb_model") == "AURORA_FLAG_HGB_MODEL"
