"""Research: features, the walk-forward model and its exports, decisions, and the checkpointed stages 2-7.

Public names are declared in `__init__.pyi` and load lazily (sklearn and
onnxruntime are slow to import).
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
