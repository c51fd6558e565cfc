"""End-to-decision pipeline, run loop, metrics and the aurora CLI."""

__all__: list[str] = []
