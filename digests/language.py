"""The language of a text: a feed's declared language tag normalised, else a guess by
py3langid, whose model ships inside its package (nothing is downloaded at run time).

The identifier takes about a second to load, so it is loaded on first use and kept for
the process (a function-level cache, not a module global set at import); callers on an
event loop load it in a thread first (``detector_loaded``, ``load_detector``).

Neither function raises for any text: a tag that is not one is no declaration, and a text
the identifier cannot read (lone surrogates, NUL, bidi controls, megabytes of it) is
cleaned and cut before it sees it, or gives no guess.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from babel.core import get_global

# The longest language tag taken (RFC 5646 asks applications to handle at least 35
# characters; a longer "tag" is not a language anyone declares).
MAX_TAG_CHARS = 35
# A BCP 47 tag: its primary language subtag ("en", "fil"), then subtags of 1–8 letters
# or digits ("en-US", "vi_VN", "zh-Hant-TW"). Private-use ("x-klingon") and grandfathered
# ("i-navajo") tags have a one-letter first subtag and do not match.
_TAG = re.compile(r"\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*")
# Primary subtags that name no language: undetermined, multiple, no linguistic content,
# uncoded, and the private-use range qaa–qtz.
_NO_LANGUAGE = re.compile(r"und|mul|zxx|mis|q[a-t][a-z]")
# Texts shorter than this say too little to guess from.
MIN_CHARS = 12
# Below this normalised probability a guess is no answer.
MIN_CONFIDENCE = 0.5
# The identifier sees at most this much of a text: a title and a summary fit in it many
# times over, and a 10 MB body would otherwise cost seconds.
MAX_DETECT_CHARS = 2000
# An article is told by its title and the start of its summary: a guess costs time in
# proportion to the text (py3langid walks it byte by byte in Python), and a couple of
# hundred characters tell a language as well as the whole summary does.
ARTICLE_SAMPLE_CHARS = 240
# py3langid encodes text to UTF-8: a lone surrogate cannot be, so it is removed first.
_SURROGATE = re.compile("[\ud800-\udfff]")


def declared_language(tag: object) -> str | None:
    """The ISO 639 code of a declared language tag (``en-US`` → ``en``), or None when the
    tag is missing or not one (``x-klingon``, ``und``, garbage, anything not text)."""
    if not isinstance(tag, str) or not tag or len(tag) > MAX_TAG_CHARS:
        return None
    found = _TAG.fullmatch(tag)
    if found is None:
        return None
    primary = found.group(1).lower()
    return None if _NO_LANGUAGE.fullmatch(primary) else _iso_639_1(primary)


def _iso_639_1(primary: str) -> str:
    """The ISO 639-1 code for a primary subtag: a three-letter ISO 639-2 code that has one
    (``eng`` → ``en``, ``vie`` → ``vi``) and a withdrawn code (``iw`` → ``he``) are
    replaced, so that a story declared ``eng`` is English to English readers; any other
    code is kept (``fil`` has no two-letter form)."""
    alias = _aliases().get(primary)
    if not alias:
        return primary
    code = alias.split("_")[0].lower()
    # Only towards ISO 639-1: shorter (eng → en), or a two-letter code withdrawn (iw → he);
    # three-letter codes are not merged into their macrolanguage (bcl stays bcl).
    shorter = len(code) < len(primary) or len(code) == len(primary) == 2
    return code if shorter and code.isalpha() else primary


@lru_cache(maxsize=1)
def _aliases() -> dict[str, str]:
    # CLDR's language aliases as Babel ships them (no download).
    return dict(get_global("language_aliases"))


def first_declared(tags: Iterable[object]) -> str | None:
    """The first of ``tags`` (most specific first: an entry's, then its feed's) that is a
    language tag, normalised; None when none is."""
    for tag in tags:
        language = declared_language(tag)
        if language is not None:
            return language
    return None


def article_language(declared: Iterable[object], text: str) -> str | None:
    """An article's language: the first declared tag that is one, else a guess from the
    start of its ``text`` (title and summary), else None."""
    return first_declared(declared) or detect_language(text[:ARTICLE_SAMPLE_CHARS])


_LOADING = threading.Lock()


@lru_cache(maxsize=1)
def _load() -> Any:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier  # numpy: on first use

    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


def _identifier() -> Any:
    # The lock makes two threads asking at once load the model once, not twice.
    with _LOADING:
        return _load()


def detector_loaded() -> bool:
    """Whether the identifier is loaded (a first ``detect_language`` would not wait)."""
    return _load.cache_info().currsize > 0


def load_detector() -> None:
    """Load the identifier now (about a second, once per process); for a thread, so that
    an event loop is not held up by the first detection."""
    _identifier()


def detect_language(text: str) -> str | None:
    """The language ``text`` is most likely in (ISO 639-1), or None when it is too short,
    the guess is not confident, or ``text`` is not text."""
    if not isinstance(text, str):
        return None
    sample = text[:MAX_DETECT_CHARS]
    if not sample.isascii():
        sample = _SURROGATE.sub("", sample)
    if len(sample.strip()) < MIN_CHARS:
        return None
    language, probability = _identifier().classify(sample)
    if probability < MIN_CONFIDENCE:
        return None
    return declared_language(str(language))
