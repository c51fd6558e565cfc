"""Run orchestration: a run directory's life -- run, resume, advance, levers, status, lock, backup, migrate.

It drives research, the engine and the report; nothing below imports it.
Public names are declared in `__init__.pyi` and load lazily.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
