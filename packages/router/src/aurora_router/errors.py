"""Exceptions of the router: only bad input files; refused orders are values."""

from __future__ import annotations

from aurora_safety.errors import SubjectError

__all__ = ["RouteInputError"]


class RouteInputError(SubjectError, ValueError):
    """ORDERS.csv cannot be used at all (unreadable, no header); one line, the CLI exits 2."""

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(path, problem)
        self.path = self.subject
