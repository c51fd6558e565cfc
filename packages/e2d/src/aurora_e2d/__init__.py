"""End-to-decision pipeline, run loop, metrics and the aurora CLI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aurora-e2d")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
