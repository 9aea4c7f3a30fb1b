"""Date functions: CDate, DateAdd, DateDiff, DateFromNum, NumFromDate, FormatDateTime, Now.

DateTime values are aware UTC datetimes and print as ``M/d/yyyy h:mm:ss tt``. Strings are read with
``CDate``'s lenient parser wherever a DateTime is expected (the docs wrap them in CDate; we accept both).
DateDiff follows VB: d/h/n/s count the elapsed span truncated toward zero, ww aligns both dates to the
preceding Sunday first, m and yyyy subtract calendar fields.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from typing import Any

from ._context import EvaluationContext
from ._dotnet_dates import format_custom, from_filetime, parse_date, parse_exact, to_filetime
from ._registry import Param, function
from ._values import ArgumentError, single, text_arg, to_int, to_text

_STYLES = frozenset(
    {
        "none",
        "allowleadingwhite",
        "allowtrailingwhite",
        "allowinnerwhite",
        "allowwhitespaces",
        "nocurrentdatedefault",
        "adjusttouniversal",
        "assumelocal",
        "assumeuniversal",
        "roundtripkind",
    }
)
_SPANS = {"d": 86_400, "y": 86_400, "h": 3_600, "n": 60, "s": 1}


def as_datetime(value: Any, argument: str) -> datetime | None:
    value = single(value, argument)
    if isinstance(value, datetime):  # a naive value from a record is taken as UTC, like naive text
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if value is None:
        return None
    text = to_text(value)
    if text is None or text.strip() == "":
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        raise ArgumentError(argument, str(exc)) from None


@function("CDate", Param("source"), elementwise=True)
def cdate(value: Any) -> datetime | None:
    return as_datetime(value, "source")


def _interval(value: Any) -> str:
    text = text_arg(value, "interval")
    if text is None or text.lower() not in {"yyyy", "q", "m", "y", "d", "w", "ww", "h", "n", "s"}:
        raise ArgumentError("interval", f"expected one of yyyy, q, m, y, d, w, ww, h, n, s; got {text!r}")
    return text.lower()


def add_months(value: datetime, months: int) -> datetime:
    """Calendar month arithmetic; the day is clamped to the target month's length (.NET AddMonths)."""
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


@function("DateAdd", Param("interval"), Param("value", "Integer"), Param("dateTime", "DateTime"))
def date_add(interval: Any, number: Any, value: Any) -> datetime | None:
    unit = _interval(interval)
    when = as_datetime(value, "dateTime")
    if when is None:
        return None
    amount = to_int(single(number, "value"), "value")
    if unit in {"yyyy", "q", "m"}:
        return add_months(when, amount * {"yyyy": 12, "q": 3, "m": 1}[unit])
    if unit == "ww":
        return when + timedelta(weeks=amount)
    return when + timedelta(seconds=amount * _SPANS.get(unit, 86_400))


def _truncate(numerator: float, denominator: int) -> int:
    return int(numerator / denominator)


@function("DateDiff", Param("interval"), Param("date1", "DateTime"), Param("date2", "DateTime"))
def date_diff(interval: Any, first: Any, second: Any) -> int | None:
    unit = _interval(interval)
    start, end = as_datetime(first, "date1"), as_datetime(second, "date2")
    if start is None or end is None:
        return None
    if unit == "yyyy":
        return end.year - start.year
    if unit in {"m", "q"}:
        months = (end.year - start.year) * 12 + end.month - start.month
        return (
            months
            if unit == "m"
            else (end.year - start.year) * 4 + (end.month - 1) // 3 - (start.month - 1) // 3
        )
    if unit == "ww":
        sunday = [d.date() - timedelta(days=(d.weekday() + 1) % 7) for d in (start, end)]
        return _truncate((sunday[1] - sunday[0]).days, 7)
    seconds = (end - start).total_seconds()
    if unit == "w":
        return _truncate(seconds, 7 * 86_400)
    return _truncate(seconds, _SPANS[unit])


@function("DateFromNum", Param("source"), elementwise=True)
def date_from_num(value: Any) -> datetime | None:
    """Windows FILETIME / AD large integer (100-ns ticks since 1601-01-01 UTC) → DateTime."""
    if value is None or value == "":
        return None
    ticks = to_int(value, "source")
    try:
        return from_filetime(ticks)
    except OverflowError:
        raise ArgumentError("source", f"{ticks} is outside the representable dates") from None


@function("NumFromDate", Param("source", "DateTime"), elementwise=True)
def num_from_date(value: Any) -> int | None:
    """ISO 8601 date/time → AD integer (FILETIME ticks)."""
    when = as_datetime(value, "source")
    return None if when is None else to_filetime(when)


def _styles(value: Any) -> None:
    text = text_arg(value, "dateTimeStyle")
    for name in (text or "").replace("|", ",").split(","):
        if name.strip() and name.strip().lower() not in _STYLES:
            raise ArgumentError("dateTimeStyle", f"unknown DateTimeStyles value {name.strip()!r}")


@function(
    "FormatDateTime",
    Param("source", "DateTime"),
    Param("dateTimeStyle", required=False),
    Param("inputFormat", required=False),
    Param("outputFormat"),
    layouts={3: ("source", "inputFormat", "outputFormat")},
    minimum=3,
)
def format_date_time(source: Any, *rest: Any) -> str | None:
    """FormatDateTime(source, [dateTimeStyles,] inputFormat, outputFormat): with 4 arguments the 2nd is
    dateTimeStyles, with 3 it is inputFormat. A DateTime source (DateFromNum, CDate) needs no input format."""
    styles, input_format, output_format = (None, *rest) if len(rest) == 2 else rest
    _styles(styles)
    value = single(source, "source")
    if value is None or value == "":
        return None
    fmt_out = text_arg(output_format, "outputFormat")
    if not fmt_out:
        raise ArgumentError("outputFormat", "an output format is required")
    fmt_in = text_arg(input_format, "inputFormat")
    if isinstance(value, datetime):
        when = value
    elif fmt_in:
        try:
            when = parse_exact(to_text(value) or "", fmt_in)
        except ValueError as exc:
            raise ArgumentError("inputFormat", str(exc)) from None
    else:
        when = as_datetime(value, "source")  # type: ignore[assignment]
    return format_custom(when, fmt_out)


@function("Now", context=True, pure=False)
def now(context: EvaluationContext) -> datetime:
    return context.current_time()
