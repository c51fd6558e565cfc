"""Exceptions of the router: only bad input files; refused orders are values."""

from __future__ import annotations

from aurora_safety import AuroraError

__all__ = ["RouteInputError"]


class RouteInputError(AuroraError, ValueError):
    """ORDERS.csv cannot be used at all (unreadable, no header); one line, the CLI exits 2."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        self.message = f"{self.path}: {problem}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message
