"""Absurd limits in a config file are refused with one line naming the field, the bound and the value.

The three values of issue 18 (a quantity beyond int64, a notional of 1e308 and a
staleness of 1e30 seconds) through the real TOML loader and the `aurora` entry
point, in process: nothing is written, exit 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from _refusals import assert_config_refused


@pytest.mark.parametrize(
    ("section", "line", "message"),
    [
        (
            "limits",
            "max_order_qty_shares = 99999999999999999999",
            "'limits.max_order_qty_shares' must be an integer > 0 and <= 1000000000, was 99999999999999999999",
        ),
        (
            "limits",
            "max_order_notional_usd = 1e308",
            "'limits.max_order_notional_usd' must be a finite number > 0 and <= 1000000000000, was 1e+308",
        ),
        (
            "limits",
            "stale_after_secs = 1e30",
            "'limits.stale_after_secs' must be a finite number > 0 and <= 31622400, was 1e+30",
        ),
        (
            "execution",
            "starting_cash_usd = 1e308",
            "'execution.starting_cash_usd' input should be less than or equal to 1000000000000, was 1e+308",
        ),
    ],
)
def test_absurd_values_are_refused_naming_field_bound_and_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], section: str, line: str, message: str
) -> None:
    config = tmp_path / "absurd.toml"
    config.write_text(f"[{section}]\n{line}\n", encoding="utf-8")
    assert_config_refused(config, message, tmp_path / "run", capsys)
