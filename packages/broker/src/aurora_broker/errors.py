"""Exceptions of the broker: broken contracts and unusable journals.

Expected refusals (an order over a limit) are not exceptions: they come back
as an ``Order`` in status REJECTED carrying a ``Rejection``.
"""

from __future__ import annotations

from aurora_safety import AuroraError
from aurora_safety.errors import SubjectError

__all__ = ["ConfigMismatchError", "JournalError", "SessionOrderError"]


class JournalError(SubjectError, ValueError):
    """The journal file cannot be used (corrupt, foreign, wrong schema); one line naming it.

    The CLI prints ``str(err)`` and exits 2. Raised before anything is written,
    so a failed open never alters what was committed.
    """

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(path, problem)
        self.path = self.subject


class ConfigMismatchError(JournalError):
    """The journal was written under another configuration; resuming it would mix two runs."""

    def __init__(self, path: object, stored_hash: str, given_hash: str) -> None:
        self.stored_hash = stored_hash
        self.given_hash = given_hash
        super().__init__(
            path,
            f"journal was written with config hash {stored_hash!r}, this config hashes to "
            f"{given_hash!r}; use the run's original config or a new run directory",
        )


class SessionOrderError(AuroraError, ValueError):
    """Sessions must be processed strictly in increasing order, each exactly once."""
