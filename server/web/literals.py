"""Typed literals as a reader writes them: dates, booleans and numbers in the page's language.

The pages show ``"2023-04-29"^^xsd:date`` as 2023年4月29日 or 29 April 2023,
``"true"^^xsd:boolean`` as はい or yes, ``"1234567"^^xsd:integer`` as 1,234,567;
the exact literal stays in the element's title (shown on hover) and in every
machine-readable format. A value that is not a valid lexical form of its type
is shown as written.

>>> natural("2023-04-29", XSD + "date", "ja"), natural("2023-04-29", XSD + "date", "en")
('2023年4月29日', '29 April 2023')
>>> natural("true", XSD + "boolean", "ja"), natural("0", XSD + "boolean", "en")
('はい', 'no')
>>> natural("1234567", XSD + "integer", "en"), natural("-1234.50", XSD + "decimal", "ja")
('1,234,567', '-1,234.50')
>>> natural("2023-13-01", XSD + "date", "en") is None
True
"""

from __future__ import annotations

import re
from datetime import date
from datetime import datetime

XSD = "http://www.w3.org/2001/XMLSchema#"
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
BOOLEANS = {"ja": ("はい", "いいえ"), "en": ("yes", "no")}
INTEGER_TYPES = {
    XSD + name
    for name in (
        "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger",
        "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
    )
}  # fmt: skip
TIME_TYPES = frozenset(XSD + name for name in ("date", "dateTime", "gYearMonth", "gYear"))  # a <time> element's
DECIMAL = re.compile(r"^([+-]?)(\d+)(\.\d*)?$")
YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})(Z|[+-]\d{2}:\d{2})?$")
YEAR = re.compile(r"^(\d{4})(Z|[+-]\d{2}:\d{2})?$")


def natural(value: str, datatype: str, lang: str) -> str | None:
    """`value` of `datatype` as the reader of `lang` ("ja" or "en") writes it; None if it is not one we show
    otherwise, or not a valid value of its type."""
    try:
        if datatype == XSD + "date":
            return _date(date.fromisoformat(value[:10]), lang) if len(value) in (10, 11, 16) else None
        if datatype == XSD + "dateTime":
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return f"{_date(moment.date(), lang)} {moment.strftime('%H:%M')}"
        if datatype == XSD + "gYearMonth" and (match := YEAR_MONTH.match(value)):
            year, month = int(match[1]), int(match[2])
            if not 1 <= month <= 12:
                return None
            return f"{year}年{month}月" if lang == "ja" else f"{MONTHS[month - 1]} {year}"
        if datatype == XSD + "gYear" and (match := YEAR.match(value)):
            return f"{int(match[1])}年" if lang == "ja" else str(int(match[1]))
    except ValueError:
        return None
    if datatype == XSD + "boolean" and value in ("true", "false", "1", "0"):
        yes, no = BOOLEANS.get(lang, BOOLEANS["en"])
        return yes if value in ("true", "1") else no
    if datatype in INTEGER_TYPES or datatype == XSD + "decimal":
        match = DECIMAL.match(value.strip())
        if match and (datatype == XSD + "decimal" or not match[3]):
            sign = "-" if match[1] == "-" else ""
            return f"{sign}{int(match[2]):,}{match[3] or ''}"
    return None


def _date(day: date, lang: str) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if lang == "ja" else f"{day.day} {MONTHS[day.month - 1]} {day.year}"
