"""Arrow's allocator in a fresh process: jemalloc once the artifact layer loads, unless the operator
named another pool. A fresh interpreter each time: the pool is process-wide and this test process's
is whatever its imports made it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aurora_e2d.core.arrow_memory import ARROW_POOL_ENV
from aurora_e2d.testkit import clean_env

PROBE = (
    "import pyarrow as pa; before = pa.default_memory_pool().backend_name; "
    "import aurora_e2d.rundir.artifacts; print(before, pa.default_memory_pool().backend_name)"
)


def pools(extra: dict[str, str] | None = None) -> list[str]:
    env = {k: v for k, v in clean_env(extra).items() if k != ARROW_POOL_ENV or extra}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no allocator warning from Arrow
    return done.stdout.split()


def test_the_artifact_layer_makes_jemalloc_arrows_pool():
    before, after = pools()
    assert after == "jemalloc"
    assert before != after  # pyarrow's own default here is another pool: the switch is ours


@pytest.mark.parametrize("named", ["system", "mimalloc"])
def test_a_pool_the_operator_names_is_left_alone(named: str):
    assert pools({ARROW_POOL_ENV: named}) == [named, named]
