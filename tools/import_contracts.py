"""Check the import contracts in `.importlinter` against the source tree (no install needed).

Run by the `import-contracts` pre-commit hook, hence by `nox -s lint`. The
packages' ``src`` folders go on ``sys.path`` so import-linter finds them as
they are in the working tree, not as some environment installed them.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    for src in sorted((ROOT / "packages").glob("*/src"), reverse=True):
        sys.path.insert(0, str(src))
    from importlinter.cli import lint_imports

    return lint_imports(config_filename=str(ROOT / ".importlinter"))


if __name__ == "__main__":
    sys.exit(main())
