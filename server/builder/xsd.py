"""XML Schema for SHACL: the lexical spaces of the XSD datatypes, and the XSD regex dialect.

`well_formed(datatype, lexical)` says whether a lexical form belongs to an XSD datatype's lexical
space (sh:datatype asks it of every literal); the store's own casts answer for most values, this
answers for the rest (server/builder/shacl.py calls it from SPARQL as a custom function).

`translate_regex(pattern, flags)` turns a pattern of sh:pattern, written in the XPath/XSD regex
dialect SHACL uses, into the dialect of the store's engine (the Rust `regex` crate), or raises
ValueError saying what it cannot translate: XSD's `\\s`, `\\w`, `.`, `\\i`/`\\c` and class subtraction
`[a-z-[aeiou]]` mean something else there, and Rust-only syntax must not slip through.

>>> well_formed(XSD + "byte", "300"), well_formed(XSD + "byte", "-128"), well_formed(XSD + "date", "2020-02-30")
(False, True, False)
>>> translate_regex("^[a-z-[aeiou]]+$", "")
('^[[a-z]--[aeiou]]+$', '')
"""

from __future__ import annotations

import calendar
import re

XSD = "http://www.w3.org/2001/XMLSchema#"

# ---------------------------------------------------------------- lexical spaces

_INTEGER_RANGES = {
    "integer": (None, None),
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-(2**7), 2**7 - 1),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 2**8 - 1),
}
# XML 1.0 (fifth edition) NameStartChar and NameChar, without ":" (added where a Name allows it).
_NAME_START = (
    "A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_NAME_CHAR = _NAME_START + r"\-.0-9\u00b7\u0300-\u036f\u203f-\u2040"
_NCNAME = f"[{_NAME_START}][{_NAME_CHAR}]*"
_TZ = r"(?P<tz>Z|[+-](?P<tzh>\d\d):(?P<tzm>\d\d))"
_YEAR = r"(?P<year>-?(?:[1-9]\d{4,}|\d{4}))"
_TIME = r"(?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d(?:\.\d+)?)"
_B64 = "[A-Za-z0-9+/]"
_PATTERNS = {
    "boolean": "true|false|1|0",
    "decimal": r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)",
    "float": r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|INF)|NaN",
    "double": r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|INF)|NaN",
    "duration": r"-?P(?=.)(?:\d+Y)?(?:\d+M)?(?:\d+D)?(?:T(?=.)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?",
    "dayTimeDuration": r"-?P(?=.)(?:\d+D)?(?:T(?=.)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?",
    "yearMonthDuration": r"-?P(?=.)(?:\d+Y)?(?:\d+M)?",
    "dateTime": f"{_YEAR}-(?P<month>\\d\\d)-(?P<day>\\d\\d)T{_TIME}{_TZ}?",
    "dateTimeStamp": f"{_YEAR}-(?P<month>\\d\\d)-(?P<day>\\d\\d)T{_TIME}{_TZ}",
    "date": f"{_YEAR}-(?P<month>\\d\\d)-(?P<day>\\d\\d){_TZ}?",
    "time": f"{_TIME}{_TZ}?",
    "gYearMonth": f"{_YEAR}-(?P<month>\\d\\d){_TZ}?",
    "gYear": f"{_YEAR}{_TZ}?",
    "gMonthDay": f"--(?P<month>\\d\\d)-(?P<day>\\d\\d){_TZ}?",
    "gDay": f"---(?P<day>\\d\\d){_TZ}?",
    "gMonth": f"--(?P<month>\\d\\d){_TZ}?",
    "hexBinary": "(?:[0-9a-fA-F]{2})*",
    "base64Binary": (
        f"(?:(?:{_B64} ?){{4}})*(?:(?:{_B64} ?){{3}}{_B64}|(?:{_B64} ?){{2}}[AEIMQUYcgkosw048] ?="
        f"|{_B64} ?[AQgw] ?= ?=)?"
    ),
    "normalizedString": "[^\r\n\t]*",
    "token": "(?:[^\r\n\t ]+(?: [^\r\n\t ]+)*)?",
    "language": "[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*",
    "NMTOKEN": f"[{_NAME_CHAR}:]+",
    "NMTOKENS": f"[{_NAME_CHAR}:]+(?: [{_NAME_CHAR}:]+)*",
    "Name": f"[{_NAME_START}:][{_NAME_CHAR}:]*",
    "NCName": _NCNAME,
    "ID": _NCNAME,
    "IDREF": _NCNAME,
    "ENTITY": _NCNAME,
    "IDREFS": f"{_NCNAME}(?: {_NCNAME})*",
    "ENTITIES": f"{_NCNAME}(?: {_NCNAME})*",
    "QName": f"(?:{_NCNAME}:)?{_NCNAME}",
    "NOTATION": f"(?:{_NCNAME}:)?{_NCNAME}",
}
_COMPILED = {name: re.compile(pattern) for name, pattern in _PATTERNS.items()}
# Any string is in these lexical spaces (xsd:string's excluded control characters cannot be in RDF text).
_ANY = {"string", "anyURI", "anySimpleType", "anyAtomicType"}
KNOWN = set(_INTEGER_RANGES) | set(_PATTERNS) | _ANY


def well_formed(datatype: str, lexical: str) -> bool:
    """Whether `lexical` is in the lexical space of the XSD datatype `datatype` (an IRI); True for others.

    >>> well_formed(XSD + "integer", " 5"), well_formed(XSD + "integer", "+05"), well_formed(XSD + "time", "24:00:00")
    (False, True, True)
    """
    if not datatype.startswith(XSD):
        return True
    name = datatype[len(XSD) :]
    if name in _INTEGER_RANGES:
        if not re.fullmatch(r"[+-]?\d+", lexical):
            return False
        low, high = _INTEGER_RANGES[name]
        number = int(lexical)
        return (low is None or number >= low) and (high is None or number <= high)
    pattern = _COMPILED.get(name)
    if pattern is None:
        return True
    match = pattern.fullmatch(lexical)
    return match is not None and _valid_fields(match.groupdict())


def _valid_fields(fields: dict) -> bool:
    """The date and time fields a regex cannot check: month and day ranges, 24:00:00, time zones."""
    month = int(fields["month"]) if fields.get("month") else None
    if month is not None and not 1 <= month <= 12:
        return False
    if fields.get("day"):
        day = int(fields["day"])
        year = int(fields["year"]) if fields.get("year") else 2000  # gMonthDay allows --02-29
        last = calendar.monthrange(year if 0 < year < 10000 else 2000 + year % 400, month)[1] if month else 31
        if not 1 <= day <= last:
            return False
    if fields.get("hour"):
        hour, minute, second = int(fields["hour"]), int(fields["minute"]), float(fields["second"])
        if hour == 24:
            if minute or second:
                return False
        elif not (hour < 24 and minute < 60 and second < 60):
            return False
    if fields.get("tzh"):
        hours, minutes = int(fields["tzh"]), int(fields["tzm"])
        if minutes > 59 or hours > 14 or (hours == 14 and minutes):
            return False
    return True


# ---------------------------------------------------------------- the regex dialect

_SINGLE = set("nrt\\|.-^?*+{}()[]$")
_ESCAPED = {"n": "\n", "r": "\r", "t": "\t"}
_CLASSES = {
    "s": "[\\x20\\t\\n\\r]",
    "S": "[^\\x20\\t\\n\\r]",
    "d": "\\p{Nd}",
    "D": "\\P{Nd}",
    "w": "[^\\p{P}\\p{Z}\\p{C}]",
    "W": "[\\p{P}\\p{Z}\\p{C}]",
    "i": f"[{_NAME_START}:]",
    "I": f"[^{_NAME_START}:]",
    "c": f"[{_NAME_CHAR}:]",
    "C": f"[^{_NAME_CHAR}:]",
}
_CATEGORIES = set(
    "L Lu Ll Lt Lm Lo M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi Pf Po Z Zs Zl Zp S Sm Sc Sk So C Cc Cf Co".split()
)


def translate_regex(pattern: str, flags: str) -> tuple[str, str]:
    """The XSD/XPath regex `pattern` with `flags` as (pattern, flags) for the engine's REGEX.

    :raises ValueError: for what the engine's dialect cannot say (Unicode blocks, back-references,
        unknown escapes or flags) or what is not an XSD regex.

    >>> translate_regex("a.c", "")
    ('a[^\\\\n\\\\r]c', '')
    >>> translate_regex("a b # c", "x")
    ('ab\\\\#c', '')
    """
    unknown = set(flags) - set("smixq")
    if unknown:
        raise ValueError(f"unknown regex flag(s) {''.join(sorted(unknown))!r}")
    if "q" in flags:  # the pattern is a literal string: the engine knows this flag
        return pattern, flags.replace("x", "")
    if "x" in flags:  # XPath drops whitespace, but not inside classes (refused, rather than guessed)
        if re.search(r"\[[^\]]*\s", pattern):
            raise ValueError("whitespace inside a character class with the x flag")
        pattern = re.sub(r"[ \t\n\r]", "", pattern)
    return _Translator(pattern, dot_all="s" in flags).run(), flags.replace("x", "")


class _Translator:
    def __init__(self, pattern: str, *, dot_all: bool):
        self.text = pattern
        self.i = 0
        self.dot_all = dot_all

    def fail(self, why: str):
        raise ValueError(f"{why} at position {self.i} of {self.text!r}")

    def run(self) -> str:
        out = []
        while self.i < len(self.text):
            c = self.text[self.i]
            if c == "\\":
                out.append(self.escape(in_class=False))
            elif c == "[":
                out.append(self.char_class())
            elif c == ".":
                out.append("." if self.dot_all else "[^\\n\\r]")
                self.i += 1
            elif c == "(":
                if self.text.startswith("(?", self.i):
                    if not self.text.startswith("(?:", self.i):
                        self.fail("'(?' other than '(?:' is not XSD regex syntax")
                    out.append("(?:")
                    self.i += 3
                else:
                    out.append("(")
                    self.i += 1
            elif c == "]":
                self.fail("an unmatched ']'")
            elif c in "#&~":  # literal here, but special to the engine in classes or with the x flag
                out.append("\\" + c)
                self.i += 1
            else:
                out.append(c)
                self.i += 1
        return "".join(out)

    def escape(self, *, in_class: bool) -> str:
        """The escape at self.i (a backslash): a literal, a class, or a category."""
        if self.i + 1 >= len(self.text):
            self.fail("a trailing backslash")
        c = self.text[self.i + 1]
        self.i += 2
        if c in _SINGLE:
            return "\\" + c
        if c in _CLASSES:
            return _CLASSES[c]
        if c in "pP":
            match = re.match(r"\{([A-Za-z0-9-]+)\}", self.text[self.i :])
            if not match:
                self.fail("a malformed \\p{...}")
            name = match.group(1)
            self.i += match.end()
            if name.startswith("Is"):
                self.fail(f"the Unicode block escape \\{c}{{{name}}} (the engine knows no blocks)")
            if name not in _CATEGORIES:
                self.fail(f"unknown Unicode category {name!r}")
            return f"\\{c}{{{name}}}"
        if c.isdigit():
            self.fail("a back-reference (the engine has none)")
        self.fail(f"\\{c} is not an XSD regex escape")

    def class_char(self) -> tuple[str, str | None]:
        """One item of a character class: (text, the single character it stands for, if one)."""
        c = self.text[self.i]
        if c == "\\":
            nxt = self.text[self.i + 1 : self.i + 2]
            text = self.escape(in_class=True)
            if nxt in _SINGLE:
                return text, _ESCAPED.get(nxt, nxt)
            return text, None
        if c == "[":
            self.fail("'[' inside a character class (only '-[' subtracts)")
        self.i += 1
        return ("\\" + c if c in "[]\\^-&~#" else c), c

    def char_class(self) -> str:
        """[...] from self.i, with XSD's ranges, negation and subtraction -[...], as a Rust class."""
        self.i += 1
        negated = self.text.startswith("^", self.i)
        if negated:
            self.i += 1
        items: list[str] = []
        subtract = None
        first = True
        while True:
            if self.i >= len(self.text):
                self.fail("an unclosed '['")
            c = self.text[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            if c == "-" and self.text.startswith("-[", self.i) and not first:
                self.i += 1
                subtract = self.char_class()
                if not self.text.startswith("]", self.i):
                    self.fail("a subtraction must end its class")
                self.i += 1
                break
            if c == "-" and not first and not self.text.startswith("-]", self.i):
                self.fail("'-' must be escaped inside a class unless first or last")
            text, single = self.class_char()
            if self.text.startswith("-", self.i) and not self.text.startswith("-]", self.i) \
                    and not self.text.startswith("-[", self.i) and single is not None:
                self.i += 1
                end_text, end = self.class_char()
                if end is None or ord(end) < ord(single):
                    self.fail("a bad range in a character class")
                text = f"{text}-{end_text}"
            items.append(text)
            first = False
        body = ("^" if negated else "") + "".join(items)
        if subtract is None:
            return f"[{body}]"
        return f"[[{body}]--{subtract}]"
