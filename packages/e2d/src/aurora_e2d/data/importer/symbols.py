"""Which strings may be symbols: one documented pattern, checked where a symbol enters the snapshot.

A symbol ends up in file names of reports, HTML, CSV cells and shell commands
printed for operators, so it is restricted to characters that are inert in
all of them: ``SYMBOL_PATTERN`` (upper-case letters, digits, ``.`` and
``-``, starting with a letter or digit, at most 15 characters: ``AAPL``,
``BRK.B``, ``BRK-B``, ``7203.T``). A file name is read as a symbol only when
it looks like a ticker (``FILE_SYMBOL_PATTERN``: up to 10 letters or digits
and at most one ``.``/``-`` suffix of 1-3 characters), so that
``MSFT-odd-format.csv.gz`` is refused rather than becoming the symbol
``MSFT-ODD-FORMAT``; ``--symbol`` names the symbol of such a file.
"""

from __future__ import annotations

import re

from aurora_e2d.core.errors import InputError

__all__ = [
    "FILE_SYMBOL_PATTERN",
    "SYMBOL",
    "SYMBOL_PATTERN",
    "check_symbol",
    "file_stem",
    "symbol_from_file",
]

SYMBOL_PATTERN = r"^[A-Z0-9][A-Z0-9.\-]{0,14}$"
FILE_SYMBOL_PATTERN = r"^[A-Za-z0-9]{1,10}(?:[.\-][A-Za-z0-9]{1,3})?$"
SYMBOL = re.compile(SYMBOL_PATTERN)
_FILE_SYMBOL = re.compile(FILE_SYMBOL_PATTERN)
_DATA_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq", ".gz", ".txt", ".txt.gz", ".tsv", ".tsv.gz")
_SHOWN = 40  # characters of a refused value quoted in a message


def file_stem(name: str) -> str:
    """The file name without its data suffix (``aapl.csv.gz`` -> ``aapl``)."""
    lower = name.lower()
    for suffix in sorted(_DATA_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return name[: -len(suffix)].strip()
    return name.strip()


def shown(value: str) -> str:
    """``value`` quoted for a message, cut to a readable length."""
    return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "...") + (
        f" ({len(value):,} characters)" if len(value) > _SHOWN else ""
    )


def check_symbol(value: str, subject: str, what: str = "symbol") -> str:
    """``value`` when it matches ``SYMBOL_PATTERN``; else ``InputError`` naming ``subject``."""
    if not SYMBOL.fullmatch(value):
        raise InputError(
            subject,
            f"{what} {shown(value)} does not match {SYMBOL_PATTERN} "
            "(upper-case letters, digits, '.' and '-', at most 15 characters)",
        )
    return value


def symbol_from_file(name: str, display: str) -> str:
    """``aapl.csv.gz`` -> ``AAPL``; a file name that does not look like a ticker is refused with a hint."""
    stem = file_stem(name)
    if not stem:
        raise InputError(display, "no symbol column, and the file name names no symbol; use --symbol NAME")
    if not _FILE_SYMBOL.fullmatch(stem):
        raise InputError(
            display,
            f"no symbol column, and the file name {shown(stem)} does not look like a ticker "
            "(up to 10 letters or digits, optionally one .X or -X suffix of 1-3 characters, e.g. "
            "BRK-B, VOD.L); rename the file or name its symbol with --symbol NAME",
        )
    return check_symbol(stem.upper(), display)
