"""Exceptions of the data stages: bad input versus a corrupt artifact.

The CLI maps ``InputError`` to exit 2 with ``str(err)`` on one line. An
``ArtifactError`` means a file we wrote cannot be trusted; the orchestrator
recomputes it rather than reading it.
"""

from __future__ import annotations

from pathlib import Path

from aurora_safety.errors import SubjectError, format_value

__all__ = ["ArtifactError", "CheckFailedError", "InputError"]


class InputError(SubjectError, ValueError):
    """Bad input data or an unknown option; ``str`` is one line naming the thing."""

    @classmethod
    def hash_mismatch(cls, path: Path, expected: str, actual: str) -> InputError:
        """A pinned file whose bytes changed: both hashes, so the operator can tell which is which."""
        return cls(str(path), f"sha256 mismatch: expected {expected}, actual {actual}")

    @classmethod
    def bad_value(cls, field: str, expectation: str, value: object) -> InputError:
        """A parameter outside its domain, e.g. ``'mode' must be one of strict, repair, was 'fix'``."""
        return cls(f"'{field}'", f"must be {expectation}, was {format_value(value)}")


class ArtifactError(SubjectError, ValueError):
    """An artifact that is missing, unreadable or not of its declared schema."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(path, reason)
        self.path = Path(path)
        self.reason = reason


class CheckFailedError(Exception):
    """A check the run itself performs failed on real data (exit 1, one line): not bad input, not a bug.

    Example: the model's exports disagree beyond tolerance. The CLI prints
    ``aurora: check failed: <message>`` and exits 1, the code of a failed gate.
    """

    def __init__(self, message: str) -> None:
        self.message = " ".join(message.split())
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message
