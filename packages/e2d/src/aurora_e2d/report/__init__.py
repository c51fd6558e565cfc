"""The run report and its numbers: metrics (empyrical definitions), summary.json, report.html.

Public names are declared in `__init__.pyi` and load lazily: `metrics` is a
mutation-testing target that must import without polars or matplotlib.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
