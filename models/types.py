"""Input types shared by every schema and route: what PostgreSQL can store, checked where input arrives.

PostgreSQL refuses a NUL byte in text, an integer beyond its column's width and a string that is not
valid UTF-8 (a lone surrogate such as ``"\\ud800"`` in JSON). Left to the database these were 500s;
checked here, once, they are 422s that name the field. Money and fractional quantities travel as
decimal strings: a JSON number is a binary float and may already have lost a fen.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

INT32_MAX = 2**31 - 1  # PostgreSQL integer (door line numbers, sizes, counts, rounds)
BIGINT_MAX = 2**63 - 1  # PostgreSQL bigint (every id)

# C0 controls and DEL, except tab, line feed and carriage return; and UTF-16 surrogates (not UTF-8).
_BAD_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# In a one-line value (a name, a number, a phone) no control character at all.
_BAD_IN_LINE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def _describe(char: str) -> str:
    return f"U+{ord(char):04X}"


def _text(value: str) -> str:
    found = _BAD_IN_TEXT.search(value)
    if found:
        raise ValueError(f"must not contain the control character {_describe(found.group())} (such as a NUL byte)")
    return value


def _line(value: str) -> str:
    found = _BAD_IN_LINE.search(value)
    if found:
        raise ValueError(f"must be one line without control characters; found {_describe(found.group())}")
    return value


# Free text that may span lines (descriptions, notes, comments).
Text = Annotated[str, AfterValidator(_text)]
# A one-line value: a name, an address, a reference, a path or query segment.
Line = Annotated[str, AfterValidator(_line)]

# An id of a row (PostgreSQL bigint); ids start at 1.
Id = Annotated[int, Ge(1), Le(BIGINT_MAX)]
# A whole number stored in a PostgreSQL integer column; constraints of the field (gt=0 …) add to it.
Int32 = Annotated[int, Ge(-INT32_MAX - 1), Le(INT32_MAX)]
# An offset into a list.
Offset = Annotated[int, Ge(0), Le(BIGINT_MAX)]

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
_DECIMAL = re.compile(DECIMAL_PATTERN)


def _decimal_string(value: Any) -> Any:
    """Accept a decimal string (or a Decimal built in Python); refuse JSON numbers and other notations."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            raise ValueError(f'must be a decimal string such as "5000.00" (digits, an optional point), got {value!r}')
        return value
    raise ValueError('must be a decimal string such as "5000.00", not a JSON number (a float may lose a fen)')


# An amount of money or a fractional quantity: a decimal string in requests and responses (never
# in exponent notation, which str(Decimal) can give).
DecimalString = Annotated[
    Decimal,
    BeforeValidator(_decimal_string),
    PlainSerializer(lambda value: format(value, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN, "examples": ["5000.00"]}),
]
