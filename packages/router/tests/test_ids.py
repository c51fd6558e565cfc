"""Deterministic client order ids."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import date

import pytest

from aurora_router import client_order_id

D = date(2012, 1, 3)


def test_readable_prefix_and_short_hash() -> None:
    coid = client_order_id("xs_momo_v1", D, "AAPL", 0)
    prefix, digest = coid.rsplit("-", 1)
    assert prefix == "xs_momo_v1-20120103-AAPL-0"
    assert len(digest) == 8
    assert int(digest, 16) >= 0


def test_unique_over_keys_and_legs() -> None:
    keys = list(
        itertools.product(
            ["s1", "s1-x", "s"], [D, date(2012, 1, 4)], ["AAPL", "x-AAPL", "MSFT"], [0, 1, "0", "b"]
        )
    )
    ids = {client_order_id(*k) for k in keys}
    distinct_keys = {(s, d, sym, str(leg)) for s, d, sym, leg in keys}  # leg 0 and "0" are one leg
    assert len(ids) == len(distinct_keys) == 54


def test_stable_across_processes_and_hash_seeds() -> None:
    code = (
        "from datetime import date; from aurora_router import client_order_id; "
        "print(client_order_id('xs_momo_v1', date(2012, 1, 3), 'AAPL', 0))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("0", "1", "random")
    }
    assert outputs == {client_order_id("xs_momo_v1", D, "AAPL", 0)}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", D, "AAPL", 0), "'strategy' must be a non-empty string, was ''"),
        (("s", D, "", 0), "'symbol' must be a non-empty string, was ''"),
        (("s", "2012-01-03", "AAPL", 0), "'session' must be a date, was '2012-01-03'"),
        (("s", D, "AAPL", -1), "'leg' must be an integer >= 0 or a non-empty string, was -1"),
        (("s", D, "AAPL", True), "'leg' must be an integer >= 0 or a non-empty string, was True"),
    ],
)
def test_bad_parts_are_refused(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        client_order_id(*args)
