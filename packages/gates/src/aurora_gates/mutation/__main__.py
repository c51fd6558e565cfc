"""``python -m aurora_gates.mutation`` (the l1 session calls it)."""

import sys

from aurora_gates.mutation.cli import main

sys.exit(main())
