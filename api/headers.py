"""Who is calling, from a free-text header: ``X-Doorflow-User`` (until users are authenticated).

HTTP header values are bytes; the web framework hands them over decoded as latin-1, so a Chinese
name sent as UTF-8 arrives as mojibake (six latin-1 letters for 张三). This edge turns the bytes back into
text: an RFC 8187 value (``UTF-8''%E5%BC%A0%E4%B8%89``), a percent-encoded one (``%E5%BC%A0%E4%B8%89``)
or raw UTF-8 bytes are accepted; anything that is not valid UTF-8 is refused with a 422 instead of
storing garbage in the audit trail.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated
from urllib.parse import unquote_to_bytes

from fastapi import Depends, Header

from models.errors import InvalidInput

USER_HEADER = "x-doorflow-user"
MAX_USER_CHARS = 100
HEADER_HELP = "Who is calling: UTF-8, percent-encoded UTF-8, or RFC 8187 (UTF-8''<percent-encoded>)."
_RFC8187 = re.compile(r"(?P<charset>[A-Za-z0-9!#$%&+^_`{}~-]+)'[A-Za-z0-9-]*'(?P<value>.*)", re.DOTALL)
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")


def decode_user(raw: str) -> str:
    """The header's text; ``raw`` is the value as the framework decoded it (latin-1)."""
    loc = ("header", USER_HEADER)
    data = raw.encode("latin-1")  # the bytes as they came over the wire
    ext = _RFC8187.fullmatch(raw)
    if ext is not None:
        if ext["charset"].lower() != "utf-8":
            raise InvalidInput(loc, f"only the UTF-8 charset is accepted, got {ext['charset']!r}")
        data = unquote_to_bytes(ext["value"])
    elif data.isascii() and _PERCENT.search(raw):
        data = unquote_to_bytes(raw)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            loc, "is not valid UTF-8: send the name as UTF-8, percent-encoded or as UTF-8''<percent-encoded>"
        ) from exc
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise InvalidInput(loc, "is empty")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text):
        raise InvalidInput(loc, "contains control or unassigned characters")
    if len(text) > MAX_USER_CHARS:
        raise InvalidInput(loc, f"is longer than {MAX_USER_CHARS} characters")
    return text


def staff_user(x_doorflow_user: Annotated[str | None, Header(description=HEADER_HELP)] = None) -> str | None:
    return None if x_doorflow_user is None else decode_user(x_doorflow_user)


StaffUserDep = Annotated[str | None, Depends(staff_user)]
