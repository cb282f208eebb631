"""The fields of an imported or posted article record, checked one by one (pure).

Shared by ``digestbot import``, the admin API and breaking news through
``importer.validate_record``. Every error is one line and quotes the input shortened and
escaped (``timeutil.short``), so a hostile value cannot flood or forge an error line.
"""

from __future__ import annotations

from typing import Any

from digests.errors import InputError
from digests.ingest.normalise import MAX_GUID_CHARS, guid_too_long
from digests.language import MAX_TAG_CHARS, declared_language
from digests.pictures import MAX_PICTURE_CHARS
from digests.terminal import unsafe_char
from digests.timeutil import short
from digests.urls import MAX_URL_CHARS

REQUIRED = ("url", "title", "category", "source", "published_at")
OPTIONAL = ("summary", "author", "image", "guid", "language")

# Longest text accepted per field, in characters; the summary is cut to a few sentences
# anyway, the others are shown or used as keys.
MAX_CHARS = {
    "url": MAX_URL_CHARS,
    "image": MAX_PICTURE_CHARS,
    "guid": MAX_GUID_CHARS,
    "title": 2000,
    "source": 300,
    "author": 300,
    "category": 100,
    "published_at": 64,
    "summary": 200_000,
    "language": MAX_TAG_CHARS,
}
# Fields used as identifiers or links, not prose: a control or bidi character in one can
# spoof what a reader or operator sees, and no CMS has a reason to send one.
PLAIN_FIELDS = ("url", "image", "guid", "category", "published_at", "language")


class RecordError(InputError):
    """One record is not a valid article; the message says which field and why."""


def check_field(name: str, value: Any) -> None:
    """One field's type, length and characters; raises RecordError."""
    if value is None:
        return
    if not isinstance(value, str):
        raise RecordError(f"{name} must be a string, got {type(value).__name__}")
    if len(value) > MAX_CHARS[name]:
        raise RecordError(
            f"{name} is too long ({len(value)} characters; at most {MAX_CHARS[name]})"
        )
    if name == "guid" and guid_too_long(value):
        size = len(value.encode("utf-8", "surrogatepass"))
        raise RecordError(f"guid is too long ({size} bytes in UTF-8; at most {MAX_GUID_CHARS})")
    if name in PLAIN_FIELDS:
        bad = unsafe_char(value)
        if bad:
            raise RecordError(f"{name} contains a control or bidi character ({bad})")


def record_language(value: str | None) -> str | None:
    """The ISO 639 code of a record's checked ``language`` field (``vi-VN`` → ``vi``);
    None when it has none (it is detected from the text then). Raises RecordError for a
    value that is not a language tag: a CMS that names a language means one."""
    if value is None or not value.strip():
        return None
    language = declared_language(value)
    if language is None:
        raise RecordError(
            f"language: {short(value)} is not a language tag (such as en, vi or vi-VN)"
        )
    return language
