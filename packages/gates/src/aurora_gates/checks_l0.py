"""L0 checks: run on every pull request against a real run's artifacts."""

from __future__ import annotations
