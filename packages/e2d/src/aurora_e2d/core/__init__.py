"""What every room may use: the error and exit-code contract, the trace, fault points, stop signals, paths.

Nothing here imports another room. Public names are declared in
`__init__.pyi` and load lazily.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
