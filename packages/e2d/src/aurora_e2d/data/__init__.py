"""Data: snapshots (the bundled one and imported ones), ingest, sanity, exchange calendars, corporate actions.

The public names are declared in `__init__.pyi` and load lazily: sanity and
the calendar must stay importable without polars (mutation tests fork).
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
