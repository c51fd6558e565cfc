"""The trading engine: the stack, the session loop, order planning, derived artifacts, alerts, routing.

It trades sessions it is given; it does not know about run directories'
life cycle (that is `run`) nor about reports. Public names are declared in
`__init__.pyi` and load lazily.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
