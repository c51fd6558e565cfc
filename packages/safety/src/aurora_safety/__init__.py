"""Aurora safety: kill switch, trading governor, circuit breakers, limits, pre-trade checks, flags.

Depends on nothing else in Aurora; every other package builds on it. The
public API is declared once, in ``__init__.pyi``; modules starting with ``_``
are private. Names load on first use (``lazy_loader``, as e2d's rooms do):
`aurora kill` needs the kill switch, not the pydantic limits config, and a
command's latency is mostly its imports.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
