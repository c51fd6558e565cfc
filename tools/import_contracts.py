"""Check the import contracts in `.importlinter` against the source tree (no install needed).

Run by the `import-contracts` pre-commit hook, hence by `nox -s lint`. The
packages' ``src`` folders go on ``PYTHONPATH`` so import-linter (grimp reads
the source, it imports nothing) finds them as they are in the working tree.
The hook's tool, ``lint-imports``, is the one on PATH: `nox -s lint` installs
import-linter from the hashed lock into its environment (the hook builds no
environment of its own); this script needs only the standard library.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    tool = shutil.which("lint-imports")
    if tool is None:
        print(
            "import contracts: lint-imports is not on PATH (run the hooks with `nox -s lint`, which installs it)",
            file=sys.stderr,
        )
        return 2
    sources = [str(src) for src in sorted((ROOT / "packages").glob("*/src"))]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([*sources, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    }
    os.execve(tool, [tool, "--config", str(ROOT / ".importlinter")], env)
    return 1  # not reached: execve replaces this process


if __name__ == "__main__":
    sys.exit(main())
