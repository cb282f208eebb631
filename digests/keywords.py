"""A subscription's keyword filter as a reader types it, and the limits the store keeps.

Keywords are stored one a line, so a newline inside a keyword made several keywords out of
one and slipped past the limit (500 were stored from one ``/filter``). Both the action and
the store read keywords through ``clean_keywords``: commas and line breaks separate
keywords, white space inside one becomes a single space, and the limits hold for what is
stored, not for what was typed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from digests.errors import InputError

MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 50

# Commas and every line break Python's str.splitlines knows separate keywords.
_SEPARATORS = re.compile(r"[,\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
# Control, format (bidi among them) and surrogate characters have no place in a keyword.
_DROPPED = frozenset({"Cc", "Cf", "Cs"})


class KeywordError(InputError):
    """Too many keywords, or one too long."""


def split_keywords(text: str) -> list[str]:
    """The keywords of ``text``, cleaned, duplicates removed, limits not checked (pure)."""
    return clean_keywords(_SEPARATORS.split(text), check=False)


def clean_keywords(keywords: Iterable[str], *, check: bool = True) -> list[str]:
    """Each keyword split at separators and its white space made single spaces; empty ones
    and duplicates dropped. Raises KeywordError beyond the limits when ``check``."""
    cleaned: list[str] = []
    for raw in keywords:
        for part in _SEPARATORS.split(raw):
            kept = "".join(
                " " if c.isspace() else c
                for c in part
                if c.isspace() or unicodedata.category(c) not in _DROPPED
            )
            word = " ".join(kept.split())
            if word and word not in cleaned:
                cleaned.append(word)
    if check and (len(cleaned) > MAX_KEYWORDS or any(len(k) > MAX_KEYWORD_LENGTH for k in cleaned)):
        raise KeywordError(
            f"at most {MAX_KEYWORDS} keywords of up to {MAX_KEYWORD_LENGTH} characters"
        )
    return cleaned
