"""The language of a text: a feed's declared language tag normalised, else a guess by
py3langid, whose model ships inside its package (nothing is downloaded at run time).

The identifier takes about a second to load, so it is loaded on first use and kept for
the process (a function-level cache, not a module global set at import).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# A BCP 47 tag's primary language subtag: "en", "en-US", "vi_VN", "zh-Hant-TW".
_TAG = re.compile(r"\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*")
# Texts shorter than this say too little to guess from.
MIN_CHARS = 12
# Below this normalised probability a guess is no answer.
MIN_CONFIDENCE = 0.5


def declared_language(tag: str | None) -> str | None:
    """The ISO 639 code of a declared language tag (``en-US`` → ``en``), or None when the
    tag is missing or not one."""
    if not tag or len(tag) > 64:
        return None
    found = _TAG.fullmatch(tag)
    return found.group(1).lower() if found else None


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """The language ``text`` is most likely in (ISO 639-1), or None when it is too short
    or the guess is not confident."""
    if len(text.strip()) < MIN_CHARS:
        return None
    language, probability = _identifier().classify(text)
    return str(language) if probability >= MIN_CONFIDENCE else None
