"""Parse source columns into numpy arrays, vectorised, naming the row and column of the first bad value.

Numbers use Arrow's own parser (the one the bundled build used, so the
same text gives the same float64 bits). Dates are ``YYYY-MM-DD``,
``YYYY/MM/DD``, ``YYYYMMDD`` or US ``MM/DD/YYYY``, optionally followed by a
time of day (``2000-03-01 00:00:00``), which is dropped: a daily bar is its
date as written. A column of slashed dates is read day-first only when no
row reads month-first and every row reads day-first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aurora_e2d.data.importer.sources import RawTable

__all__ = ["decimals", "parse_dates", "parse_numbers", "parse_symbols", "parse_volume", "require_positive"]

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?(?:Z|UTC|[+-]\d{2}:?\d{2}))?)?"
_YMD = (
    rf"^(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}}){_TIME}$",
    rf"^(?P<y>\d{{4}})/(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}}){_TIME}$",
    r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$",
)
_SLASHED = rf"^(?P<a>\d{{1,2}})/(?P<b>\d{{1,2}})/(?P<y>\d{{4}}){_TIME}$"
_DATE_FORMATS = "YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD, optionally with a time of day"


def _text(raw: RawTable, column: str) -> pa.Array:
    col = raw.table.column(column).combine_chunks()
    if not pa.types.is_string(col.type):
        col = col.cast(pa.string())
    return pc.utf8_trim_whitespace(col)


def _no_nulls(raw: RawTable, column: str, col: pa.Array, what: str) -> None:
    if col.null_count:
        i = int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
        raise raw.error(i, column, f"empty (a {what} is required on every row)")


def _first_failure(values: pa.Array, ok: Callable[[pa.Array], bool]) -> int:
    """Index of the first element ``ok`` rejects, by bisection (the caller knows one exists)."""
    lo, hi = 0, len(values)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(values.slice(lo, mid - lo)):
            lo = mid
        else:
            hi = mid
    return lo


def _casts(target: pa.DataType) -> Callable[[pa.Array], bool]:
    def ok(part: pa.Array) -> bool:
        try:
            pc.cast(part, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return False
        return True

    return ok


def _cast_text(raw: RawTable, column: str, text: pa.Array, target: pa.DataType, what: str) -> pa.Array:
    try:
        return pc.cast(text, target)
    except pa.ArrowInvalid:
        i = _first_failure(text, _casts(target))
        raise raw.error(i, column, f"{text[i].as_py()!r} is not {what}") from None


def parse_numbers(raw: RawTable, column: str, *, required: bool = True) -> np.ndarray:
    """float64 values; an empty cell is an error when ``required``, else NaN."""
    col = raw.table.column(column).combine_chunks()
    if raw.is_text or pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        col = _text(raw, column)
        if required:
            _no_nulls(raw, column, col, "number")
        values = _cast_text(raw, column, col, pa.float64(), "a number")
    elif pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_decimal(col.type):
        if required:
            _no_nulls(raw, column, col, "number")
        values = col.cast(pa.float64())
    else:
        raise raw.error(None, column, f"has type {col.type}, expected numbers")
    out = values.to_numpy(zero_copy_only=False)
    bad = ~np.isfinite(out) & ~values.is_null().to_numpy(zero_copy_only=False)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise raw.error(i, column, f"{_shown(raw, column, i)} is not a finite number")
    return out


def _shown(raw: RawTable, column: str, i: int) -> str:
    return repr(raw.table.column(column)[i].as_py())


def parse_volume(raw: RawTable, column: str) -> np.ndarray:
    """int64 share counts; a float column is accepted when every value is whole."""
    col = raw.table.column(column).combine_chunks()
    values = None
    if pa.types.is_integer(col.type):
        _no_nulls(raw, column, col, "volume")
        values = col.cast(pa.int64()).to_numpy()
    elif raw.is_text or pa.types.is_string(col.type):
        text = _text(raw, column)
        _no_nulls(raw, column, text, "volume")
        with contextlib.suppress(pa.ArrowInvalid):  # e.g. '9616100.0': parsed as a number, checked whole
            values = pc.cast(text, pa.int64()).to_numpy()
    if values is None:
        floats = parse_numbers(raw, column)
        fractional = floats != np.round(floats)
        if fractional.any():
            i = int(np.flatnonzero(fractional)[0])
            raise raw.error(i, column, f"{_shown(raw, column, i)} is not a whole number of shares")
        values = floats.astype(np.int64)
    negative = values < 0
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        raise raw.error(i, column, f"{_shown(raw, column, i)} must be >= 0")
    return values


def decimals(raw: RawTable, column: str) -> int | None:
    """The most digits after the point in a text column (its rounding step); ``None`` when exact/unknown."""
    if not raw.is_text:
        return None
    text = _text(raw, column)
    if pc.any(pc.match_substring(text, "e", ignore_case=True)).as_py():
        return None
    point = pc.find_substring(text, ".").to_numpy(zero_copy_only=False)
    length = pc.utf8_length(text).to_numpy(zero_copy_only=False)
    digits = np.where(point >= 0, length - point - 1, 0)
    return int(np.nanmax(digits)) if len(digits) else None


def parse_symbols(raw: RawTable, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(codes int32, names): the symbol of each row, dictionary-encoded; an empty cell is an error."""
    text = _text(raw, column)
    empty = pc.or_kleene(text.is_null(), pc.equal(text, "")).to_numpy(zero_copy_only=False)
    if empty.any():
        raise raw.error(int(np.flatnonzero(empty)[0]), column, "empty symbol")
    encoded = text.dictionary_encode()
    return encoded.indices.to_numpy().astype(np.int32), np.asarray(
        encoded.dictionary.to_pylist(), dtype=object
    )


def _ints(parts: pa.StructArray, name: str, valid: pa.Array) -> np.ndarray:
    return pc.cast(pc.if_else(valid, parts.field(name), "0"), pa.int64()).to_numpy()


def _valid_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    month = (y - 1970) * 12 + np.clip(m, 1, 12) - 1
    start = month.astype("datetime64[M]").astype("datetime64[D]")
    length = ((month + 1).astype("datetime64[M]").astype("datetime64[D]") - start).astype(np.int64)
    return (m >= 1) & (m <= 12) & (d >= 1) & (d <= length)


def _days(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    month = ((y - 1970) * 12 + m - 1).astype("datetime64[M]")
    return month.astype("datetime64[D]") + (d - 1).astype("timedelta64[D]")


def _time_of_day(col: pa.Array) -> str | None:
    """The first value that carries a time of day (text), or a timestamp's first value; ``None`` if none."""
    if pa.types.is_timestamp(col.type):
        return str(col[0].as_py())
    timed = pc.match_substring_regex(col, r"\d:\d\d").to_numpy(zero_copy_only=False)
    return str(col[int(np.flatnonzero(timed)[0])].as_py()) if timed.any() else None


def parse_dates(raw: RawTable, column: str, tz: Callable[[], str]) -> tuple[np.ndarray, str | None]:
    """(datetime64[D] per row, an example value when the dates carry a time of day, else ``None``).

    A tz-aware Parquet timestamp counts as its date in the exchange's zone ``tz()``.
    """
    col = raw.table.column(column).combine_chunks()
    if not raw.is_text and (pa.types.is_date(col.type) or pa.types.is_timestamp(col.type)):
        _no_nulls(raw, column, col, "date")
        if pa.types.is_timestamp(col.type) and col.type.tz is not None:
            col = col.cast(pa.timestamp(col.type.unit, tz=tz()))  # same instants, the exchange's wall clock
        if pa.types.is_timestamp(col.type):
            y, m, d = (f(col).to_numpy().astype(np.int64) for f in (pc.year, pc.month, pc.day))
            return _days(y, m, d), _time_of_day(col)
        return col.cast(pa.date32()).to_numpy(zero_copy_only=False).astype("datetime64[D]"), None
    if not (raw.is_text or pa.types.is_string(col.type) or pa.types.is_integer(col.type)):
        raise raw.error(None, column, f"has type {col.type}, expected dates")
    text = _text(raw, column)
    _no_nulls(raw, column, text, "date")
    n = len(text)
    y, m, d = (np.zeros(n, dtype=np.int64) for _ in range(3))
    matched = np.zeros(n, dtype=bool)
    for pattern in _YMD:
        if matched.all():
            break  # one format per file is the rule: stop at the first that reads every row
        parts = pc.extract_regex(text, pattern)
        valid = parts.is_valid()
        take = valid.to_numpy(zero_copy_only=False) & ~matched
        for out, name in ((y, "y"), (m, "m"), (d, "d")):
            out[take] = _ints(parts, name, valid)[take]
        matched |= take
    slashed = np.zeros(n, dtype=bool)
    if not matched.all():
        parts = pc.extract_regex(text, _SLASHED)
        valid = parts.is_valid()
        slashed = valid.to_numpy(zero_copy_only=False) & ~matched
    if slashed.any():
        a, b, year = (_ints(parts, name, valid)[slashed] for name in ("a", "b", "y"))
        month_first = _valid_ymd(year, a, b)
        day_first = _valid_ymd(year, b, a)
        if not month_first.all() and day_first.all():
            a, b = b, a
        y[slashed], m[slashed], d[slashed] = year, a, b
        matched |= slashed
    bad = ~matched | ~_valid_ymd(y, m, d)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise raw.error(i, column, f"{text[i].as_py()!r} is not a date ({_DATE_FORMATS})")
    return _days(y, m, d), _time_of_day(text)


def require_positive(raw: RawTable, column: str, values: np.ndarray) -> None:
    """Prices must be > 0: a source that has them otherwise is bad input, not something to repair."""
    bad = ~(values > 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise raw.error(i, column, f"{_shown(raw, column, i)} must be > 0")
