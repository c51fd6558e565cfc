"""Order router: pre-trade checks, throttles and dedup."""

__all__: list[str] = []
