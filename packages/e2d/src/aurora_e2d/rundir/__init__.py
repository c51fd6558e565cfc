"""The run directory's contract: its config, identity, canonical artifacts, manifest and format version.

Depends only on `core`. Import the modules directly (``aurora_e2d.rundir.config`` ...).
"""
