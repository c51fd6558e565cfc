"""The package surface other packages code against, and its structural rules."""

import ast
from importlib import resources
from pathlib import Path

import aurora_safety

SRC = Path(aurora_safety.__file__).parent


def test_every_exported_name_resolves_and_is_unique():
    assert len(set(aurora_safety.__all__)) == len(aurora_safety.__all__)
    for name in aurora_safety.__all__:
        assert getattr(aurora_safety, name) is not None, name


def test_core_names_exported():
    for name in [
        "ReasonCode",
        "Rejection",
        "StateChanged",
        "BreakerTripped",
        "BreakerReset",
        "ConfigError",
        "AuroraError",
        "Clock",
        "SystemClock",
        "TestClock",
        "KillSwitch",
        "KillStatus",
        "kill_file_path",
        "engage",
        "disengage",
        "TradingState",
        "OrderEffect",
        "TradingStateMachine",
        "Limits",
        "load_limits",
        "LIMIT_DEFAULTS",
        "TokenBucket",
        "SessionOrderCounter",
        "BreakerBoard",
        "DrawdownBreaker",
        "DailyLossBreaker",
        "ConsecutiveRejectsBreaker",
        "RateBreaker",
        "effective_flags",
        "load_declarations",
        "rollback_active",
        "gate_order",
    ]:
        assert name in aurora_safety.__all__, name


def test_flags_toml_and_py_typed_ship_as_package_data():
    assert resources.files("aurora_safety").joinpath("flags.toml").is_file()
    assert resources.files("aurora_safety").joinpath("py.typed").is_file()


def test_modules_stay_small():
    for path in SRC.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 300, path.name


def test_only_env_module_reads_the_environment():
    """env.py is the single reader of AURORA_* variables; nothing else touches os.environ."""
    for path in SRC.glob("*.py"):
        if path.name == "env.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv"}:
                raise AssertionError(f"{path.name}:{node.lineno} reads os.{node.attr}")
