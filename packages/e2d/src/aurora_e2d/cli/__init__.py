"""The `aurora` console script (typer); gates adds its commands through the `aurora.commands` entry point."""

from aurora_e2d.cli.app import app, entry, main

__all__ = ["app", "entry", "main"]
