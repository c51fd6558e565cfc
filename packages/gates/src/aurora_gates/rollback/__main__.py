"""``python -m aurora_gates.rollback`` (the rollback-test session calls it)."""

import sys

from aurora_gates.rollback.cli import main

sys.exit(main())
