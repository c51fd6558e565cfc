"""Exceptions for broken contracts and bad input.

Expected refusals (an order over a limit) are values, see ``events.Rejection``;
these exceptions are for configuration and programming errors, and each
subclasses a built-in so callers can catch it the ordinary way.
"""

from __future__ import annotations

import math

__all__ = ["AuroraError", "ConfigError", "UnknownBreakerError", "format_value"]

_NO_VALUE = object()


def format_value(value: object) -> str:
    """Render a bad value so its type is visible: ``inf``, ``-5``, ``'abc'``, ``True``."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # 'inf', '-inf', 'nan'
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class AuroraError(Exception):
    """Base class of every Aurora-specific exception."""


class ConfigError(AuroraError, ValueError):
    """Bad configuration or declaration; the CLI prints ``str(err)`` and exits 2.

    The message is one line naming the field, the expectation, the value and
    the source, e.g. ``'limits.max_order_notional_usd' must be a finite number
    > 0, was inf (my.toml)``.
    """

    def __init__(
        self,
        field: str,
        expectation: str,
        value: object = _NO_VALUE,
        source: str | None = None,
        *,
        message: str | None = None,
    ) -> None:
        self.field = field
        self.expectation = expectation
        self.value = None if value is _NO_VALUE else value
        self.has_value = value is not _NO_VALUE
        self.source = source
        if message is None:
            message = f"'{field}' {expectation}"
            if value is not _NO_VALUE:
                message += f", was {format_value(value)}"
            if source is not None:
                message += f" ({source})"
        self.message = message
        super().__init__(message)

    @classmethod
    def unknown_field(cls, field: str, value: object, source: str | None, allowed: list[str]) -> ConfigError:
        """Build the ``unknown field 'x'`` error: a typo must never be ignored silently."""
        message = f"unknown field '{field}' (allowed: {', '.join(allowed)})"
        message += f", was {format_value(value)}"
        if source is not None:
            message += f" ({source})"
        return cls(field, "is not a known field", value, source, message=message)

    def __str__(self) -> str:
        return self.message


class UnknownBreakerError(AuroraError, KeyError):
    """An operator named a breaker that does not exist."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        self.message = f"unknown breaker {name!r} (known: {', '.join(known)})"
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would repr-quote the whole message
        return self.message
