"""The diff of every mutant that counts against the score, for the report.

``mutmut show NAME`` starts a process per mutant (about 1.8 s each on two
cores: 100 survivors cost three minutes of the nightly), so all diffs are
asked of mutmut's own diff function in one process; ``mutmut show`` per mutant
remains the fallback if that function moved in another mutmut 3 release.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aurora_gates.mutation.counts import MutationError
from aurora_gates.mutation.process import run_until, tail

__all__ = ["collect_diffs"]

# Reads a JSON list of mutant names from argv[1]; prints {name: diff} as JSON.
_BATCH = """\
import json, sys
from mutmut.mutation.diff_apply import find_mutant, get_diff_for_mutant
names = json.loads(open(sys.argv[1], encoding="utf-8").read())
json.dump({n: get_diff_for_mutant(n, path=find_mutant(n).path) for n in names}, sys.stdout)
"""


def _batch(
    names: Sequence[str], python: str, cwd: Path, env: Mapping[str, str], deadline: float
) -> dict[str, str] | None:
    """All diffs from one process, or None when mutmut's diff function cannot be used."""
    fd, listing = tempfile.mkstemp(prefix="mutants-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(list(names), handle)
        code, output = run_until([python, "-c", _BATCH, listing], cwd, env, deadline)
    finally:
        Path(listing).unlink(missing_ok=True)
    if code != 0:
        return None
    try:
        diffs = json.loads(output)
    except ValueError:
        return None
    if not isinstance(diffs, dict) or set(diffs) != set(names):
        return None
    return {name: str(diff) for name, diff in diffs.items()}


def _show_each(names: Sequence[str], show: Callable[[str], str]) -> dict[str, str]:
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return dict(zip(names, pool.map(show, names), strict=True))


def collect_diffs(
    names: Sequence[str], python: str, cwd: Path, env: Mapping[str, str], deadline: float
) -> dict[str, str]:
    """{mutant name: unified diff}; ``MutationError`` if neither way works."""
    if not names:
        return {}
    found = _batch(names, python, cwd, env, deadline)
    if found is not None:
        return found

    def show(name: str) -> str:
        code, output = run_until([python, "-m", "mutmut", "show", name], cwd, env, deadline)
        if code != 0:
            raise MutationError(f"mutmut show {name} exited {code}:\n{tail(output)}")
        diff = output.split("\n", 1)[1] if output.startswith("# ") else output
        return diff.strip("\n")

    return _show_each(names, show)
