import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aurora_safety import (
    ConfigError,
    FlagDeclaration,
    FlagStatus,
    declared_flags,
    effective_flags,
    load_declarations,
    missing_adrs,
    rollback_active,
)


def decl_text(*entries: dict) -> str:
    out = []
    for entry in entries:
        fields = {
            "name": "x",
            "default": False,
            "description": "d",
            "adr": "docs/adr/0009-x.md",
            "status": "active",
            **entry,
        }
        out.append(
            "[[flag]]\n"
            + "".join(
                f"{k} = {str(v).lower() if isinstance(v, bool) else repr(v)}\n"
                for k, v in fields.items()
                if v is not ...
            )
        )
    return "\n".join(out).replace("'", '"')


TWO = load_declarations(
    decl_text({"name": "alpha"}, {"name": "beta"}, {"name": "old_one", "status": "retired"})
)


class TestPackagedDeclarations:
    def test_contents(self):
        decls = declared_flags()
        assert [(d.name, d.status, d.default) for d in decls] == [
            ("hgb_model", FlagStatus.ACTIVE, False),
            ("legacy_power_peg", FlagStatus.RETIRED, False),
        ]
        assert decls[0].adr == "docs/adr/0003-hgb-model-flag.md"
        assert decls[0].description == (
            "use the HistGradientBoosting candidate instead of the Ridge baseline"
        )
        assert decls[1].adr == "docs/adr/0004-retired-legacy-power-peg.md"
        assert "Knight Capital" in decls[1].description

    def test_defaults_are_all_off(self):
        assert effective_flags({}, {}) == {"hgb_model": False}


class TestLoadDeclarations:
    @pytest.mark.parametrize(
        ("entry", "message"),
        [
            ({"default": True}, "'flag.x.default' must be false, was True"),
            ({"name": "HGB"}, "'flag[0].name' must be a lowercase snake_case name, was 'HGB'"),
            ({"name": "bad-name"}, "'flag[0].name' must be a lowercase snake_case name"),
            ({"adr": "adr/0001.md"}, "'flag.x.adr' must be a relative path docs/adr/<file>.md"),
            ({"adr": "docs/adr/../x.md"}, "'flag.x.adr' must be a relative path"),
            ({"adr": "docs/adr/x.txt"}, "'flag.x.adr' must be a relative path"),
            ({"status": "paused"}, "'flag.x.status' must be one of 'active', 'retired'"),
            ({"description": " "}, "'flag.x.description' must be a non-empty string"),
            ({"adr": ...}, "'flag[0].adr' is required"),
            ({"owner": "me"}, "unknown field 'flag[0].owner'"),
        ],
    )
    def test_invalid_entries(self, entry, message):
        with pytest.raises(ConfigError) as info:
            load_declarations(decl_text(entry), source="flags.toml")
        assert str(info.value).startswith(message)
        assert str(info.value).endswith("(flags.toml)")

    def test_reusing_a_retired_name_is_refused(self):
        text = decl_text(
            {"name": "legacy_power_peg", "status": "retired"},
            {"name": "legacy_power_peg", "status": "active"},
        )
        with pytest.raises(ConfigError) as info:
            load_declarations(text, source="flags.toml")
        assert str(info.value) == (
            "'flag.legacy_power_peg' is already declared (retired); a flag name can never be "
            "reused, was 'legacy_power_peg' (flags.toml)"
        )

    def test_duplicate_active_refused(self):
        with pytest.raises(ConfigError, match="already declared"):
            load_declarations(decl_text({"name": "a"}, {"name": "a"}))

    def test_bad_toml_and_unknown_top_level(self):
        with pytest.raises(ConfigError, match="must be valid TOML"):
            load_declarations("[[flag]\n")
        with pytest.raises(ConfigError, match="unknown field 'flags'"):
            load_declarations("[flags]\n")

    def test_empty_file_declares_nothing(self):
        assert load_declarations("") == ()


class TestEffectiveFlags:
    def test_config_then_env(self):
        assert effective_flags({"alpha": True}, {}, TWO) == {"alpha": True, "beta": False}
        assert effective_flags({"alpha": True}, {"AURORA_FLAG_ALPHA": "0"}, TWO) == {
            "alpha": False,
            "beta": False,
        }
        assert effective_flags({}, {"AURORA_FLAG_BETA": "yes"}, TWO) == {"alpha": False, "beta": True}

    def test_sorted_active_only(self):
        assert list(effective_flags({}, {}, TWO)) == ["alpha", "beta"]

    def test_unknown_names(self):
        with pytest.raises(ConfigError) as info:
            effective_flags({"alpah": True}, {}, TWO, source="run.toml")
        assert str(info.value) == ("unknown flag 'alpah' in flags.alpah (declared: alpha, beta) (run.toml)")
        with pytest.raises(ConfigError, match="unknown flag 'gamma' in AURORA_FLAG_GAMMA"):
            effective_flags({}, {"AURORA_FLAG_GAMMA": "1"}, TWO)

    def test_retired_cannot_be_enabled(self):
        with pytest.raises(ConfigError) as info:
            effective_flags({"old_one": True}, {}, TWO)
        assert str(info.value) == (
            "'flags.old_one' is a retired flag and can never be enabled, was True (config)"
        )
        with pytest.raises(ConfigError, match="'AURORA_FLAG_OLD_ONE' is a retired flag"):
            effective_flags({}, {"AURORA_FLAG_OLD_ONE": "1"}, TWO)
        assert effective_flags({"old_one": False}, {}, TWO) == {"alpha": False, "beta": False}

    def test_non_bool_config_value(self):
        with pytest.raises(ConfigError, match=r"^'flags.alpha' must be true or false, was 'yes'"):
            effective_flags({"alpha": "yes"}, {}, TWO)  # type: ignore[dict-item]

    def test_rollback(self):
        assert rollback_active({"AURORA_ROLLBACK": "1"}) is True
        assert rollback_active({}) is False
        env = {"AURORA_ROLLBACK": "true", "AURORA_FLAG_ALPHA": "1"}
        assert effective_flags({"beta": True}, env, TWO) == {"alpha": False, "beta": False}


config_values = st.sampled_from([True, False, "yes", 1, None])
env_values = st.sampled_from(["1", "true", "YES", "0", "no", "on", ""])
names = st.sampled_from(["alpha", "beta", "old_one", "unknown"])


@given(
    config=st.dictionaries(names, config_values, max_size=4),
    flag_env=st.dictionaries(names, env_values, max_size=4),
    rollback=st.sampled_from(["1", "true", "Yes", " TRUE ", "yes"]),
)
def test_rollback_always_wins(config, flag_env, rollback):
    """Whatever config and environment say - even invalid settings - rollback turns all off."""
    environ = {f"AURORA_FLAG_{k.upper()}": v for k, v in flag_env.items()}
    environ["AURORA_ROLLBACK"] = rollback
    assert effective_flags(config, environ, TWO) == {"alpha": False, "beta": False}


def test_missing_adrs(tmp_path: Path):
    (tmp_path / "docs/adr").mkdir(parents=True)
    (tmp_path / "docs/adr/0003-hgb-model-flag.md").write_text("# ADR")
    missing = missing_adrs(tmp_path)
    assert [d.name for d in missing] == ["legacy_power_peg"]
    assert isinstance(missing[0], FlagDeclaration)


def test_packaged_file_is_the_default_source():
    text = textwrap.dedent((Path(__file__).parents[1] / "src/aurora_safety/flags.toml").read_text())
    assert load_declarations(text) == declared_flags()
