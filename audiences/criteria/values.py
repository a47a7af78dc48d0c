"""How a stored JSON value is read as text, number, boolean or date: the rules both evaluators
follow (the SQL side is the `audiences_*` functions of migration 0005, which mirror these).

Values come from JSON, so numbers arrive as int or Decimal (we parse floats as Decimal to keep
PostgreSQL's exact numeric) or float (from definitions). A value that cannot be read as the
wanted type reads as None, and a condition on None does not match: never an error.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any

# A number written as a string: plain decimal notation with an optional short exponent.
NUMBER_TEXT = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?"
# A date or date-time written as a string (ISO 8601); no offset means UTC.
DATE_TEXT = (
    r"([1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"([T ]([01][0-9]|2[0-3]):([0-5][0-9])(:([0-5][0-9])(\.([0-9]{1,6}))?)?"
    r"(Z|([+-])(0[0-9]|1[0-4])(:?([0-5][0-9]))?)?)?"
)
_NUMBER = re.compile(NUMBER_TEXT)
# Great-circle distances: the mean Earth radius, and degrees to radians as one constant.
EARTH_RADIUS_KM = 6371.0088
RADIANS_PER_DEGREE = math.pi / 180
_DATE = re.compile(DATE_TEXT)


def fold(text: str) -> str:
    """Lower case, one character at a time (the simple Unicode mapping PostgreSQL's lower()
    uses under a UTF-8 ctype). U+0130 is the one letter whose full lower case is two."""
    return "".join("i" if ch == "\u0130" else ch.lower() for ch in text)


def as_text(value: Any) -> str | None:
    """Strings, numbers and booleans read as text; null, lists and objects do not."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        number = as_number(value)
        if number is None:
            return None
        if number.is_zero():
            number = number.copy_abs()  # PostgreSQL's numeric has no negative zero
        return format(number, "f")
    return None


def as_number(value: Any) -> Decimal | None:
    """JSON numbers, and strings written as numbers ("42", "-1.5e3"), read as exact decimals."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return Decimal(value)
    return None


def as_boolean(value: Any) -> bool | None:
    """JSON true/false, and the strings "true"/"false" in any case."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"true": True, "false": False}.get(fold(value))
    return None


def as_date(value: Any) -> dt.datetime | None:
    """An ISO 8601 date or date-time string as an aware UTC datetime; None if not a real one."""
    if not isinstance(value, str):
        return None
    found = _DATE.fullmatch(value)
    if not found:
        return None
    year, month, day = int(found[1]), int(found[2]), int(found[3])
    hour = int(found[5] or 0)
    minute = int(found[6] or 0)
    second = int(found[8] or 0)
    micro = int((found[10] or "").ljust(6, "0"))
    try:
        local = dt.datetime(year, month, day, hour, minute, second, micro)
    except ValueError:
        return None  # 30 February and the like
    offset = dt.timedelta(0)
    if found[12]:
        offset = dt.timedelta(hours=int(found[13]), minutes=int(found[15] or 0))
        if found[12] == "-":
            offset = -offset
    try:
        return (local - offset).replace(tzinfo=dt.UTC)
    except OverflowError:
        # Past 9999-12-31 in UTC: later than any window's end, as PostgreSQL sees it too.
        return dt.datetime.max.replace(tzinfo=dt.UTC)


def like(text: str, pattern: str) -> bool:
    """Wildcard match of the whole text: `*` any run of characters, `?` exactly one."""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, text, flags=re.DOTALL) is not None


def like_pattern(pattern: str) -> str:
    """The same wildcard pattern for SQL LIKE (backslash escapes LIKE's own specials)."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")
