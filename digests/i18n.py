"""Translations and locale formatting for what readers see.

Catalogs ship as ``.po`` files inside the package and are compiled in memory with Babel
when first used, so there is no build step and no binary file in the repository.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from functools import cache, lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DOMAIN = "digestbot"
# The languages with a catalog (English is the source language).
SUPPORTED_LANGUAGES = ("en", "vi")


def normalise_language(code: str | None, default: str = "en") -> str:
    """Map a platform's language code ("vi", "vi-VN", "en_US") to a supported language."""
    if code:
        base = code.replace("_", "-").split("-")[0].lower()
        if base in SUPPORTED_LANGUAGES:
            return base
    return default


def compiled(po: Traversable, language: str, domain: str) -> Translations:
    """A ``.po`` file's translations, compiled in memory (no binary file is shipped)."""
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=domain)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=domain)


@cache
def translations(language: str) -> NullTranslations:
    """The gettext translations for a language (English is the source language)."""
    if language == "en":
        return NullTranslations()
    po = resources.files("digests").joinpath(f"locale/{language}/LC_MESSAGES/{DOMAIN}.po")
    return compiled(po, language, DOMAIN)


def gettext(language: str, message: str) -> str:
    return translations(language).gettext(message)


def t(language: str, message: str, **params: object) -> str:
    """Translate ``message`` and fill in its ``%(name)s`` parameters."""
    text = gettext(language, message)
    return text % params if params else text


def ngettext(language: str, singular: str, plural: str, n: int) -> str:
    return translations(language).ngettext(singular, plural, n)


@lru_cache(maxsize=4096)
def local_date(when: datetime, timezone: str) -> date:
    return when.astimezone(ZoneInfo(timezone)).date()


@lru_cache(maxsize=4096)
def format_day(day: date, language: str) -> str:
    """A reader's date in their language: "Friday, November 27, 2026"."""
    return format_date(day, format="full", locale=language)


def format_local_time(when: datetime, timezone: str, language: str) -> str:
    """A time of day in the reader's zone and language: "8:05 AM" / "08:05"."""
    return format_time(when.astimezone(ZoneInfo(timezone)), format="short", locale=language)
