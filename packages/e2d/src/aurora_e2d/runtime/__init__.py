"""The trading runtime: one run directory, one writer, one stack, one owner of trading state.

Public names are declared in `__init__.pyi` and load lazily.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
