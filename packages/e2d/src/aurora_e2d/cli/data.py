"""``aurora data``: freeze daily bars into immutable snapshot directories (import, synthetic).

Thin adapters over ``aurora_e2d.data.importer`` and
``aurora_e2d.data.synthetic_snapshot``: bad input raises ``InputError``,
which the ``aurora`` entry point prints as one line with exit 2. The heavy
modules load inside the commands, so ``aurora --help`` stays fast.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from aurora_e2d.cli.progress import stage_progress
from aurora_e2d.core.errors import InputError
from aurora_e2d.data.calendar import DEFAULT_CALENDAR

__all__ = ["data_app"]

data_app = typer.Typer(
    help="Freeze daily bars into immutable snapshot directories (laid out like goldens/snapshot).",
    no_args_is_help=True,
)

OutOption = Annotated[
    Path,
    typer.Option(
        "--out", help="The new snapshot directory; it must not exist (or be empty): snapshots are immutable."
    ),
]
CalendarOption = Annotated[
    str, typer.Option("--calendar", help="exchange-calendars code; every date must be one of its sessions.")
]


@data_app.command("import")
def import_command(
    sources: Annotated[
        list[Path],
        typer.Argument(
            help="Files or directories (a directory: every .csv, .csv.gz and .parquet in it). Per-symbol "
            "CSVs named after the symbol (Yahoo: Date,Open,High,Low,Close,Adj Close,Volume; yfinance: "
            "also Dividends,Stock Splits; zipline csvdir: date,open,high,low,close,volume,dividend,split) "
            "or long CSV/Parquet tables with a symbol column; gzip or not. Symbols match "
            "^[A-Z0-9][A-Z0-9.\\-]{0,14}$; a file name counts as one when it looks like a ticker "
            "(AAPL.csv, BRK-B.csv, 7203.T.csv.gz), else use --symbol.",
            show_default=False,
            metavar="SRC",
        ),
    ],
    out: OutOption,
    calendar: CalendarOption = DEFAULT_CALENDAR,
    price_basis: Annotated[
        str,
        typer.Option(
            "--price-basis",
            help="auto: inferred from the data and stated in the summary and PROVENANCE.md; "
            "raw: Close is the traded price (splits from split columns or Adj Close); "
            "split_adjusted: Close is already split-adjusted, as Yahoo's is (no splits; dividends "
            "from Adj Close at full precision).",
        ),
    ] = "auto",
    symbol: Annotated[
        str | None,
        typer.Option(
            "--symbol",
            help="The symbol of a single file without a symbol column (instead of its file name).",
            show_default=False,
        ),
    ] = None,
    max_file_bytes: Annotated[
        str,
        typer.Option("--max-file-bytes", help="Cap on each file's (decompressed) size, e.g. 512M, 2G."),
    ] = "2G",
    max_file_rows: Annotated[
        int, typer.Option("--max-file-rows", help="Cap on each file's data rows.")
    ] = 25_000_000,
) -> None:
    """Freeze your daily bars into an immutable snapshot: prices, corporate actions, lock, provenance, sanity.json."""
    from aurora_e2d.data.importer import import_snapshot
    from aurora_e2d.data.importer.bounded import ReadLimits, parse_size

    limits = ReadLimits(parse_size(max_file_bytes, "--max-file-bytes"), max_file_rows)
    with stage_progress() as progress:
        result = import_snapshot(
            sources,
            out,
            calendar=calendar,
            price_basis=price_basis,
            progress=progress,
            symbol=symbol,
            limits=limits,
        )
    typer.echo(result.summary())


@data_app.command("synthetic")
def synthetic_command(
    symbols: Annotated[int, typer.Option("--symbols", help="Number of symbols (SYN0000, SYN0001, ...).")],
    years: Annotated[float, typer.Option("--years", help="Years of sessions, ending at --end.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same arguments give the same bytes.")],
    out: OutOption,
    end: Annotated[str, typer.Option("--end", help="Last calendar day, YYYY-MM-DD.")] = "2019-12-31",
    calendar: CalendarOption = DEFAULT_CALENDAR,
) -> None:
    """A SYNTHETIC snapshot (labelled so in its lock and PROVENANCE.md) for scale tests and benchmarks only."""
    from aurora_e2d.data.synthetic_snapshot import write_synthetic_snapshot

    if symbols < 1:
        raise InputError.bad_value("--symbols", "an integer >= 1", symbols)
    if not years > 0:
        raise InputError.bad_value("--years", "> 0", years)
    try:
        last = date.fromisoformat(end)
    except ValueError:
        raise InputError.bad_value("--end", "a date YYYY-MM-DD", end) from None
    written, universe = write_synthetic_snapshot(out, symbols, years, seed=seed, end=last, calendar=calendar)
    typer.echo(f"{universe.describe()}; wrote {written.directory} (lock sha256 {written.lock_sha256})")
